"""Reading input files into raw claim records (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.errors import IntakeError
from gateway.intake.parse import json_path
from gateway.intake.records import InputFormat, count_units, detect_format, read_records


@pytest.mark.parametrize(("name", "fmt"), [("a.json", InputFormat.JSON),
                                           ("a.JSONL", InputFormat.JSONL),
                                           ("a.ndjson", InputFormat.JSONL),
                                           ("a.csv", InputFormat.CSV)])
def test_format_from_file_name(name: str, fmt: InputFormat) -> None:
    """The extension picks the reader."""
    assert detect_format(Path(name)) is fmt


def test_unknown_extension_asks_for_format() -> None:
    """An unknown extension is an error that names the --format option."""
    with pytest.raises(IntakeError, match="--format"):
        detect_format(Path("claims.txt"))


def test_csv_rows_group_into_claims_and_split_lists(tmp_path: Path) -> None:
    """Consecutive rows with one control number form a claim; ';' splits list cells."""
    path = tmp_path / "c.csv"
    path.write_text(
        "\ufeffpatient_control_number,diagnoses,subscriber.address.city,"
        "service_lines.procedure_code,service_lines.modifiers,service_lines.diagnosis_pointers\n"
        "A1,J06.9;R05.9,NASHVILLE,99213,25;59,1;2\n"
        "A1,J06.9;R05.9,NASHVILLE,87880,,1\n"
        "B2,I10,MEMPHIS,99214,,1\n", encoding="utf-8")
    records = list(read_records(path, InputFormat.CSV))

    assert [r.ref for r in records] == ["rows 2-3", "row 4"]
    first = records[0].doc
    assert first is not None
    assert first["diagnoses"] == ["J06.9", "R05.9"]
    assert first["subscriber"] == {"address": {"city": "NASHVILLE"}}
    assert first["service_lines"] == [
        {"procedure_code": "99213", "modifiers": ["25", "59"], "diagnosis_pointers": ["1", "2"]},
        {"procedure_code": "87880", "diagnosis_pointers": ["1"]},
    ]
    assert [r.weight for r in records] == [2, 1]
    assert count_units(path, InputFormat.CSV) == 3


def test_csv_without_control_number_column_is_rejected(tmp_path: Path) -> None:
    """A CSV that cannot identify claims fails as a whole, with the reason."""
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(IntakeError, match="patient_control_number"):
        list(read_records(path, InputFormat.CSV))


def test_jsonl_bad_encoding_refuses_only_that_line(tmp_path: Path) -> None:
    """A line with bytes that are not UTF-8 is one refused record; the next line still reads."""
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"a": "\xff"}\n' + json.dumps({"b": 1}).encode() + b"\n")
    records = list(read_records(path, InputFormat.JSONL))
    assert records[0].doc is None and records[0].findings[0].rule == "FMT-000"
    assert records[1].doc == {"b": 1}


def test_invalid_json_file_names_the_position(tmp_path: Path) -> None:
    """A broken .json file (one document) is reported with line and column."""
    path = tmp_path / "c.json"
    path.write_text('[{"a": 1},\n {"b": }]')
    with pytest.raises(IntakeError, match="line 2 column"):
        list(read_records(path, InputFormat.JSON))


def test_json_path_rendering() -> None:
    """Pydantic locations become dotted paths with list indexes."""
    assert json_path(("service_lines", 2, "modifiers", 0)) == "service_lines[2].modifiers[0]"
    assert json_path(("total_charge",)) == "total_charge"


def test_csv_with_bad_bytes_is_refused_before_any_claim(tmp_path: Path) -> None:
    """A non-UTF-8 byte late in a CSV stops the file before the first claim is yielded."""
    path = tmp_path / "c.csv"
    rows = "".join(f"P{i},x\n" for i in range(5000))
    path.write_bytes(b"patient_control_number,diagnoses\n" + rows.encode() + b"P9,\xe9\n")
    records = read_records(path, InputFormat.CSV)
    with pytest.raises(IntakeError, match="byte offset"):
        next(records)
