"""CSV exports stay text in any spreadsheet, whatever separator it splits on (finding 9)."""

from __future__ import annotations

import csv
import io

import pytest

from app.facilitation.exports import to_csv

ATTACKS = [
    "x;=1+1;",
    '=HYPERLINK("http://evil.example")',
    "hi, +cmd|' /C calc'!A0",
    "tab\t-2+3",
    "pipe|@SUM(A1)",
    "line\r\n=1+1",
    'quote;"=1+1"',
    "  =spaced",
]
TRIGGERS = ("=", "+", "-", "@")


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_csv_no_cell_starts_a_formula_whatever_the_separator(separator: str) -> None:
    written = to_csv([{"text": attack, "n": i} for i, attack in enumerate(ATTACKS)], ["n", "text"])
    # The worst case: a spreadsheet that ignores our quoting and splits on its own separator and line breaks.
    for line in written.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        for cell in line.split(separator):
            content = cell.strip().lstrip('"').strip()
            assert not content.startswith(TRIGGERS), f"{cell!r} would be a formula (separator {separator!r})"


def test_csv_defused_text_still_reads_back_with_only_apostrophes_added() -> None:
    written = to_csv([{"text": attack} for attack in ATTACKS], ["text"])
    read = [row["text"] for row in csv.DictReader(io.StringIO(written, newline=""))]
    assert [r.replace("'", "") for r in read] == [a.replace("'", "") for a in ATTACKS]
    assert read[0] == "x;'=1+1;"
