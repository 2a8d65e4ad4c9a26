"""Intake against a real database: verdicts, idempotency, replacement, locking."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import FixedClock
from gateway.domain.status import ClaimStatus
from gateway.intake.importer import ClaimImporter, Verdict
from gateway.samples.factory import make_claim, mixed_batch
from gateway.store.claims import ClaimFilter, ClaimStore, Outcome

TODAY = dt.date(2026, 11, 28)


def write_jsonl(path: Path, docs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


def to_csv_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """Flatten a claim document into the documented CSV layout (one row per line)."""
    header: dict[str, str] = {}

    def walk(prefix: str, value: Any, out: dict[str, str]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v, out)
        elif isinstance(value, list):
            out[prefix] = ";".join(str(v) for v in value)
        else:
            out[prefix] = str(value)

    for key, value in doc.items():
        if key != "service_lines":
            walk(key, value, header)
    rows = []
    for line in doc["service_lines"]:
        row = dict(header)
        walk("service_lines", line, row)
        rows.append(row)
    return rows


def write_csv(path: Path, docs: list[dict[str, Any]]) -> Path:
    rows = [row for doc in docs for row in to_csv_rows(doc)]
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(importer: ClaimImporter, path: Path) -> list[Any]:
    return list(importer.import_file(path))


@pytest.mark.parametrize("writer", [write_jsonl, write_csv], ids=["jsonl", "csv"])
def test_mixed_file_stores_good_refuses_bad_and_reimport_changes_nothing(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore, writer: Any) -> None:
    """1,000 mixed claims: good ones received, each bad one refused with its rule; twice."""
    batch = mixed_batch(1000, bad_every=4, today=TODAY)
    path = writer(tmp_path / f"claims.{writer.__name__[6:]}", [doc for doc, _ in batch])

    reports = run(importer, path)

    assert len(reports) == 1000
    for report, (_doc, expected_rule) in zip(reports, batch, strict=True):
        if expected_rule is None:
            assert report.verdict is Verdict.ACCEPTED, report.findings
            assert report.status is ClaimStatus.RECEIVED
        else:
            assert report.verdict is Verdict.REFUSED
            assert expected_rule in {f.rule for f in report.findings}
    counts = store.counts_by_status()
    assert counts[ClaimStatus.RECEIVED] == 750
    # Every refused claim has an identity except none: all 250 are stored as invalid.
    assert counts[ClaimStatus.INVALID] == 250

    events_before = sum(len(store.timeline(c.id)) for c in
                        store.list_claims(ClaimFilter(limit=10_000)))
    again = run(importer, path)
    assert {r.verdict for r in again} == {Verdict.UNCHANGED}
    assert store.counts_by_status() == counts
    events_after = sum(len(store.timeline(c.id)) for c in
                       store.list_claims(ClaimFilter(limit=10_000)))
    assert events_after == events_before


def test_json_array_and_single_object(tmp_path: Path, importer: ClaimImporter) -> None:
    """A .json file may hold one claim object or a list of them."""
    one = tmp_path / "one.json"
    one.write_text(json.dumps(make_claim(1, today=TODAY)))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([make_claim(i, today=TODAY) for i in range(2, 5)]))
    assert [r.verdict for r in run(importer, one)] == [Verdict.ACCEPTED]
    assert [r.verdict for r in run(importer, many)] == [Verdict.ACCEPTED] * 3


def test_changed_unsent_claim_replaces_earlier_version(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore) -> None:
    """A changed claim not yet sent becomes version 2, with a 'replaced' event."""
    doc = make_claim(7, today=TODAY)
    run(importer, write_jsonl(tmp_path / "v1.jsonl", [doc]))
    doc["subscriber"]["group_number"] = "GRP9999"
    (report,) = run(importer, write_jsonl(tmp_path / "v2.jsonl", [doc]))

    assert report.outcome is Outcome.REPLACED
    (claim,) = store.find_by_pcn(doc["patient_control_number"])
    assert claim.version_no == 2
    assert store.document(claim.id, 2)["subscriber"]["group_number"] == "GRP9999"
    assert store.document(claim.id, 1)["subscriber"]["group_number"] != "GRP9999"
    kinds = [e.kind for e in store.timeline(claim.id)]
    assert kinds == ["imported", "replaced"]


def test_refused_claim_fixed_later_becomes_received(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore) -> None:
    """invalid → received when the corrected claim is imported; findings are per version."""
    doc = make_claim(8, today=TODAY)
    good_total = doc["total_charge"]
    doc["total_charge"] = "1.00"
    (first,) = run(importer, write_jsonl(tmp_path / "bad.jsonl", [doc]))
    assert first.verdict is Verdict.REFUSED
    doc["total_charge"] = good_total
    (second,) = run(importer, write_jsonl(tmp_path / "good.jsonl", [doc]))

    assert second.verdict is Verdict.ACCEPTED
    (claim,) = store.find_by_pcn(doc["patient_control_number"])
    assert claim.status is ClaimStatus.RECEIVED
    assert [f.rule for f in store.findings(claim.id, 1)] == ["CLM-001"]
    assert store.findings(claim.id, 2) == []


def test_changed_claim_already_sent_is_locked(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore, clock: FixedClock) -> None:
    """Once sent, a changed import is refused with advice to send a replacement (freq 7)."""
    doc = make_claim(9, today=TODAY)
    (report,) = run(importer, write_jsonl(tmp_path / "v1.jsonl", [doc]))
    assert report.claim_id is not None
    store.transition(report.claim_id, ClaimStatus.RECEIVED, ClaimStatus.BATCHED, clock.now(),
                     source="submission")
    store.transition(report.claim_id, ClaimStatus.BATCHED, ClaimStatus.SENT, clock.now(),
                     source="submission")
    doc["service_lines"][0]["units"] = 2
    (locked,) = run(importer, write_jsonl(tmp_path / "v2.jsonl", [doc]))

    assert locked.verdict is Verdict.LOCKED
    assert [f.rule for f in locked.findings] == ["INT-001"]
    assert "frequency_code 7" in locked.findings[0].message
    claim = store.get(report.claim_id)
    assert (claim.status, claim.version_no) == (ClaimStatus.SENT, 1)


def test_same_claim_twice_in_one_file_is_applied_in_order(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore) -> None:
    """A repeated claim key inside one file: first created, the changed copy replaces it."""
    first = make_claim(10, today=TODAY)
    second = json.loads(json.dumps(first))
    second["subscriber"]["group_number"] = "GRP0001X"
    reports = run(importer, write_jsonl(tmp_path / "dup.jsonl", [first, first, second]))

    assert [r.outcome for r in reports] == [Outcome.CREATED, Outcome.UNCHANGED,
                                            Outcome.REPLACED]
    (claim,) = store.find_by_pcn(first["patient_control_number"])
    assert claim.version_no == 2


def test_bad_rows_do_not_stop_the_file(tmp_path: Path, importer: ClaimImporter) -> None:
    """Broken JSON lines, non-objects and claims without a control number are each refused."""
    good = [make_claim(i, today=TODAY) for i in (20, 21)]
    no_pcn = make_claim(22, today=TODAY)
    del no_pcn["patient_control_number"]
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([json.dumps(good[0]), "{not json", "[1, 2]", json.dumps(no_pcn),
                               json.dumps(good[1])]) + "\n", encoding="utf-8")
    reports = run(importer, path)

    assert [r.verdict for r in reports] == [Verdict.ACCEPTED, Verdict.REFUSED, Verdict.REFUSED,
                                            Verdict.REFUSED, Verdict.ACCEPTED]
    assert [r.ref for r in reports] == ["line 1", "line 2", "line 3", "line 4", "line 5"]
    assert reports[1].findings[0].rule == "FMT-000"
    assert "FMT-001" in {f.rule for f in reports[3].findings}
    assert "INT-002" in {f.rule for f in reports[3].findings}


def test_unparseable_claim_with_identity_is_stored_invalid(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore) -> None:
    """A claim that fails parsing but has a control number can be looked up with its reasons."""
    doc = make_claim(30, today=TODAY)
    doc["service_lines"][0]["service_date"] = "2026-02-30"
    (report,) = run(importer, write_jsonl(tmp_path / "bad-date.jsonl", [doc]))

    assert report.verdict is Verdict.REFUSED
    (claim,) = store.find_by_pcn(doc["patient_control_number"])
    assert claim.status is ClaimStatus.INVALID
    (finding,) = store.findings(claim.id, 1)
    assert (finding.rule, finding.path) == ("FMT-002", "service_lines[0].service_date")


def test_csv_claim_header_must_agree_across_rows(tmp_path: Path, importer: ClaimImporter
                                                 ) -> None:
    """Rows of one claim that disagree on a claim-level column are refused (FMT-004)."""
    doc = make_claim(40, lines=2, today=TODAY)
    path = write_csv(tmp_path / "c.csv", [doc])
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("RIVERSIDE FAMILY MEDICINE", "OTHER CLINIC")
    path.write_text("\n".join(lines) + "\n")
    (report,) = run(importer, path)

    assert report.verdict is Verdict.REFUSED
    assert report.ref == "rows 2-3"
    assert ("FMT-004", "billing_provider.organization_name") in {
        (f.rule, f.path) for f in report.findings}


def test_progress_reports_every_input_unit(tmp_path: Path, importer: ClaimImporter) -> None:
    """The progress callback adds up to the number of CSV rows read."""
    docs = [make_claim(i, lines=3, today=TODAY) for i in range(60)]
    path = write_csv(tmp_path / "p.csv", docs)
    seen: list[int] = []
    list(importer.import_file(path, progress=seen.append))
    assert sum(seen) == 180


def test_replacement_claim_is_linked_to_its_original(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore) -> None:
    """A frequency-7 claim with the payer's number points at the original; both timelines
    say so."""
    original = make_claim(50, today=TODAY)
    run(importer, write_jsonl(tmp_path / "orig.jsonl", [original]))
    replacement = json.loads(json.dumps(original))
    replacement.update(frequency_code="7", payer_claim_control_number="PAYER123")
    (report,) = run(importer, write_jsonl(tmp_path / "repl.jsonl", [replacement]))

    assert report.verdict is Verdict.ACCEPTED and report.claim_id is not None
    first, second = sorted(store.find_by_pcn(original["patient_control_number"]),
                           key=lambda c: c.id)
    assert second.id == report.claim_id and second.original_claim_id == first.id
    assert first.original_claim_id is None
    assert store.timeline(first.id)[-1].kind == "corrected"
    assert store.timeline(second.id)[-1].kind == "links"
