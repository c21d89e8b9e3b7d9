"""aigap: the country-level AI gap, measured from public leaderboards and funding feeds."""

__version__ = "0.1.0"
