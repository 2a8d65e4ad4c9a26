"""Importing an 837P file (one we wrote) through intake, against a real database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from gateway.domain.claim import Claim
from gateway.domain.status import ClaimStatus
from gateway.intake.importer import ClaimImporter, Verdict
from gateway.partners import load_partners
from gateway.samples.factory import make_claim
from gateway.store.claims import ClaimStore
from gateway.submission.interchange import build_interchange
from x12_maps.p837_normalize import as_sent
from x12_maps.p837_writer import ClaimToSend, Party

TODAY = dt.date(2026, 11, 28)
PARTNERS = Path(__file__).parents[2] / "config" / "partners"
SUBMITTER = Party("ACME BILLING", "ACMEBILL01", "EDI DESK", "6155551212")


def write_837(path: Path, docs: list[dict[str, Any]]) -> tuple[Path, list[Claim]]:
    claims = [Claim.model_validate(doc) for doc in docs]
    partner = load_partners(PARTNERS).get("sandbox")
    built = build_interchange(
        [(SUBMITTER, [ClaimToSend(n, c) for n, c in enumerate(claims, start=1)])],
        partner=partner, control_number=42, group_control_number=42,
        created=dt.datetime(2026, 11, 28, 8, 0))
    path.write_text(built.text, encoding="ascii")
    receiver = Party(partner.receiver.name, partner.receiver.id)
    return path, [as_sent(c, submitter=SUBMITTER, receiver=receiver) for c in claims]


def test_837_we_wrote_imports_as_accepted_claims(tmp_path: Path, importer: ClaimImporter,
                                                 store: ClaimStore) -> None:
    """An 837P of 12 factory claims (some with dependants): every claim accepted and
    stored as received, its document the claim as sent; a second import changes nothing."""
    docs = [make_claim(i, today=TODAY) for i in range(1, 13)]
    path, expected = write_837(tmp_path / "from-elsewhere.837", docs)

    reports = list(importer.import_file(path))

    assert [r.verdict for r in reports] == [Verdict.ACCEPTED] * 12, [
        (r.ref, [f.rule for f in r.findings]) for r in reports if r.verdict]
    assert all(r.ref.startswith("CLM at segment ") for r in reports)
    assert store.counts_by_status()[ClaimStatus.RECEIVED] == 12
    by_pcn = {c.patient_control_number: c for c in expected}
    for report in reports:
        assert report.claim_id is not None and report.patient_control_number is not None
        (summary,) = store.find_by_pcn(report.patient_control_number, "ACMEBILL01")
        stored = Claim.model_validate(store.document(summary.id, summary.version_no))
        assert stored == by_pcn[report.patient_control_number]

    again = list(importer.import_file(path))
    assert {r.verdict for r in again} == {Verdict.UNCHANGED}


def test_837_claim_the_reader_refuses_is_reported_and_the_rest_imported(
        tmp_path: Path, importer: ClaimImporter, store: ClaimStore) -> None:
    """An ICD-9 claim in the file is refused with X12-READ; the other claims go in."""
    path, _ = write_837(tmp_path / "mixed.x12", [make_claim(i, today=TODAY) for i in (1, 2, 3)])
    text = path.read_text(encoding="ascii")
    hi = text.index("~HI*", text.index("CLM*PCN00000002"))
    path.write_text(text[:hi] + "~HI*BK:4659" + text[text.index("~", hi + 1):],
                    encoding="ascii")

    reports = list(importer.import_file(path))

    verdicts = sorted(r.verdict.value for r in reports)
    assert verdicts == ["accepted", "accepted", "refused"]
    (refused,) = [r for r in reports if r.verdict is Verdict.REFUSED]
    assert "X12-READ" in {f.rule for f in refused.findings}
    assert store.counts_by_status()[ClaimStatus.RECEIVED] == 2
