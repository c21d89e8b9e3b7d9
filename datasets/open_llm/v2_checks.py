"""Quality gate for one normalised Open LLM Leaderboard v2 snapshot (see datasets/open_llm/v2.py).

Every check here guards a number the marts publish:
- the normalised schema is complete and typed;
- normalised scores are percentages in [0, 100] and raw scores fractions in [0, 1], so a file
  with scores multiplied by 100 (or divided) cannot slip through;
- model ids look like `namespace/name` (or a legacy un-namespaced id such as `gpt2`), and no id holds
  a control character;
- the snapshot date is not in the future;
- the snapshot has at least half as many rows as the previous published one of the same source
  (a leaderboard only grows; a sudden halving means a partial download or a broken scrape);
- the only duplicates are the documented kind: the same model in another precision or at
  another revision. (model_id, precision, revision_sha) must be unique.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from common.gate import printable, schema_checks
from datasets.open_llm.v2 import BENCHMARKS, SCHEMA

SUITE_NAME = "open_llm_v2_snapshot"
ID_COLUMNS = ("model_id", "precision", "revision_sha")
NORMALISED_SCORES = ("average", *BENCHMARKS)
RAW_SCORES = tuple(f"{b}_raw" for b in BENCHMARKS)
# `namespace/name`, or a legacy un-namespaced id such as `gpt2`.
MODEL_ID_PATTERN = r"^[^/\s]+(?:/[^/\s]+)?$"


@dataclass(frozen=True)
class SnapshotContext:
    """What the gate needs besides the frame: today's date and the previous snapshot's size."""

    today: date
    previous_rows: int | None = None

    @property
    def min_rows(self) -> int:
        return 1 if not self.previous_rows else max(1, math.ceil(self.previous_rows / 2))


def snapshot_checks(E, context: SnapshotContext, schema: dict, score_ranges: dict[str, tuple[float, float]]) -> list:
    """The checks every Open LLM Leaderboard snapshot (v1 and v2) must pass; `score_ranges` maps
    each score column to its (min, max)."""
    checks = [E.ExpectTableRowCountToBeBetween(min_value=context.min_rows)]
    checks += schema_checks(E, schema)
    checks.append(E.ExpectColumnValuesToBeOfType(column="snapshot_date", type_="date"))
    checks.append(E.ExpectColumnValuesToNotBeNull(column="snapshot_date"))
    checks.append(E.ExpectColumnValuesToBeBetween(column="snapshot_date", max_value=context.today))
    checks.append(E.ExpectColumnValuesToNotBeNull(column="model_id"))
    checks.append(E.ExpectColumnValuesToMatchRegex(column="model_id", regex=MODEL_ID_PATTERN))
    checks += printable(
        E, [c for c in ("model_id", "precision", "revision_sha", "base_model", "architecture") if c in schema]
    )
    checks.append(E.ExpectColumnValuesToNotBeNull(column="precision"))
    for column, (low, high) in score_ranges.items():
        checks.append(E.ExpectColumnValuesToNotBeNull(column=column))
        checks.append(E.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    checks.append(E.ExpectCompoundColumnsToBeUnique(column_list=list(ID_COLUMNS)))
    return checks


SCORE_RANGES = {**{c: (0, 100) for c in NORMALISED_SCORES}, **{c: (0, 1) for c in RAW_SCORES}}


def build_suite(context: SnapshotContext):
    return lambda E: snapshot_checks(E, context, SCHEMA, SCORE_RANGES)
