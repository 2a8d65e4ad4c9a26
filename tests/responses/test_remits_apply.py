"""835 remittances against a real database: claims sent, 835s ingested, payments posted once."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from typer import Typer
from typer.testing import CliRunner

from gateway.cli_remits import register
from gateway.domain.status import ClaimStatus
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine
from gateway.store.models import ClaimEvent, ClaimRow, Remittance, RemittanceClaim, ResponseRow
from gateway.store.remits import RemitFilter, RemitStore
from gateway.store.resp_835 import ALREADY_POSTED, posted_totals
from gateway.store.responses import ResponseStore
from tests.conftest import IngestFn
from tests.responses.conftest import Sent
from tests.responses.era import PAID_ON, Clp, Line, Payment, era835, full_pay

D = Decimal


def status(store: ClaimStore, sent: Sent, n: int) -> ClaimStatus:
    return store.get(sent.id(n)).status


def last_event(store: ClaimStore, sent: Sent, n: int) -> Any:
    return store.timeline(sent.id(n))[-1]


def remits(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(
            Remittance.payer_id, Remittance.trace_number, Remittance.payment_amount,
            Remittance.balanced, Remittance.payment_date).order_by(Remittance.id))]


def remit_claims(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(
            RemittanceClaim.claim_id, RemittanceClaim.patient_control_number,
            RemittanceClaim.status_code, RemittanceClaim.paid, RemittanceClaim.outcome,
            RemittanceClaim.posting).order_by(RemittanceClaim.id))]


def snapshot(engine: Engine) -> dict[str, Any]:
    """What ingesting may change: statuses, payer numbers, payments, CLP rows, events."""
    with engine.connect() as conn:
        claims = sorted((r.id, r.status, r.payer_claim_control_number) for r in conn.execute(
            select(ClaimRow.id, ClaimRow.status, ClaimRow.payer_claim_control_number)))
        events = conn.execute(select(func.count()).select_from(ClaimEvent)).scalar_one()
    return {"claims": claims, "events": events, "remittances": remits(engine),
            "remittance_claims": remit_claims(engine)}


def test_paid_claim_is_posted_with_reasons_in_words(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """A paid claim moves to paid; the event names amounts, EFT, date and CARCs in words."""
    result = ingest(era835([Payment("EFT0001", [full_pay(sent.doc(0), copay=D("10"))])]))

    assert result.outcome == "applied" and result.matched == 1
    assert status(store, sent, 0) is ClaimStatus.PAID
    event = last_event(store, sent, 0)
    assert (event.source, event.code, event.to_status) == ("835", "CLP02 1", "paid")
    assert event.reason.startswith("paid $245.00 of $270.00 on EFT EFT0001 (2026-12-04)")
    assert "patient responsibility $10.00" in event.reason
    assert "CO-45 $15.00: Charge exceeds fee schedule" in event.reason
    assert "PR-3 $10.00: Co-payment amount" in event.reason
    assert "JANE" not in event.reason and "DOE" not in event.reason
    assert store.get(sent.id(0)).payer_claim_control_number == "PAYERCCN1"
    (payment,) = RemitStore(engine).payments_for_claim(sent.id(0))
    assert (payment["outcome"], payment["posting"], payment["paid"]) == ("paid", "posted",
                                                                         D("245.00"))
    assert payment["trace_number"] == "EFT0001" and payment["payment_date"] == PAID_ON
    assert [line["our_line"] for line in payment["lines"]] == [1, 2, 3]  # by REF*6R
    assert {a["reason"] for a in payment["adjustments"]} == {"45", "3"}
    assert all(a["description"] != "unknown code" for a in payment["adjustments"])


def test_partial_payment_matches_lines_by_procedure_and_date(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """A line denied as bundled (CO-97, N19) makes a partial pay; SVCs match without 6R."""
    doc = sent.doc(1)
    lines = []
    for n, line in reversed(list(enumerate(doc["service_lines"]))):
        cas = [("CO", "97", D(line["charge"]))] if n == 1 else [("CO", "45", D("2.00"))]
        lines.append(Line(line["procedure_code"], D(line["charge"]), cas,
                          date=dt.date.fromisoformat(line["service_date"]),
                          remarks=["N19"] if n == 1 else []))
    ingest(era835([Payment("CHK7001", [Clp(doc["patient_control_number"], "1", lines)],
                           method="CHK")]))

    assert status(store, sent, 1) is ClaimStatus.PARTIALLY_PAID
    event = last_event(store, sent, 1)
    assert event.reason.startswith("partially paid $")
    assert "on check CHK7001" in event.reason
    assert "CO-97" in event.reason and "N19 Procedure code incidental to primary procedure" \
        in event.reason
    (payment,) = RemitStore(engine).payments_for_claim(sent.id(1))
    assert [line["our_line"] for line in payment["lines"]] == [3, 2, 1]  # procedure + date
    assert payment["lines"][1]["remarks"] == [
        {"code": "N19", "description": "Procedure code incidental to primary procedure"}]


def test_denials_with_carc_and_rarc(engine: Engine, store: ClaimStore, sent: Sent,
                                    ingest: IngestFn) -> None:
    """Denied by amounts (CLP02 1, nothing paid, CO-16 + MA130) and by CLP02 4 (CO-31)."""
    doc = sent.doc(2)
    lines = [Line(line["procedure_code"], D(line["charge"]), [("CO", "16", D(line["charge"]))],
                  control=line["line_item_control_number"]) for line in doc["service_lines"]]
    zero_pay = Clp(doc["patient_control_number"], "1", lines, remarks=["MA130"])
    unknown = Clp(sent.doc(3)["patient_control_number"], "4",
                  charge=D(sent.doc(3)["total_charge"]),
                  cas=[("CO", "31", D(sent.doc(3)["total_charge"]))])
    ingest(era835([Payment("EFT0002", [zero_pay, unknown], method="NON")]))

    assert status(store, sent, 2) is ClaimStatus.DENIED
    assert status(store, sent, 3) is ClaimStatus.DENIED
    reason = last_event(store, sent, 2).reason
    assert reason.startswith("denied: paid $0.00 of $")
    assert "CO-16" in reason and "lacks information or has submission/billing error" in reason
    assert "MA130 Claim unprocessable" in reason
    assert "CO-31" in last_event(store, sent, 3).reason
    assert last_event(store, sent, 3).code == "CLP02 4"


def test_forwarded_claims(engine: Engine, store: ClaimStore, sent: Sent,
                          ingest: IngestFn) -> None:
    """CLP02 19 (processed, forwarded) posts by its amounts; 23 (not ours) only informs."""
    processed = full_pay(sent.doc(0), status="19")
    not_ours = Clp(sent.doc(1)["patient_control_number"], "23",
                   charge=D(sent.doc(1)["total_charge"]), paid=D(0),
                   cas=[("OA", "109", D(sent.doc(1)["total_charge"]))])
    ingest(era835([Payment("EFT0003", [processed, not_ours])]))

    assert status(store, sent, 0) is ClaimStatus.PAID
    assert "processed and forwarded to another payer" in last_event(store, sent, 0).reason
    assert status(store, sent, 1) is ClaimStatus.SENT
    event = last_event(store, sent, 1)
    assert event.to_status is None and event.reason.startswith("not this payer's claim")
    assert [r["outcome"] for r in remit_claims(engine)] == ["forwarded", "forwarded"]


def test_reversal_then_correction_and_a_repeated_reversal(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """Paid → reversed → paid again (correction); the same reversal in a later payment is
    recorded but not posted a second time."""
    original = full_pay(sent.doc(0))
    ingest(era835([Payment("EFT1000", [original], paid_on=dt.date(2026, 12, 1))]))
    assert status(store, sent, 0) is ClaimStatus.PAID

    reversal = Clp(original.pcn, "22", charge=-original.total_charge, paid=-original.payment,
                   cas=[("CO", "45", -(original.total_charge - original.payment))])
    correction = full_pay(sent.doc(0), contractual=D("10.00"), pccn="PAYERCCN2")
    # The correction comes first in the file: it must still be posted after the reversal.
    ingest(era835([Payment("EFT2000", [correction, reversal], paid_on=dt.date(2026, 12, 8))],
                  control_number=8002))
    moves = [(e.from_status, e.to_status) for e in store.timeline(sent.id(0))
             if e.source == "835"]
    assert moves == [("sent", "paid"), ("paid", "reversed"), ("reversed", "paid")]
    assert store.get(sent.id(0)).payer_claim_control_number == "PAYERCCN2"
    assert last_event(store, sent, 0).reason.startswith("paid $240.00 of $270.00")

    events_before = len(store.timeline(sent.id(0)))
    again = ingest(era835([Payment("EFT3000", [reversal], paid_on=dt.date(2026, 12, 9))],
                          control_number=8003))
    assert again.outcome == "applied" and again.matched == 1
    assert status(store, sent, 0) is ClaimStatus.PAID
    timeline = store.timeline(sent.id(0))
    assert len(timeline) == events_before + 1
    assert (timeline[-1].code, timeline[-1].to_status) == ("CLP02 22 REPEATED", None)
    assert [r["posting"] for r in remit_claims(engine)] == [
        "posted", "posted", "posted", "repeated_reversal"]
    with engine.connect() as conn:  # the payment itself is still stored and balances
        rid = conn.execute(select(Remittance.id).where(
            Remittance.trace_number == "EFT3000")).scalar_one()
        paid, plb = posted_totals(conn, rid)
    assert paid - plb == -original.payment


def test_provider_level_adjustments_interest_and_recoupment(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """PLB interest (negative, adds) and recoupment (positive, takes) balance the payment."""
    clp = full_pay(sent.doc(4))
    payment = Payment("EFT4000", [clp], plb=[("L6", "INTEREST", D("-2.50")),
                                             ("WO", "RECOUP77", D("40.00"))])
    plb_only = Payment("EFT4001", [], plb=[("WO", "RECOUP78", D("15.00"))])
    result = ingest(era835([payment, plb_only]))

    assert [a.summary["balanced"] for a in result.applied] == [True, True]
    assert status(store, sent, 4) is ClaimStatus.PAID
    rows = RemitStore(engine).list_remittances()
    by_trace = {r["trace_number"]: r for r in rows}
    assert by_trace["EFT4000"]["payment_amount"] == clp.payment + D("2.50") - D("40.00")
    assert by_trace["EFT4001"]["payment_amount"] == D("-15.00")  # a debit
    detail = RemitStore(engine).remittance(by_trace["EFT4000"]["id"])
    assert detail is not None
    assert detail["balance"]["balanced"] is True
    assert detail["balance"]["expected_payment"] == detail["payment_amount"]
    assert [(p["reason"], p["reference"], p["amount"], p["description"]) for p in
            detail["plb"]] == [("L6", "INTEREST", D("-2.50"), "Interest owed"),
                               ("WO", "RECOUP77", D("40.00"), "Overpayment recovery")]
    assert detail["claims"][0]["claim_id"] == sent.id(4)


def test_unbalanced_payment_is_stored_flagged_and_not_posted(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """BPR02 off by a dollar: the payment is kept and flagged; its claims do not move."""
    clp = full_pay(sent.doc(5))
    result = ingest(era835([Payment("EFT5000", [clp], amount=clp.payment + D("1.00"))]))

    (applied,) = result.applied
    assert applied.summary["balanced"] is False and applied.status_changes == 0
    assert status(store, sent, 5) is ClaimStatus.SENT
    event = last_event(store, sent, 5)
    assert (event.code, event.to_status) == ("835 UNBALANCED", None)
    assert "does not balance" in event.reason and "EFT5000" in event.reason
    (row,) = RemitStore(engine).list_remittances(RemitFilter(unbalanced_only=True))
    detail = RemitStore(engine).remittance(row["id"])
    assert detail is not None and detail["balance"]["balanced"] is False
    assert "BPR02 says" in detail["balance"]["note"]
    assert detail["claims"][0]["posting"] == "unbalanced"
    assert store.get(sent.id(5)).payer_claim_control_number is None


def test_unmatched_claims_are_kept_for_staff(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """A CLP for a claim we never sent is stored with no claim id and listed as unmatched."""
    stranger = Clp("NOTOURS01", "1", [Line("99213", D("95.00"), [("CO", "45", D("5.00"))])],
                   pccn="XYZ")
    result = ingest(era835([Payment("EFT6000", [full_pay(sent.doc(0)), stranger])]))

    (applied,) = result.applied
    assert (applied.matched, applied.unmatched) == (1, 1)
    assert applied.unmatched_items == [{
        "patient_control_number": "NOTOURS01", "status_code": "1", "charge": "95.00",
        "paid": "90.00", "payer_claim_control_number": "XYZ"}]
    rows = remit_claims(engine)
    assert rows[1]["claim_id"] is None and rows[1]["posting"] == "unmatched"
    (unmatched,) = ResponseStore(engine).unmatched()
    assert unmatched["kind"] == "835" and unmatched["status"] == "partly_matched"


def test_same_file_twice_is_a_duplicate(engine: Engine, sent: Sent, ingest: IngestFn) -> None:
    """The same bytes again are recorded as a duplicate and change nothing."""
    text = era835([Payment("EFT7000", [full_pay(sent.doc(0))])])
    assert ingest(text).outcome == "applied"
    before = snapshot(engine)
    assert ingest(text).outcome == "duplicate"
    assert snapshot(engine) == before


def test_same_payment_in_another_file_is_not_posted_again(
        engine: Engine, sent: Sent, ingest: IngestFn) -> None:
    """Payer id + trace number identify a payment: a re-sent copy posts nothing."""
    payment = Payment("EFT8000", [full_pay(sent.doc(0)), full_pay(sent.doc(1))])
    ingest(era835([payment], control_number=8100))
    before = snapshot(engine)

    again = ingest(era835([payment], control_number=8101))  # other bytes, same payment
    assert again.outcome == "applied"
    (applied,) = again.applied
    assert (applied.matched, applied.unmatched) == (0, 0)
    assert applied.summary["note"] == ALREADY_POSTED
    assert applied.summary["remittance_id"] == 1
    assert snapshot(engine) == before


def test_an_older_payment_read_late_does_not_undo_a_newer_one(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """Files read out of order end in the state of the latest adjudication."""
    doc = sent.doc(0)
    denial = Clp(doc["patient_control_number"], "1", charge=D(doc["total_charge"]), paid=D(0),
                 cas=[("CO", "50", D(doc["total_charge"]))])
    ingest(era835([Payment("EFT9002", [denial], paid_on=dt.date(2026, 12, 20))]))
    ingest(era835([Payment("EFT9001", [full_pay(doc)], paid_on=dt.date(2026, 12, 1))],
                  control_number=8201))

    assert status(store, sent, 0) is ClaimStatus.DENIED
    event = last_event(store, sent, 0)
    assert event.to_status is None
    assert "older than one already posted (2026-12-20): status not changed" in event.reason


def _files(sent: Sent, control_base: int) -> list[str]:
    """Five 835s answering the six sent claims in every way, control numbers from base."""
    original = full_pay(sent.doc(0))
    reversal = Clp(original.pcn, "22", charge=-original.total_charge, paid=-original.payment,
                   cas=[("CO", "45", -(original.total_charge - original.payment))])
    d2 = sent.doc(2)
    denial = Clp(d2["patient_control_number"], "1", charge=D(d2["total_charge"]), paid=D(0),
                 cas=[("CO", "204", D(d2["total_charge"]))], remarks=["N130"])
    five = full_pay(sent.doc(5))
    payments = [
        [Payment("A100", [original, full_pay(sent.doc(1), copay=D("20"))],
                 paid_on=dt.date(2026, 12, 1))],
        [Payment("B200", [denial], paid_on=dt.date(2026, 12, 2), method="NON")],
        [Payment("C300", [reversal, full_pay(sent.doc(0), contractual=D("7"), pccn="NEW")],
                 paid_on=dt.date(2026, 12, 9))],
        [Payment("D400", [full_pay(sent.doc(3)), Clp("STRANGER", "1", charge=D(10),
                                                        paid=D(10))],
                 plb=[("L6", "INT", D("-1.25")), ("WO", "RC1", D("30"))],
                 paid_on=dt.date(2026, 12, 3)),
         Payment("D401", [full_pay(sent.doc(4))], paid_on=dt.date(2026, 12, 3))],
        [Payment("E500", [five], amount=five.payment - D("0.01"),
                 paid_on=dt.date(2026, 12, 4))],
    ]
    return [era835(p, control_number=control_base + n) for n, p in enumerate(payments)]


def test_all_files_twice_in_another_order_change_nothing(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """Every case once; then the same files (duplicates) and re-sent copies (same payments,
    other bytes) in other orders: statuses, payments, CLP rows and events stay put."""
    files = _files(sent, 8300)
    for n, text in enumerate(files):
        assert ingest(text, f"first-{n}.835").outcome == "applied"
    expected = {0: ClaimStatus.PAID, 1: ClaimStatus.PAID, 2: ClaimStatus.DENIED,
                3: ClaimStatus.PAID, 4: ClaimStatus.PAID, 5: ClaimStatus.SENT}
    assert {n: status(store, sent, n) for n in expected} == expected
    before = snapshot(engine)
    assert len(before["remittances"]) == 6

    for n, text in reversed(list(enumerate(files))):
        assert ingest(text, f"first-{n}.835").outcome == "duplicate"
    copies = _files(sent, 8400)
    for n in (3, 1, 4, 0, 2):
        result = ingest(copies[n], f"copy-{n}.835")
        assert result.outcome == "applied"
        assert all(a.summary["note"] == ALREADY_POSTED for a in result.applied)
    assert snapshot(engine) == before


def test_remits_views_and_commands(engine: Engine, sent: Sent, ingest: IngestFn,
                                   database_url: str, tmp_path: Any) -> None:
    """`remits list` filters by payer and date; `remits show` prints the breakdown."""
    ingest(era835([Payment("EFTV1", [full_pay(sent.doc(0))], paid_on=dt.date(2026, 12, 1)),
                   Payment("EFTV2", [full_pay(sent.doc(1))], paid_on=dt.date(2026, 12, 5),
                           payer_id="OTHERPAYER", payer_name="OTHER MUTUAL")]))
    view = RemitStore(engine)
    assert [r["trace_number"] for r in view.list_remittances()] == ["EFTV2", "EFTV1"]
    assert [r["trace_number"] for r in view.list_remittances(RemitFilter(payer="mutual"))] \
        == ["EFTV2"]
    assert [r["trace_number"] for r in view.list_remittances(
        RemitFilter(date_to=dt.date(2026, 12, 2)))] == ["EFTV1"]
    assert view.remittance(999) is None

    app = Typer()
    app.callback()(lambda: None)
    register(app)
    env = {"GATEWAY_DATABASE__URL": database_url, "GATEWAY_DATA_DIR": str(tmp_path / "var"),
           "GATEWAY_CONFIG": "", "COLUMNS": "200"}
    runner = CliRunner()
    listed = runner.invoke(app, ["remits", "list", "--json", "--payer", "EXHP1"], env=env)
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["trace_number"], row["payment_amount"]) == ("EFTV1", "255.00")
    shown = runner.invoke(app, ["remits", "show", str(row["id"])], env=env)
    assert shown.exit_code == 0, shown.output
    assert "EFT EFTV1" in shown.stdout and "balances" in shown.stdout
    assert "Charge exceeds fee schedule" in shown.stdout
    table = runner.invoke(app, ["remits", "list"], env=env)
    assert table.exit_code == 0 and "EFTV2" in table.stdout
    missing = runner.invoke(app, ["remits", "show", "999"], env=env)
    assert missing.exit_code == 1


@pytest.mark.parametrize("bad", ["CLP*PCN00000000*1*ABC*10~", "BPR*I*12.3.4*C*ACH~"])
def test_an_unusable_835_is_quarantined(engine: Engine, store: ClaimStore, sent: Sent,
                                        ingest: IngestFn, bad: str) -> None:
    """A non-numeric amount quarantines the file with a PHI-free reason; nothing moves."""
    text = era835([Payment("EFTQ1", [full_pay(sent.doc(0))])])
    segment_id = bad.split("*")[0]
    start = text.index(segment_id + "*", text.index("ST*835"))
    end = text.index("~", start) + 1
    result = ingest(text[:start] + bad + text[end:])
    assert result.outcome == "quarantined"
    assert result.reason is not None and "is not a number" in result.reason
    assert "PCN00000000" not in result.reason
    assert status(store, sent, 0) is ClaimStatus.SENT
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Remittance)).scalar_one() == 0
        kinds = conn.execute(select(ResponseRow.status)).scalars().all()
    assert kinds == ["quarantined"]
