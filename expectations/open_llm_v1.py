"""Quality gate for one normalised Open LLM Leaderboard v1 snapshot (see transforms/open_llm_v1.py).

The same guards as v2 (expectations/open_llm_v2.py), for v1's benchmarks: complete typed schema;
the average and the six benchmark scores are percentages in [0, 100]; model ids look like
`namespace/name`; the snapshot date is not in the future; at least half the rows of the previous
snapshot; the only duplicates are other precisions or revisions of a model.
"""

from __future__ import annotations

from expectations.open_llm_v2 import _GX_TYPES, MODEL_ID_PATTERN, SnapshotContext
from transforms.open_llm_v1 import BENCHMARKS, SCHEMA

SUITE_NAME = "open_llm_v1_snapshot"
ID_COLUMNS = ("model_id", "precision", "revision_sha")
SCORES = ("average", *BENCHMARKS)


def build_suite(context: SnapshotContext):
    def build(E) -> list:
        checks = [E.ExpectTableRowCountToBeBetween(min_value=context.min_rows)]
        for column, dtype in SCHEMA.items():
            checks.append(E.ExpectColumnToExist(column=column))
            checks.append(E.ExpectColumnValuesToBeOfType(column=column, type_=_GX_TYPES[str(dtype)]))
        checks.append(E.ExpectColumnValuesToBeOfType(column="snapshot_date", type_="date"))
        checks.append(E.ExpectColumnValuesToNotBeNull(column="snapshot_date"))
        checks.append(E.ExpectColumnValuesToBeBetween(column="snapshot_date", max_value=context.today))
        checks.append(E.ExpectColumnValuesToNotBeNull(column="model_id"))
        checks.append(E.ExpectColumnValuesToMatchRegex(column="model_id", regex=MODEL_ID_PATTERN))
        checks.append(E.ExpectColumnValuesToNotBeNull(column="precision"))
        for column in SCORES:
            checks.append(E.ExpectColumnValuesToNotBeNull(column=column))
            checks.append(E.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=100))
        checks.append(E.ExpectCompoundColumnsToBeUnique(column_list=list(ID_COLUMNS)))
        return checks

    return build
