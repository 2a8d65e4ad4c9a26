"""277CA files applied to submitted claims through the real ingestion path."""

from __future__ import annotations

from typing import Any

from gateway.clock import FixedClock
from gateway.domain.status import ClaimStatus
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine
from gateway.store.responses import ResponseStore
from tests.conftest import IngestFn
from tests.responses277.conftest import Sent
from tests.responses277.x277 import (
    CLEARINGHOUSE,
    DAY,
    Ack,
    Claim,
    Line,
    Provider,
    claim_acks,
)

S = ClaimStatus
PCN = [f"PCN{i:08d}" for i in range(6)]


def acks277(store: ClaimStore, claim_id: int) -> list[Any]:
    return [e for e in store.timeline(claim_id) if e.source == "277ca"]


def snapshot(store: ClaimStore, sent: Sent) -> dict[str, tuple[Any, ...]]:
    return {pcn: (store.get(cid).status, store.get(cid).payer_claim_control_number,
                  len(store.timeline(cid))) for pcn, cid in sent.ids.items()}


def test_clearinghouse_a1_then_payer_a2_with_payer_claim_number(
        ingest: IngestFn, store: ClaimStore, sent: Sent) -> None:
    """A1 from the clearinghouse acknowledges; A2 from the payer accepts and keeps REF*1K."""
    claim_id = sent.ids[PCN[0]]
    first = ingest(claim_acks([Ack(source=CLEARINGHOUSE, providers=[Provider(claims=[
        Claim(PCN[0], [f"A1:19:PR*{DAY}*WQ*95"], clearinghouse_trace="CH0001")])])]))
    assert first.outcome == "applied" and first.matched == 1
    assert store.get(claim_id).status is S.ACKNOWLEDGED

    second = ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[0], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="EXHP-ICN-0001")])])],
        control_number=7002))
    assert second.outcome == "applied" and second.applied[0].status_changes == 1
    claim = store.get(claim_id)
    assert claim.status is S.ACCEPTED and claim.payer_claim_control_number == "EXHP-ICN-0001"

    ch, payer = acks277(store, claim_id)
    assert (ch.from_status, ch.to_status, ch.code) == ("sent", "acknowledged", "A1:19:PR")
    assert ch.reason.startswith("clearinghouse SANDBOX CLEARINGHOUSE (id SANDBOXCH): A1 ")
    assert "19 Entity acknowledges receipt of claim/encounter" in ch.reason
    assert "entity PR Payer" in ch.reason and "clearinghouse trace CH0001" in ch.reason
    assert (payer.from_status, payer.to_status, payer.kind) == ("acknowledged", "accepted",
                                                                "accepted")
    assert payer.reason.startswith("payer EXAMPLE HEALTH PLAN (id EXHP1): A2 ")
    assert "payer claim control number EXHP-ICN-0001" in payer.reason
    assert payer.source_ref == "ack277-2.txt" and payer.at > ch.at
    summary = second.applied[0].summary
    assert summary["answered_by"] == "payer" and summary["categories"] == {"A2": 1}


def test_a7_rejection_reads_in_words(ingest: IngestFn, store: ClaimStore, sent: Sent) -> None:
    """A7:562:85 rejects the claim; the reason explains every code and keeps the message."""
    message = "BILLING PROVIDER NPI NOT ENROLLED WITH PLAN " * 8
    result = ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[1], [f"A7:562:85*{DAY}*U*150********{message.strip()}"])])])]))
    assert result.applied[0].status_changes == 1
    assert store.get(sent.ids[PCN[1]]).status is S.REJECTED
    (event,) = acks277(store, sent.ids[PCN[1]])
    assert (event.to_status, event.code, event.kind) == ("rejected", "A7:562:85", "rejected")
    assert "A7 Acknowledgement/Rejected for Invalid Information" in event.reason
    assert "562 Entity's National Provider Identifier (NPI)" in event.reason
    assert "entity 85 Billing Provider" in event.reason and "status date 2026-11-29" in event.reason
    quoted = event.reason.split('message "')[1].rstrip('"')
    assert len(quoted) == 200 and message.startswith(quoted)


def test_a2_after_payment_is_an_event_only(ingest: IngestFn, store: ClaimStore, sent: Sent,
                                          clock: FixedClock) -> None:
    """A late A2 leaves a paid claim paid and does not overwrite its payer claim number."""
    claim_id = sent.ids[PCN[2]]
    ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[2], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="ICN-FIRST")])])]))
    store.transition(claim_id, S.ACCEPTED, S.PAID, clock.now(), source="835", reason="paid")

    late = ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[2], ["A2:20:PR*20261130*WQ*95"], payer_claim_control_number="ICN-OTHER")
    ])])], control_number=7002))
    assert late.applied[0].matched == 1 and late.applied[0].status_changes == 0
    claim = store.get(claim_id)
    assert claim.status is S.PAID and claim.payer_claim_control_number == "ICN-FIRST"
    last = store.timeline(claim_id)[-1]
    assert (last.source, last.from_status, last.to_status, last.code) == (
        "277ca", None, None, "A2:20:PR")


def test_provider_level_rejection(ingest: IngestFn, store: ClaimStore, sent: Sent,
                                  engine: Engine) -> None:
    """A rejected provider rejects its listed claims; one listing none changes nothing."""
    result = ingest(claim_acks([Ack(providers=[
        Provider(stcs=["A3:24:85**U*200"], npi="1234567893", claims=[
            Claim(PCN[0], [f"A3:24:85*{DAY}*U*95"]), Claim(PCN[2], [f"A3:24:85*{DAY}*U*95"])]),
        Provider(stcs=["A3:562:85**U*300"], npi="1112223338", rejected_count=3),
    ])]))
    applied = result.applied[0]
    assert applied.matched == 2 and applied.status_changes == 2
    for pcn in (PCN[0], PCN[2]):
        provider_level, own = acks277(store, sent.ids[pcn])
        assert provider_level.to_status == "rejected" and own.to_status is None
        assert "provider-level (2200C, billing provider NPI 1234567893) rejection" in \
            provider_level.reason
        assert "24 Entity not approved as an electronic submitter" in provider_level.reason
    assert all(store.get(sent.ids[p]).status is S.SENT for p in (PCN[1], PCN[3]))
    listed, note = applied.summary["notes"]
    assert "applied to the 2 claim(s) this 277CA lists under it" in listed
    assert "billing provider NPI 1112223338" in note and "lists none of its claims" in note
    assert "3 rejected by its count" in note
    (row,) = ResponseStore(engine).responses_of_file(result.file_id)
    assert row["status"] == "applied" and row["summary"]["providers"][1]["claims_listed"] == 0


def test_batch_level_rejection(ingest: IngestFn, store: ClaimStore, sent: Sent) -> None:
    """A rejected batch rejects the claims listed under it; listing none touches none."""
    empty = ingest(claim_acks([Ack(source=CLEARINGHOUSE,
                                   receiver_stcs=[f"A3:24:41*{DAY}*U*500"])]))
    assert empty.outcome == "applied" and empty.matched == 0
    assert "the 277CA lists none of its claims" in empty.applied[0].summary["notes"][0]
    assert all(store.get(cid).status is S.SENT for cid in sent.ids.values())

    listed = ingest(claim_acks([Ack(source=CLEARINGHOUSE,
                                    receiver_stcs=[f"A3:24:41*{DAY}*U*95"],
                                    providers=[Provider(claims=[
                                        Claim(PCN[4], [f"A3:24:41*{DAY}*U*95"])])])],
                               control_number=7002))
    assert listed.applied[0].status_changes == 1
    batch, _own = acks277(store, sent.ids[PCN[4]])
    assert batch.to_status == "rejected" and "batch-level (2200B, batch 0000000010001)" in \
        batch.reason


def test_line_level_rejection_names_the_line(ingest: IngestFn, store: ClaimStore,
                                             sent: Sent) -> None:
    """SVC + STC + REF*FJ: the claim's event names the line and what is wrong with it."""
    ingest(claim_acks([Ack(source=CLEARINGHOUSE, providers=[Provider(claims=[Claim(
        PCN[3], [f"A3:21:82*{DAY}*U*140"],
        lines=[Line(f"A7:454*{DAY}*U", "HC:99214", "140.00", "L3-1")])])])]))
    (event,) = acks277(store, sent.ids[PCN[3]])
    assert event.to_status == "rejected" and event.code == "A3:21:82"
    assert "line L3-1 (HC:99214, charge 140.00): A7 " in event.reason
    assert "454 Procedure code for services rendered" in event.reason


def test_unmatched_trn02_is_kept(ingest: IngestFn, engine: Engine, sent: Sent,
                                 store: ClaimStore) -> None:
    """A claim we never sent is reported as unmatched with its codes; others still apply."""
    result = ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim("NOT-OURS-1", [f"A7:33:IL*{DAY}*U*80"]),
        Claim(PCN[5], [f"A2:20:PR*{DAY}*WQ*95"])])])]))
    applied = result.applied[0]
    assert (applied.matched, applied.unmatched) == (1, 1)
    (item,) = applied.unmatched_items
    assert (item["pcn"], item["category"], item["status_code"]) == ("NOT-OURS-1", "A7", "33")
    assert store.get(sent.ids[PCN[5]]).status is S.ACCEPTED
    (row,) = ResponseStore(engine).unmatched()
    assert row["kind"] == "277CA" and row["status"] == "partly_matched"
    assert row["unmatched_items"][0]["pcn"] == "NOT-OURS-1"


def test_event_only_category_and_several_stc(ingest: IngestFn, store: ClaimStore,
                                              sent: Sent) -> None:
    """Several STCs land in order; a pending (P1) category never moves the status."""
    result = ingest(claim_acks([Ack(providers=[Provider(claims=[Claim(PCN[1], [
        f"A1:19:PR*{DAY}*WQ*95", f"A2:20:PR*{DAY}*WQ*95", f"P1:1*{DAY}*WQ*95"])])])]))
    assert result.applied[0].status_changes == 2
    events = acks277(store, sent.ids[PCN[1]])
    assert [(e.code, e.to_status, e.kind) for e in events] == [
        ("A1:19:PR", "acknowledged", "acknowledged"), ("A2:20:PR", "accepted", "accepted"),
        ("P1:1", None, "status")]
    assert "P1 Pending/In Process" in events[2].reason


def test_same_file_twice_is_a_duplicate(ingest: IngestFn, store: ClaimStore,
                                        sent: Sent) -> None:
    """The same bytes again are recorded as a duplicate and change nothing."""
    text = claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[0], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="ICN-1")])])])
    assert ingest(text, "a.txt").outcome == "applied"
    before = snapshot(store, sent)
    again = ingest(text, "a-again.txt")
    assert again.outcome == "duplicate" and snapshot(store, sent) == before


def test_all_files_again_in_another_order_change_nothing(ingest: IngestFn, store: ClaimStore,
                                                         sent: Sent) -> None:
    """Statuses, payer numbers and event counts stay put, even for re-enveloped copies."""
    sets = [
        [Ack(source=CLEARINGHOUSE, providers=[Provider(claims=[
            Claim(p, [f"A1:19:PR*{DAY}*WQ*95"]) for p in PCN[:4]])])],
        [Ack(providers=[Provider(claims=[
            Claim(PCN[0], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="ICN-0"),
            Claim(PCN[1], [f"A7:562:85*{DAY}*U*95"]),
            Claim("NOT-OURS", [f"A7:33:IL*{DAY}*U*95"])])])],
        [Ack(providers=[Provider(claims=[
            Claim(PCN[2], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="ICN-2")]),
            Provider(stcs=["A3:24:85**U*95"], npi="1112223338", claims=[
                Claim(PCN[3], [f"A3:24:85*{DAY}*U*95"])])])],
    ]
    files = [claim_acks(s, control_number=7001 + n) for n, s in enumerate(sets)]
    for n, text in enumerate(files):
        assert ingest(text, f"f{n}.txt").outcome == "applied"
    before = snapshot(store, sent)
    assert [before[p][0] for p in PCN] == [S.ACCEPTED, S.REJECTED, S.ACCEPTED, S.REJECTED,
                                           S.SENT, S.SENT]

    for n, text in reversed(list(enumerate(files))):
        assert ingest(text, f"again-{n}.txt").outcome == "duplicate"
    assert snapshot(store, sent) == before

    # The same statements in new envelopes (other bytes): read, but recorded once only.
    for n, s in reversed(list(enumerate(sets))):
        copy = ingest(claim_acks(s, control_number=8001 + n), f"copy-{n}.txt")
        assert copy.outcome == "applied" and copy.applied[0].status_changes == 0
        assert copy.applied[0].summary["events"] == 0
        assert copy.applied[0].summary["already_recorded"] > 0
    assert snapshot(store, sent) == before


def test_payer_answer_before_clearinghouse_answer(ingest: IngestFn, store: ClaimStore,
                                                  sent: Sent) -> None:
    """A payer A2 read before the clearinghouse A1: accepted, the late A1 is an event only."""
    ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[5], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="ICN-5")])])]))
    late = ingest(claim_acks([Ack(source=CLEARINGHOUSE, providers=[Provider(claims=[
        Claim(PCN[5], [f"A1:19:PR*{DAY}*WQ*95"])])])], control_number=7002))
    assert late.applied[0].status_changes == 0
    claim = store.get(sent.ids[PCN[5]])
    assert claim.status is S.ACCEPTED and claim.payer_claim_control_number == "ICN-5"
    assert [e.to_status for e in acks277(store, sent.ids[PCN[5]])] == ["accepted", None]


def test_corrected_claim_gets_its_new_payer_number(ingest: IngestFn, store: ClaimStore,
                                                   sent: Sent) -> None:
    """A rejection's REF*1K is kept; a later acceptance that moves the claim replaces it."""
    ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[4], [f"A3:187:PR*{DAY}*U*95"], payer_claim_control_number="ICN-REJ")])])]))
    assert store.get(sent.ids[PCN[4]]).payer_claim_control_number == "ICN-REJ"
    ingest(claim_acks([Ack(providers=[Provider(claims=[
        Claim(PCN[4], [f"A2:20:PR*{DAY}*WQ*95"], payer_claim_control_number="ICN-OK")])])],
        control_number=7002))
    claim = store.get(sent.ids[PCN[4]])
    assert claim.status is S.ACCEPTED and claim.payer_claim_control_number == "ICN-OK"


def test_findings_are_kept_and_file_still_applied(ingest: IngestFn, engine: Engine,
                                                  sent: Sent, store: ClaimStore) -> None:
    """A 277CA pyx12 finds guide-level errors in is applied, its findings kept on the row."""
    result = ingest(claim_acks([Ack(providers=[
        Provider(claims=[Claim(PCN[0], [f"A2:20:PR*{DAY}*WQ*95"])]),
        Provider(stcs=["A3:24:85**U*95"], npi="1112223338", rejected_count=1)])]))
    assert result.outcome == "applied"
    (row,) = ResponseStore(engine).responses_of_file(result.file_id)
    assert row["findings"], "the provider level without patients is a guide-level finding"
    assert store.get(sent.ids[PCN[0]]).status is S.ACCEPTED
