"""Quality gate for one normalised Open LLM Leaderboard v1 snapshot (see datasets/open_llm/v1.py).

The same guards as v2 (datasets/open_llm/v2_checks.py), for v1's benchmarks: complete typed schema;
the average and the six benchmark scores are percentages in [0, 100]; model ids look like
`namespace/name`; the snapshot date is not in the future; at least half the rows of the previous
snapshot; the only duplicates are other precisions or revisions of a model.
"""

from __future__ import annotations

from datasets.open_llm.v1 import BENCHMARKS, SCHEMA
from datasets.open_llm.v2_checks import ID_COLUMNS as ID_COLUMNS  # the same documented duplicates as v2
from datasets.open_llm.v2_checks import SnapshotContext, snapshot_checks

SUITE_NAME = "open_llm_v1_snapshot"
SCORE_RANGES = {c: (0, 100) for c in ("average", *BENCHMARKS)}


def build_suite(context: SnapshotContext):
    return lambda E: snapshot_checks(E, context, SCHEMA, SCORE_RANGES)
