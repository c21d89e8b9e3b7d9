"""Funding feeds: AI investment by country and year, kept by edition.

| source              | what                                                              | bundled under data/funding/ |
|---------------------|-------------------------------------------------------------------|-----------------------------|
| funding-ai-index    | Stanford AI Index (Quid) via OWID: private investment, newly funded companies | ai_index_owid/<edition>/ |
| funding-cset        | CSET estimated private investment by country via OWID              | cset_owid/<edition>/        |
| funding-eto         | ETO Country Activity Tracker export (estimated, disclosed; by field)| eto_country_activity_tracker/<edition>/ |
| funding-oecd-vc     | OECD.AI venture capital in AI (Preqin): all, generative AI, compute | oecd_ai_vc_preqin/<edition>/ |
| funding-published   | figures published only in reports, one row per figure              | published/                  |

Editions (the date of a funding load, `FundingSource.edition`): a feed file's edition is the name
of the folder holding it (`2025-04/`), so a newer edition is a new folder next to the old one, a
new snapshot key and a new load; the old one stays published. A feed URL takes its edition the
same way from its path (`https://host/feeds/2026-04/file.csv`); a URL without one (an Our World in
Data grapher export) is dated by the day aigap first retrieved that content, as a citation says
"retrieved on" (the server's Last-Modified is kept as metadata only, never as a date of the data).
New content at the same URL is then a new edition next to the earlier ones. Published figures
carry their edition (publication date) on every row.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace
from pathlib import PurePosixPath
from typing import ClassVar
from urllib.parse import urlparse

import polars as pl

from common.csvio import read_csv_text
from common.errors import SnapshotRejected
from common.gate import GatePlan
from datasets.base import Credit, GateContext, ParsedSnapshot, SnapshotRef, Source, local_path
from datasets.files import discover_files, read_bytes
from datasets.funding import feeds
from datasets.funding.checks import FundingContext, observations_plan
from datasets.funding.parse import FUNDING_DIR, edition_start, is_edition, load_crosswalk, normalise


def folder_edition(ref: SnapshotRef) -> str | None:
    """The edition named by the folder holding the file (`.../2025-04/file.csv`), in the location's
    tree, or in the path of a single file or URL."""
    if "/" in ref.key:
        name = PurePosixPath(ref.key).parent.name
    elif (path := local_path(ref.location)) is not None:
        name = path.parent.name
    else:
        name = PurePosixPath(urlparse(ref.location).path).parent.name
    return name if is_edition(name) else None


def file_name(ref: SnapshotRef) -> str:
    path = local_path(ref.location)
    return path.name if path is not None else PurePosixPath(urlparse(ref.location).path).name


class FundingSource(Source):
    kind = "funding"
    core_table = "core.funding_observations"
    keeps_editions = True
    conditional_fetch = True
    folder: ClassVar[str]  # under data/funding/
    earliest_year: ClassVar[int]  # the first year the source covers
    publication: ClassVar[str]  # the dataset's title
    home_url: ClassVar[str]  # the publisher's page for the dataset (bundled copies: see data/README.md)

    def default_location(self) -> str:
        return str(FUNDING_DIR / self.folder)

    def discover(self, location: str) -> list[SnapshotRef]:
        found = discover_files(self.name, location)
        for i, ref in enumerate(found):
            edition = folder_edition(ref)
            found[i] = replace(ref, snapshot_date=edition_start(edition) if edition else None)
        return found.sorted(key=lambda r: (r.snapshot_date is None, r.snapshot_date, r.key))

    def fetch(self, ref: SnapshotRef) -> bytes:
        return read_bytes(ref, self.limits)

    def edition(self, ref: SnapshotRef) -> tuple[str, str]:
        """The feed file's edition and how it was established: the folder holding it (in a path or a
        URL), else for a URL the day this content was first retrieved. Never the server's Last-Modified."""
        if edition := folder_edition(ref):
            return edition, "the folder holding the file"
        if local_path(ref.location) is None and ref.first_fetched is not None:
            return ref.first_fetched.isoformat(), "the day this content was first retrieved (no edition in the URL)"
        raise SnapshotRejected(
            [
                {
                    "check": "edition",
                    "reason": f"no edition for {ref.key!r}: put the file in a folder named by its "
                    "edition date (YYYY, YYYY-MM or YYYY-MM-DD), e.g. 2026-04/",
                }
            ]  # fmt: skip
        )

    def constants(self, ref: SnapshotRef, edition: str) -> dict[str, str]:
        url = ref.location if local_path(ref.location) is None else self.home_url
        return {"series": self.name, "publication": self.publication, "edition": edition, "source_url": url}

    @abstractmethod
    def rows(self, table: pl.DataFrame, ref: SnapshotRef, edition: str) -> pl.DataFrame:
        """This feed's layout -> rows as published (datasets/funding/feeds.py)."""

    def parse(self, raw: bytes, ref: SnapshotRef) -> ParsedSnapshot:
        edition, dated_by = self.edition(ref)
        frame = normalise(self.rows(read_csv_text(raw), ref, edition), load_crosswalk())
        return ParsedSnapshot(frame, frame["edition_date"].max(), {**self.details(frame), "edition_from": dated_by})

    @staticmethod
    def details(frame: pl.DataFrame) -> dict:
        return {
            "editions": sorted(frame["edition"].unique().to_list()),
            "metrics": sorted(frame["metric"].unique().to_list()),
            "periods": f"{frame['period_start'].min()} .. {frame['period_end'].max()}",
            "regions": frame["region_code"].n_unique(),
        }

    def gate_plan(self, frame: pl.DataFrame, context: GateContext) -> GatePlan:
        funding = FundingContext(today=context.today, earliest_year=self.earliest_year, crosswalk=load_crosswalk())
        return observations_plan(frame, funding)


OWID_MONEY = ("USD", "constant-2021-USD")  # OWID shows these series in constant 2021 US$


class OWIDFeed(FundingSource):
    """A feed republished by Our World in Data: one series column per metric, named in `units`."""

    units: ClassVar[dict[str, tuple[str, str | None]]]

    def rows(self, table, ref, edition):
        return feeds.owid(table, self.units, load_crosswalk(), **self.constants(ref, edition))


class AIIndex(OWIDFeed):
    name = "funding-ai-index"
    credit = Credit(
        "Stanford AI Index (Quid) private investment in AI",
        "Our World in Data",
        "OWID CC BY 4.0; upstream AI Index CC BY-ND 4.0",
    )
    description = "Stanford AI Index (Quid) private investment and newly funded AI companies, via OWID"
    folder = "ai_index_owid"
    earliest_year = 2013
    publication = "Stanford AI Index (Quid), via Our World in Data"
    home_url = "https://ourworldindata.org/grapher/private-investment-in-artificial-intelligence"
    units = {"Global total private investment in AI": OWID_MONEY, "Newly founded AI companies": ("count", None)}


class CSET(OWIDFeed):
    name = "funding-cset"
    credit = Credit("CSET estimated private investment in AI", "Our World in Data", "OWID CC BY 4.0")
    description = "CSET estimated private investment in AI by country, via OWID"
    folder = "cset_owid"
    earliest_year = 2014
    publication = "CSET estimated private investment in AI, via Our World in Data"
    home_url = "https://ourworldindata.org/grapher/private-investment-in-artificial-intelligence-cset"
    units = {"Estimated investment": OWID_MONEY}


class ETO(FundingSource):
    name = "funding-eto"
    credit = Credit(
        "ETO Country Activity Tracker (CSET)",
        "an export in kenobijr/global_ai_activity",
        "CC BY 4.0 per OWID, CC BY-NC 4.0 per the host repo",
    )
    description = "ETO Country Activity Tracker: estimated and disclosed AI investment by country and AI field"
    folder = "eto_country_activity_tracker"
    earliest_year = 2014
    publication = "Emerging Technology Observatory (CSET), Country Activity Tracker: AI companies"
    home_url = "https://cat.eto.tech/"

    def rows(self, table, ref, edition):
        return feeds.eto(table, **self.constants(ref, edition))


class OECDVentureCapital(FundingSource):
    name = "funding-oecd-vc"
    credit = Credit(
        "OECD.AI venture capital in AI (Preqin data)",
        "an export in Penglianfeng/AI-Competitiveness-Modeling-ICM2026",
        "OECD.AI; Preqin data, attribute",
    )
    description = "OECD.AI venture capital in AI (Preqin): all AI, generative AI, AI compute"
    folder = "oecd_ai_vc_preqin"
    earliest_year = 2012
    publication = "OECD.AI, venture capital investments in AI (Preqin)"
    home_url = "https://oecd.ai/en/data?selectedArea=investments-in-ai-and-data"
    # The three exports look alike (all say "-- All industries --"); only their names tell them apart.
    segments = {
        "vc_in_ai_all_industries_usd_m": "all",
        "vc_in_generative_ai_usd_m": "generative_ai",
        "vc_in_ai_compute_usd_m": "ai_compute",
    }

    def rows(self, table, ref, edition):
        stem = file_name(ref).rsplit(".", 1)[0]
        if stem not in self.segments:
            raise SnapshotRejected(
                [
                    {
                        "check": "file_name",
                        "reason": f"cannot tell which OECD.AI series {file_name(ref)!r} is: name it "
                        f"one of {[s + '.csv' for s in self.segments]}",
                    }
                ]  # fmt: skip
            )
        return feeds.oecd_vc(table, self.segments[stem], load_crosswalk(), **self.constants(ref, edition))


class PublishedFigures(FundingSource):
    name = "funding-published"
    credit = Credit(
        "figures published in reports (CB Insights, AI Index, OECD, ...)",
        "data/funding/published, one source URL per figure",
        "per source",
    )
    description = "Figures published only in reports (CB Insights, AI Index headlines, OECD, MacroPolo ...)"
    folder = "published"
    earliest_year = 2010
    publication = "published figures"
    home_url = ""
    # Every row carries its own edition; a changed file under the same name is a corrected
    # compilation that replaces the previous one (its older rows are still in it).
    keeps_editions = False

    def discover(self, location: str) -> list[SnapshotRef]:
        return discover_files(self.name, location)

    def edition(self, ref: SnapshotRef) -> tuple[str, str]:
        return "", "each row's own edition (the figure's publication date)"

    def rows(self, table, ref, edition):
        return feeds.published_figures(table, load_crosswalk())


def funding_sources() -> list[Source]:
    return [AIIndex(), CSET(), ETO(), OECDVentureCapital(), PublishedFigures()]
