import pytest

from transforms.csvio import read_csv_text
from transforms.errors import SnapshotRejected


def test_reads_text_with_empty_fields_as_null():
    frame = read_csv_text(b"a,b\n1,\n2,x\n")
    assert frame.columns == ["a", "b"]
    assert frame["b"].to_list() == [None, "x"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"a,b\n", "no data rows"),
        (b"a,b\n1,2\n3", "truncated"),
        (b'a,b\n1,2\n3,"unterminated', "malformed CSV"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
        (b"a,a\n1,2\n", "repeats column names"),
        (b"a,b\n\xff\xfe,1\n", "not UTF-8"),
    ],
)
def test_rejects_broken_csv_with_reason(data, reason):
    with pytest.raises(SnapshotRejected, match=reason):
        read_csv_text(data)
