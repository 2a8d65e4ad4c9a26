"""Input files → raw claim documents, one per claim, each with where it came from.

A record that cannot even be read as a document (bad JSON line, broken CSV group, an
837P claim the reader cannot turn into a claim) comes out with ``doc=None`` and a
finding, so one bad row never stops the file.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from gateway.domain.findings import Finding, Severity
from gateway.errors import IntakeError, X12Error
from gateway.x12.tokenizer import decode
from x12_maps.p837_reader import ReadClaim, read_837

# Columns of a CSV holding lists: values separated by ";" inside one cell.
LIST_COLUMNS = frozenset({"diagnoses", "service_lines.modifiers",
                          "service_lines.diagnosis_pointers"})
LINE_PREFIX = "service_lines."
LIST_SEPARATOR = ";"
# 837P by name; any other file (.txt included) is X12 when its content starts with ISA.
X12_SUFFIXES = frozenset({".837", ".x12", ".edi"})


class InputFormat(StrEnum):
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    X12 = "x12"  # an 837P file


@dataclass(slots=True)
class RawRecord:
    ref: str  # "item 3", "line 17", "rows 4-6": where in the file
    doc: dict[str, Any] | None
    findings: list[Finding] = field(default_factory=list)
    # Input rows/items this record consumed, for progress.
    weight: int = 1


def detect_format(path: Path) -> InputFormat:
    if _starts_with_isa(path):
        return InputFormat.X12
    suffix = path.suffix.lower()
    if suffix in X12_SUFFIXES:
        return InputFormat.X12
    if suffix in (".jsonl", ".ndjson"):
        return InputFormat.JSONL
    if suffix == ".json":
        return InputFormat.JSON
    if suffix == ".csv":
        return InputFormat.CSV
    raise IntakeError(f"{path.name}: cannot tell the format from the name; pass --format")


def _starts_with_isa(path: Path) -> bool:
    """X12 by content: the first non-blank bytes (after a UTF-8 BOM) are an ISA segment."""
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(b"ISA") and len(head) > 3 and not head[3:4].isalnum()


def count_units(path: Path, fmt: InputFormat) -> int | None:
    """How many progress units the file holds (lines), without parsing it."""
    if fmt in (InputFormat.JSON, InputFormat.X12):
        return None
    with path.open("rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    return lines - 1 if fmt is InputFormat.CSV else lines


def read_records(path: Path, fmt: InputFormat) -> Iterator[RawRecord]:
    if fmt is InputFormat.JSON:
        return _read_json(path)
    if fmt is InputFormat.JSONL:
        return _read_jsonl(path)
    if fmt is InputFormat.X12:
        return _read_x12(path)
    return _read_csv(path)


def _read_json(path: Path) -> Iterator[RawRecord]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntakeError(f"{path.name}: not valid JSON ({_where(exc)})") from exc
    items = data if isinstance(data, list) else [data]
    for n, item in enumerate(items, start=1):
        yield _as_record(f"item {n}", item)


def _read_jsonl(path: Path) -> Iterator[RawRecord]:
    # Bytes per line, decoded one at a time: a badly encoded line refuses that line only.
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if n == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield RawRecord(f"line {n}", None, [Finding(
                    "FMT-000", "", f"line is not valid JSON ({_where(exc)})")])
                continue
            yield _as_record(f"line {n}", item)


def _read_x12(path: Path) -> Iterator[RawRecord]:
    """One record per 2300 claim of an 837P file, in file order. The whole file is read
    first, so a file that is not an 837P is refused before any of its claims is kept."""
    try:
        result = read_837(decode(path.read_bytes()))
    except X12Error as exc:
        raise IntakeError(f"{path.name}: {exc}") from exc
    items: list[tuple[int, RawRecord]] = []
    for read in result.claims:
        items.append((read.clm_position, _x12_record(read)))
    for failure in result.failures:
        ref = f"CLM at segment {failure.clm_position}"
        if failure.patient_control_number is None:
            ref = f"segment {failure.clm_position}"
        items.append((failure.clm_position, RawRecord(ref, None, [
            Finding("X12-READ", "", failure.reason)])))
    for _, record in sorted(items, key=lambda item: item[0]):
        yield record


def _x12_record(read: ReadClaim) -> RawRecord:
    record = RawRecord(f"CLM at segment {read.clm_position}",
                       read.claim.model_dump(mode="json", exclude_none=True))
    if read.skipped:
        record.findings.append(Finding(
            "X12-SKIP", "", "837P segments the claim model does not hold were left out: "
                            + ", ".join(read.skipped), Severity.WARNING))
    return record


def _as_record(ref: str, item: Any) -> RawRecord:
    if isinstance(item, dict):
        return RawRecord(ref, item)
    return RawRecord(ref, None, [Finding("FMT-000", "", "a claim must be a JSON object")])


def _where(exc: json.JSONDecodeError | UnicodeDecodeError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    return f"undecodable byte at offset {exc.start}"


def _check_utf8(path: Path) -> None:
    """Refuse a badly encoded CSV before any of it is imported (rows span lines)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise IntakeError(f"{path.name}: not UTF-8 text (byte offset "
                                  f"{offset + exc.start})") from exc
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise IntakeError(f"{path.name}: not UTF-8 text (truncated at the end)") from exc


def _read_csv(path: Path) -> Iterator[RawRecord]:
    """One row per service line; consecutive rows with the same claim identity form a claim."""
    _check_utf8(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        if "patient_control_number" not in header:
            raise IntakeError(f"{path.name}: CSV header has no patient_control_number column")
        group: list[tuple[int, dict[str, str]]] = []
        for row in reader:
            line_no = reader.line_num
            if group and _claim_identity(row) != _claim_identity(group[0][1]):
                yield _csv_claim(group, header)
                group = []
            group.append((line_no, row))
        if group:
            yield _csv_claim(group, header)


def _claim_identity(row: dict[str, str]) -> tuple[str, ...]:
    return tuple((row.get(k) or "").strip() for k in (
        "submitter.id", "patient_control_number", "frequency_code",
        "payer_claim_control_number"))


def _csv_claim(group: list[tuple[int, dict[str, str]]], header: Sequence[str]) -> RawRecord:
    first_line, last_line = group[0][0], group[-1][0]
    ref = f"row {first_line}" if first_line == last_line else f"rows {first_line}-{last_line}"
    claim_columns = [c for c in header if not c.startswith(LINE_PREFIX)]
    line_columns = [c for c in header if c.startswith(LINE_PREFIX)]
    findings = [
        Finding("FMT-004", column,
                "claim-level column differs between the rows of one claim")
        for column in claim_columns
        if len({(row.get(column) or "").strip() for _, row in group}) > 1
    ]
    doc: dict[str, Any] = {}
    for column in claim_columns:
        _put(doc, column, group[0][1].get(column))
    lines: list[dict[str, Any]] = []
    for _, row in group:
        line: dict[str, Any] = {}
        for column in line_columns:
            _put(line, column.removeprefix(LINE_PREFIX), row.get(column),
                 is_list=column in LIST_COLUMNS)
        lines.append(line)
    doc["service_lines"] = lines
    if findings:
        return RawRecord(ref, doc, findings, weight=len(group))
    return RawRecord(ref, doc, weight=len(group))


def _put(doc: dict[str, Any], path: str, raw: str | None, *, is_list: bool = False) -> None:
    value = (raw or "").strip()
    if not value:
        return
    *parents, leaf = path.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    if is_list or path in LIST_COLUMNS:
        node[leaf] = [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]
    else:
        node[leaf] = value
