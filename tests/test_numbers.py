"""The one rule for numbers written as text: a comma between digits rejects the snapshot, naming the values."""

import polars as pl
import pytest

from common.errors import SnapshotRejected
from common.numbers import reject_comma_numbers


def test_plain_numbers_and_commas_in_other_columns_pass():
    frame = pl.DataFrame({"score": ["1234", "-0.5", "1.2e9", None], "name": ["a,b", "1,234", "x", "y"]})
    reject_comma_numbers(frame, ["score", "missing column"])  # `name` is not a numeric column


def test_a_comma_that_is_not_a_number_is_left_to_the_gate():
    reject_comma_numbers(pl.DataFrame({"score": ["n/a, see notes", "12"]}), ["score"])


def test_comma_numbers_are_named_per_column_three_at_most():
    frame = pl.DataFrame(
        {
            "votes": ["37,712", "1,000", "2,000", "3,000", "5", None],
            "score": ["1,5", "1.5", "2", "3", "4", "5"],
            "rank": ["1", "2", "3", "4", "5", "6"],
            "count": [1, 2, 3, 4, 5, 6],  # not text: never checked
        }
    )
    with pytest.raises(SnapshotRejected) as rejected:
        reject_comma_numbers(frame, ["votes", "score", "rank", "count"])
    [failure] = rejected.value.reasons
    assert failure["columns"] == ["score", "votes"]
    assert failure["reason"].startswith(
        "numbers written with a comma (votes: '37,712', '1,000', '2,000', 1 more; score: '1,5'):"
    )
