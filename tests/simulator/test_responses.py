"""Every answer the sandbox writes is well-formed X12 that pyx12 accepts, and it says
what the sandbox decided: 999 per group, 277CAs per claim, 835s that balance."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from gateway.partners import TradingPartner
from gateway.samples.factory import make_claim
from gateway.simulator import SandboxRules
from gateway.simulator.rules import Denial, Interest, PatientShare
from gateway.x12.validate import validate
from tests.simulator.conftest import (
    TODAY,
    OpenSandbox,
    answers,
    drop,
    interchange_text,
    source_of,
    with_envelope,
)
from tests.simulator.remit import claim_statuses, remittances

RULES = SandboxRules(
    denials=[Denial(name="no vaccines", procedure_codes=["90686"])],
    patient_share=[PatientShare(name="EXHP3", payer_ids=["EXHP3"], deductible=Decimal(20),
                                coinsurance_percent=Decimal(20), copay=Decimal(5))],
    interest=Interest(amount_per_payment=Decimal("1.25")))


def test_every_answer_is_valid_and_of_the_expected_kinds(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """Two files: a 999 and an AY 277CA each, one PR 277CA and 835 per payer; all clean."""
    for n in (1, 2):
        docs = [make_claim(i, today=TODAY) for i in range(n * 10, n * 10 + 4)]
        drop(partner, f"batch{n}.837", interchange_text(partner, docs, control_number=n))
    open_sandbox(RULES).drain()

    found = answers(partner)
    kinds = Counter(a.kind for a in found)
    assert kinds == {"999": 2, "277CA": 2 + 3, "835": 3}
    assert Counter(source_of(a) for a in found if a.kind == "277CA") == {"AY": 2, "PR": 3}
    assert sum(len(r.claims) for a in found if a.kind == "835" for r in remittances(a)) == 8
    for answer in found:
        result = validate(answer.text)
        assert result.clean, (answer.name, result.findings)


def test_remittances_balance_per_line_claim_and_payment(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """charge − ΣCAS = paid per line and claim; BPR02 = ΣCLP04 − ΣPLB; lines echo REF*6R."""
    docs = [make_claim(i, today=TODAY) for i in range(8)]
    drop(partner, "batch.837", interchange_text(partner, docs))
    open_sandbox(RULES).drain()

    payments = [r for a in answers(partner) if a.kind == "835" for r in remittances(a)]
    paid_claims = {c.pcn: c for r in payments for c in r.claims}
    assert sorted(paid_claims) == sorted(d["patient_control_number"] for d in docs)
    for r in payments:
        assert r.amount == sum(c.paid for c in r.claims) - sum(a for _, a in
                                                              r.provider_adjustments)
        assert r.provider_adjustments == [("L6", Decimal("-1.25"))]
        for c in r.claims:
            assert c.charge - sum(a for *_, a in c.all_adjustments()) == c.paid
            assert c.patient_responsibility == sum(a for g, _, a in c.all_adjustments()
                                                   if g == "PR")
            for line in c.lines:
                assert line.charge - sum(a for *_, a in line.adjustments) == line.paid
                assert line.service_date is not None
    for doc in docs:
        lines = paid_claims[doc["patient_control_number"]].lines
        assert [ln.control_number for ln in lines] == \
            [sl["line_item_control_number"] for sl in doc["service_lines"]]
        assert [ln.procedure for ln in lines] == [sl["procedure_code"] for sl in
                                                  doc["service_lines"]]
    denied = [ln for c in paid_claims.values() for ln in c.lines if ln.procedure == "90686"]
    assert denied and all(ln.paid == 0 and ln.remarks == ["N130"]
                          and ln.adjustments == [("CO", "96", ln.charge)] for ln in denied)


def test_each_claim_gets_a_clearinghouse_then_a_payer_277ca(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """A1:20 (AY), then A2:20 with REF*1K (PR) in another file; CLP07 is that REF*1K."""
    docs = [make_claim(i, today=TODAY) for i in range(5)]
    drop(partner, "batch.837", interchange_text(partner, docs))
    sandbox = open_sandbox()
    sandbox.drain()

    found = answers(partner)
    clearinghouse = [claim_statuses(a) for a in found if a.kind == "277CA"
                     and source_of(a) == "AY"]
    payer: dict[str, tuple[str, str | None]] = {}
    for a in found:
        if a.kind == "277CA" and source_of(a) == "PR":
            payer.update(claim_statuses(a))
    clp07 = {c.pcn: c.payer_claim_number for a in found if a.kind == "835"
             for r in remittances(a) for c in r.claims}
    pcns = {d["patient_control_number"] for d in docs}
    assert len(clearinghouse) == 1 and clearinghouse[0] == {p: ("A1:20", None) for p in pcns}
    assert {p: s for p, (s, _) in payer.items()} == dict.fromkeys(pcns, "A2:20")
    ledger = {c.pcn: c for c in sandbox.ledger.claims()}
    for pcn in pcns:
        number = payer[pcn][1]
        assert number and number == ledger[pcn].payer_claim_number == clp07[pcn]
        assert (ledger[pcn].clearinghouse_status, ledger[pcn].payer_status) == ("A1:20", "A2:20")


def test_999_answers_each_set_with_sequential_control_numbers(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """AK1 echoes GS06/GS08, AK2/IK5 per ST, AK9 counts; ISA13 = GS06, rising per file."""
    sender = with_envelope(partner, claims_per_transaction=2)
    docs = [make_claim(i, today=TODAY) for i in range(5)]
    drop(partner, "batch.837", interchange_text(sender, docs, control_number=42))
    open_sandbox().drain()

    found = answers(partner)
    ack = found[0]
    assert ack.kind == "999"
    assert ack.segments("AK1") == [["AK1", "HC", "42", "005010X222A1"]]
    assert [s[2] for s in ack.segments("AK2")] == ["0001", "0002", "0003"]
    assert ack.segments("IK5") == [["IK5", "A"]] * 3
    assert ack.segments("AK9") == [["AK9", "A", "3", "3", "3"]]
    assert ack.segments("ST")[0][3] == "005010X231A1"
    numbers = [int(a.interchanges[0].control_number) for a in found]
    assert numbers == list(range(1, len(found) + 1))
    assert all(a.segments("GS")[0][6] == str(n) for a, n in zip(found, numbers, strict=True))
    assert all(a.interchanges[0].receiver == ("ZZ", "ACMEBILL01")
               and a.interchanges[0].sender == ("ZZ", "SANDBOXCH") for a in found)
