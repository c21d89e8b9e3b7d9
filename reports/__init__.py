"""What a person reads after a run: the gap report, the quarantine table and the gap chart.

Pure functions (frames in, markdown / rows / SVG out), tested without Prefect or DuckDB;
flows/report.py reads their inputs from the warehouse and publishes them.
"""
