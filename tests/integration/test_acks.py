"""TA1 and 999 files applied to submitted claims, through the real ingestion path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.clock import FixedClock
from gateway.domain.status import ClaimStatus
from gateway.intake.importer import ClaimImporter
from gateway.responses.ingest import ResponseIngestor
from gateway.samples.factory import make_claim
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine
from gateway.store.responses import ResponseStore
from gateway.store.submission import SubmissionStore
from gateway.x12.tokenizer import segments
from gateway.x12.writer import seg
from tests import builders
from tests.integration.test_submission import import_claims, make_submitter, sandbox

TODAY = dt.date(2026, 11, 28)
S = ClaimStatus



@dataclass(frozen=True)
class Sent:
    pcns: list[str]
    clm: dict[str, int]  # patient control number -> CLM position in its set (ST = 1)
    isa13: int
    gs06: int


@pytest.fixture
def sent(engine: Engine, importer: ClaimImporter, clock: FixedClock, tmp_path: Path) -> Sent:
    """Five claims submitted in sets of two (ST 0001, 0002, 0003) and uploaded."""
    docs = [make_claim(i, today=TODAY) for i in range(1, 6)]
    import_claims(importer, tmp_path, docs)
    result = make_submitter(engine, clock, tmp_path,
                            [sandbox(envelope={"claims_per_transaction": 2})]).submit("sandbox")
    assert result.file_id is not None and result.file_path is not None
    SubmissionStore(engine).mark_file_sent(result.file_id, clock.now())
    text = result.file_path.read_text()
    clm_positions: dict[str, int] = {}
    st_start = 0
    for _, s in segments(text):
        if s.id == "ST":
            st_start = s.position
        if s.id == "CLM":
            clm_positions[s.get(1)] = s.position - st_start + 1
    assert result.control_number is not None
    return Sent([d["patient_control_number"] for d in docs], clm_positions,
                result.control_number, result.control_number)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def status_of(store: ClaimStore, pcn: str) -> ClaimStatus:
    (claim,) = store.find_by_pcn(pcn)
    return claim.status


def test_999_applies_per_set_and_charges_errors_to_their_claim(
        ingestor: ResponseIngestor, store: ClaimStore, sent: Sent,
        tmp_path: Path) -> None:
    """Set 1 accepted, set 2 rejected for an error in its 2nd claim, set 3 accepted w/ errors."""
    pcns, clm = sent.pcns, sent.clm
    text = builders.ack999(sent.gs06, [
        [seg("AK2", "837", "0001"), seg("IK5", "A")],
        [seg("AK2", "837", "0002"), seg("IK3", "CLM", str(clm[pcns[3]]), "2300", "8"),
         seg("IK4", ("5", "3"), "1325", "7"), seg("IK5", "R", "5")],
        [seg("AK2", "837", "0003"), seg("IK3", "DTP", str(clm[pcns[4]] + 1), "2300", "8"),
         seg("IK4", "3", "1251", "8"), seg("IK5", "E")],
    ], "P")
    (result,) = [ingestor.import_file(write(tmp_path, "ack.999", text), "sandbox")]

    assert result.outcome == "applied" and result.matched == 5 and result.unmatched == 0
    assert [status_of(store, p) for p in pcns] == [
        S.ACK_ACCEPTED, S.ACK_ACCEPTED, S.ACK_REJECTED, S.ACK_REJECTED, S.ACK_ACCEPTED]
    (guilty,) = store.find_by_pcn(pcns[3])
    reason = store.timeline(guilty.id)[-1].reason or ""
    assert "segment CLM at position" in reason and "invalid code value" in reason
    (bystander,) = store.find_by_pcn(pcns[2])
    assert "whole set was rejected" in (store.timeline(bystander.id)[-1].reason or "")
    (noted,) = store.find_by_pcn(pcns[4])
    last = store.timeline(noted.id)[-1]
    assert last.code == "IK5 E" and "invalid date" in (last.reason or "")


def test_ta1_rejection_marks_every_claim_of_the_interchange(
        ingestor: ResponseIngestor, store: ClaimStore, sent: Sent,
        tmp_path: Path) -> None:
    """TA1 R 006: every claim of the interchange is envelope_rejected, note explained."""
    text = builders.ta1(sent.isa13, "R", "006")
    result = ingestor.import_file(write(tmp_path, "ta1.txt", text), "sandbox")
    assert result.kinds == ["TA1"] and result.matched == 5
    pcns = sent.pcns
    assert {status_of(store, p) for p in pcns} == {S.ENVELOPE_REJECTED}
    (claim,) = store.find_by_pcn(pcns[0])
    assert "invalid interchange sender ID" in (store.timeline(claim.id)[-1].reason or "")


def test_ta1_duplicate_of_our_own_retransmission_rejects_nothing(
        ingestor: ResponseIngestor, store: ClaimStore, sent: Sent,
        tmp_path: Path) -> None:
    """TA1 R 025 can only answer a repeated upload (ISA13 is never reused): noted, no
    claim rejected."""
    text = builders.ta1(sent.isa13, "R", "025")
    result = ingestor.import_file(write(tmp_path, "ta1.txt", text), "sandbox")
    assert result.matched == 5
    assert {status_of(store, p) for p in sent.pcns} == {S.SENT}
    (claim,) = store.find_by_pcn(sent.pcns[0])
    last = store.timeline(claim.id)[-1]
    assert last.code == "TA1 R 025" and "first copy stands" in (last.reason or "")


def test_same_file_twice_and_unknown_group_are_kept_not_applied(
        ingestor: ResponseIngestor, store: ClaimStore, sent: Sent,
        tmp_path: Path) -> None:
    """A repeated file is a duplicate; a 999 for a group we never sent is kept as unmatched."""
    text = builders.ack999(sent.gs06, [
        [seg("AK2", "837", "0001"), seg("IK5", "A")]], "A")
    path = write(tmp_path, "a.999", text)
    first = ingestor.import_file(path, "sandbox")
    events = [len(store.timeline(c.id)) for c in store.find_by_pcn(sent.pcns[0])]
    again = ingestor.import_file(path, "sandbox")
    assert (first.outcome, again.outcome) == ("applied", "duplicate")
    assert [len(store.timeline(c.id)) for c in store.find_by_pcn(sent.pcns[0])] == events

    stranger = builders.ack999(424242, [[seg("AK2", "837", "0001"), seg("IK5", "A")]], "A",
                               control_number=9300)
    odd = ingestor.import_file(write(tmp_path, "b.999", stranger), "sandbox")
    assert odd.outcome == "applied" and odd.matched == 0 and odd.unmatched == 1
    (row,) = ResponseStore(ingestor.responses.engine).unmatched()
    assert row["unmatched_items"] == [{"group": "424242", "function": "HC", "ack": "A"}]


def test_bad_file_is_quarantined_and_the_next_one_still_applies(
        ingestor: ResponseIngestor, store: ClaimStore, sent: Sent,
        tmp_path: Path) -> None:
    """A 999 with a wrong SE count is quarantined with its reason; a good file after it works."""
    good = builders.ack999(sent.gs06, [
        [seg("AK2", "837", "0001"), seg("IK5", "A")]], "A")
    broken = good.replace("SE*6*0001", "SE*7*0001")
    assert broken != good
    bad = ingestor.import_file(write(tmp_path, "bad.999", broken), "sandbox")
    ok = ingestor.import_file(write(tmp_path, "good.999", good), "sandbox")
    assert bad.outcome == "quarantined" and "SE01" in (bad.reason or "")
    assert ok.outcome == "applied"
    (row,) = ingestor.responses.quarantined()
    assert row["id"] == bad.file_id and "SE01" in row["error"]
    pcns = sent.pcns
    assert status_of(store, pcns[0]) is S.ACK_ACCEPTED

    retried = ingestor.retry(bad.file_id)
    assert retried.outcome == "quarantined"  # same bytes, same verdict: still kept


def test_late_999_after_277ca_style_progress_does_not_move_claims_back(
        ingestor: ResponseIngestor, store: ClaimStore, sent: Sent,
        engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    """A 999 read after the claim moved on is recorded on the timeline without a status change."""
    pcns = sent.pcns
    (claim,) = store.find_by_pcn(pcns[0])
    store.transition(claim.id, S.SENT, S.ACCEPTED, clock.now(), source="277ca")
    text = builders.ack999(sent.gs06, [
        [seg("AK2", "837", "0001"), seg("IK5", "A")]], "A")
    ingestor.import_file(write(tmp_path, "late.999", text), "sandbox")
    assert status_of(store, pcns[0]) is S.ACCEPTED
    last = store.timeline(claim.id)[-1]
    assert (last.source, last.to_status, last.code) == ("999", None, "IK5 A")
