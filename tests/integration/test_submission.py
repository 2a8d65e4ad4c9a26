"""Submission against a real database and pyx12: routing, control numbers, validation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.clock import FixedClock
from gateway.domain.interchanges import InterchangeStatus
from gateway.domain.status import ClaimStatus
from gateway.intake.importer import ClaimImporter
from gateway.partners import PartnerDirectory, TradingPartner, load_partners
from gateway.samples.factory import make_claim
from gateway.store.claims import ClaimFilter, ClaimStore
from gateway.store.db import Engine
from gateway.store.models import FileRow, Interchange
from gateway.store.submission import SubmissionStore
from gateway.submission.submit import Submitter
from gateway.x12.tokenizer import segments
from gateway.x12.validate import validate
from x12_maps import p837_writer
from x12_maps.p837_writer import Party

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)
DESK = Party("ACME BILLING", "ACMEBILL01", "EDI DESK", "6155551212")


def sandbox(**changes: Any) -> TradingPartner:
    base = load_partners(REPO / "config" / "partners").get("sandbox")
    envelope = base.envelope.model_copy(update=changes.pop("envelope", {}))
    return base.model_copy(update={"envelope": envelope, **changes})


def make_submitter(engine: Engine, clock: FixedClock, tmp_path: Path,
                   partners: list[TradingPartner], **kw: Any) -> Submitter:
    return Submitter(SubmissionStore(engine), PartnerDirectory(partners), clock,
                     outbox_dir=tmp_path / "outbox", default_submitter=DESK,
                     max_claims=kw.get("max_claims", 20_000),
                     stale_after=kw.get("stale_after", dt.timedelta(minutes=10)))


def import_claims(importer: ClaimImporter, tmp_path: Path, docs: list[dict[str, Any]],
                  name: str = "claims.jsonl") -> None:
    path = tmp_path / name
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    reports = list(importer.import_file(path))
    assert all(r.verdict.value == "accepted" for r in reports), [r.findings for r in reports]


def envelope_facts(text: str) -> dict[str, Any]:
    """Counts and control numbers read back from an interchange's text."""
    segs = [s for _, s in segments(text)]
    sts = [s for s in segs if s.id == "ST"]
    facts: dict[str, Any] = {"isa13": segs[0].get(13), "iea": (segs[-1].get(1), segs[-1].get(2)),
                             "gs06": next(s.get(6) for s in segs if s.id == "GS"),
                             "ge": next((s.get(1), s.get(2)) for s in segs if s.id == "GE"),
                             "sets": len(sts), "clm": sum(s.id == "CLM" for s in segs)}
    se_ok = []
    start = 0
    for i, s in enumerate(segs):
        if s.id == "ST":
            start = i
        if s.id == "SE":
            se_ok.append(int(s.get(1)) == i - start + 1 and s.get(2) == segs[start].get(2))
    facts["se_counts_right"] = all(se_ok) and len(se_ok) == len(sts)
    return facts


def test_ready_claims_become_one_validated_interchange(
        engine: Engine, store: ClaimStore, importer: ClaimImporter, clock: FixedClock,
        tmp_path: Path) -> None:
    """Claims in → one file in the outbox that pyx12 accepts; claims batched, file pending."""
    import_claims(importer, tmp_path, [make_claim(i, today=TODAY) for i in range(7)])
    partner = sandbox(envelope={"claims_per_transaction": 3})
    result = make_submitter(engine, clock, tmp_path, [partner]).submit("sandbox")

    assert result.claims_sent_to_outbox == 7 and not result.validation_failed
    assert result.file_path is not None and result.file_path.parent == tmp_path / "outbox" / \
        "sandbox"
    text = result.file_path.read_text()
    assert validate(text).clean
    facts = envelope_facts(text)
    assert facts["sets"] == 3 and facts["clm"] == 7 and facts["se_counts_right"]
    assert facts["isa13"] == "000000001" == facts["iea"][1]
    assert facts["ge"] == ("3", facts["gs06"]) and facts["iea"][0] == "1"
    assert oct(result.file_path.stat().st_mode & 0o777) == "0o600"
    assert store.counts_by_status() == {ClaimStatus.BATCHED: 7}
    with engine.connect() as conn:
        (status, file_id) = conn.execute(select(Interchange.status, Interchange.file_id)).one()
        file_status = conn.execute(select(FileRow.status)).scalar_one()
    assert (status, file_id, file_status) == ("ready", result.file_id, "pending")


def test_nothing_ready_uses_no_control_number(engine: Engine, clock: FixedClock,
                                              tmp_path: Path) -> None:
    """An empty run allocates nothing: control numbers are only spent on interchanges."""
    submitter = make_submitter(engine, clock, tmp_path, [sandbox()])
    assert submitter.submit("sandbox").control_number is None
    with engine.connect() as conn:
        assert conn.execute(select(Interchange.id)).first() is None


def test_routing_by_payer_default_partner_and_held_claims(
        engine: Engine, store: ClaimStore, importer: ClaimImporter, clock: FixedClock,
        tmp_path: Path) -> None:
    """Payers listed by a partner go there; others to the default; none → held, then freed."""
    docs = [make_claim(i, today=TODAY) for i in range(6)]  # payers EXHP1..EXHP3
    import_claims(importer, tmp_path, docs)
    payers = {d["patient_control_number"]: d["payer"]["payer_id"] for d in docs}
    special = sandbox(name="special", default=False, payer_ids=["EXHP2"],
                      envelope={"receiver_id": "SPECIALCH"})
    no_default = sandbox(default=False)

    held = make_submitter(engine, clock, tmp_path, [special, no_default]).submit("special")
    assert held.held == 4  # EXHP1 and EXHP3 have no route without a default
    sent_pcns = {c.patient_control_number for c in store.list_claims(
        ClaimFilter(statuses=[ClaimStatus.BATCHED]))}
    assert sent_pcns == {p for p, payer in payers.items() if payer == "EXHP2"}
    held_claim = store.list_claims(ClaimFilter(statuses=[ClaimStatus.HELD]))[0]
    assert store.timeline(held_claim.id)[-1].code == "NO-ROUTE"

    freed = make_submitter(engine, clock, tmp_path, [special, sandbox()]).submit("sandbox")
    assert freed.claims_sent_to_outbox == 4
    assert store.counts_by_status() == {ClaimStatus.BATCHED: 6}


def test_validation_failure_charges_the_guilty_claim_and_requeues_the_rest(
        engine: Engine, store: ClaimStore, importer: ClaimImporter, clock: FixedClock,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer bug in one claim: nothing reaches the outbox, that claim fails, others wait."""
    docs = [make_claim(i, today=TODAY) for i in range(3)]
    import_claims(importer, tmp_path, docs)
    guilty = docs[1]["patient_control_number"]
    real_line = p837_writer._line

    def broken_line(out: Any, n: int, line: Any, pos: str, ids: tuple[int, ...]) -> None:
        real_line(out, n, line, pos, ids)
        if out.segments[-1][0] == "REF" and str(out.segments[-1][2]).startswith("L1-"):
            # A writer bug: a place-of-service code that does not exist, in claim 1 only.
            sv1 = next(i for i in range(len(out.segments) - 1, -1, -1)
                       if out.segments[i][0] == "SV1")
            out.segments[sv1] = (*out.segments[sv1][:5], "XX")

    monkeypatch.setattr(p837_writer, "_line", broken_line)
    submitter = make_submitter(engine, clock, tmp_path, [sandbox()])
    result = submitter.submit("sandbox")

    outbox = tmp_path / "outbox" / "sandbox"
    assert result.file_path is None
    assert not outbox.exists() or not any(outbox.iterdir())
    (failed_id,) = result.validation_failed
    failed = store.get(failed_id)
    assert failed.patient_control_number == guilty
    assert failed.status is ClaimStatus.VALIDATION_FAILED
    findings = store.findings(failed_id, failed.version_no)
    assert findings and all(f.rule.startswith("X12-") for f in findings)
    assert any("SV1" in f.path for f in findings)
    assert store.counts_by_status() == {ClaimStatus.RECEIVED: 2,
                                        ClaimStatus.VALIDATION_FAILED: 1}
    with engine.connect() as conn:
        assert conn.execute(select(Interchange.status)).scalar_one() == "invalid"

    monkeypatch.setattr(p837_writer, "_line", real_line)
    retry = submitter.submit("sandbox")
    assert retry.control_number == 2  # the failed interchange's number is never reused
    assert retry.claims_sent_to_outbox == 2


def test_half_built_interchange_of_a_dead_run_is_abandoned_and_requeued(
        engine: Engine, store: ClaimStore, importer: ClaimImporter, clock: FixedClock,
        tmp_path: Path) -> None:
    """Claims reserved by a run that died are re-queued; its control number stays burned."""
    import_claims(importer, tmp_path, [make_claim(i, today=TODAY) for i in range(4)])
    sub_store = SubmissionStore(engine)
    submitter = make_submitter(engine, clock, tmp_path, [sandbox()],
                               stale_after=dt.timedelta(minutes=5))
    from gateway.submission.submit import _envelope_ids

    reservation = sub_store.reserve("sandbox", _envelope_ids(sandbox()),
                                    sub_store.candidates(), clock.now())
    assert reservation is not None  # ...and the run dies here, before rendering.
    assert store.counts_by_status() == {ClaimStatus.BATCHED: 4}

    clock.advance(dt.timedelta(minutes=1))
    too_early = submitter.submit("sandbox")
    assert too_early.requeued_stale == 0 and too_early.control_number is None

    clock.advance(dt.timedelta(minutes=10))
    later = submitter.submit("sandbox")
    assert later.requeued_stale == 1
    assert later.control_number == reservation.control_number + 1
    assert later.claims_sent_to_outbox == 4
    with engine.connect() as conn:
        statuses = {n: s for n, s in conn.execute(
            select(Interchange.control_number, Interchange.status))}
    assert statuses == {reservation.control_number: InterchangeStatus.ABANDONED.value,
                        later.control_number: InterchangeStatus.READY.value}


def test_upload_marks_claims_sent(engine: Engine, store: ClaimStore, importer: ClaimImporter,
                                  clock: FixedClock, tmp_path: Path) -> None:
    """After the file is uploaded, every claim in it moves batched → sent with the file name."""
    import_claims(importer, tmp_path, [make_claim(i, today=TODAY) for i in range(3)])
    result = make_submitter(engine, clock, tmp_path, [sandbox()]).submit("sandbox")
    assert result.file_id is not None
    moved = SubmissionStore(engine).mark_file_sent(result.file_id, clock.now())
    assert len(moved) == 3
    assert store.counts_by_status() == {ClaimStatus.SENT: 3}
    event = store.timeline(moved[0])[-1]
    assert (event.kind, event.code) == ("sent", "ISA13 000000001")
    assert result.file_path is not None and event.source_ref == result.file_path.name


@pytest.mark.slow
def test_ten_thousand_claims_over_many_runs_never_repeat_a_control_number(
        engine: Engine, importer: ClaimImporter, clock: FixedClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """10,000 claims, runs of ≤1,500, some failing validation: ISA13 unique, counts right."""
    docs = [make_claim(i, lines=1, today=TODAY) for i in range(10_000)]
    import_claims(importer, tmp_path, docs)
    submitter = make_submitter(engine, clock, tmp_path,
                               [sandbox(envelope={"claims_per_transaction": 700})],
                               max_claims=1500)
    real_claim = p837_writer._claim
    runs = 0
    failed_runs = 0
    while True:
        ids_in_run = [c.id for c in submitter.store.candidates()]
        if not ids_in_run:
            break
        runs += 1
        if runs % 3 == 0:
            # Every third run a writer bug breaks its first claim: the run must fail whole.
            def broken(out: Any, c: Any, ids: tuple[int, ...], first: int = min(ids_in_run)
                       ) -> None:
                real_claim(out, c, ids)
                if ids[0] == first:
                    out.segments[-1] = ("DTP", "472", "D8", "20261399")
            monkeypatch.setattr(p837_writer, "_claim", broken)
        else:
            monkeypatch.setattr(p837_writer, "_claim", real_claim)
        result = submitter.submit("sandbox")
        failed_runs += bool(result.validation_failed)
        clock.advance(dt.timedelta(seconds=61))
    assert failed_runs >= 2

    texts = [p.read_text() for p in sorted((tmp_path / "outbox" / "sandbox").iterdir())]
    facts = [envelope_facts(t) for t in texts]
    isa13s = [f["isa13"] for f in facts]
    assert len(isa13s) == len(set(isa13s))
    assert all(f["se_counts_right"] and f["iea"] == ("1", f["isa13"]) and
               f["ge"][1] == f["gs06"] and int(f["ge"][0]) == f["sets"] for f in facts)
    assert sum(f["clm"] for f in facts) == 10_000 - failed_runs
    with engine.connect() as conn:
        numbers = conn.execute(select(Interchange.control_number)).scalars().all()
    assert len(numbers) == len(set(numbers)) == runs
