"""What the sandbox answers to interchanges that are not clean: a TA1 for envelope
errors and duplicates, a 999 that points at the fault for pyx12 errors."""

from __future__ import annotations

import pytest

from gateway.partners import TradingPartner
from gateway.samples.factory import make_claim
from gateway.simulator import SandboxRules
from gateway.simulator.rules import Acknowledgments
from gateway.x12.tokenizer import segments
from gateway.x12.validate import validate
from tests.simulator.conftest import (
    TODAY,
    OpenSandbox,
    answers,
    drop,
    interchange_text,
    with_envelope,
)
from tests.simulator.remit import claim_statuses


def _docs(start: int, n: int) -> list[dict[str, object]]:
    return [make_claim(i, today=TODAY) for i in range(start, start + n)]


def test_duplicate_isa13_gets_ta1_r_025_and_no_second_record(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """A second interchange with an ISA13 already accepted is refused and not recorded."""
    sandbox = open_sandbox()
    drop(partner, "first.837", interchange_text(partner, _docs(0, 2), control_number=7))
    sandbox.drain()
    before = len(answers(partner))
    drop(partner, "second.837", interchange_text(partner, _docs(10, 2), control_number=7))
    sandbox.drain()

    new = answers(partner)[before:]
    assert [a.kind for a in new] == ["TA1"]
    assert new[0].segments("TA1") == [["TA1", "000000007", "261128", "1200", "R", "025"]]
    assert validate(new[0].text).clean
    assert [(i.isa13, i.status, i.note, i.claims) for i in sandbox.ledger.interchanges()] == \
        [("000000007", "accepted", None, 2), ("000000007", "duplicate", "025", 0)]
    assert [c.pcn for c in sandbox.ledger.claims()] == ["PCN00000000", "PCN00000001"]
    assert sandbox.ledger.times_received("PCN00000010") == 0


def _break_line(text: str, line_control_number: str) -> tuple[str, int]:
    """The text with SV102 of the line made non-numeric; that SV1's position in its set."""
    segs = [s for _, s in segments(text)]
    st = target = 0
    for i, s in enumerate(segs):
        if s.id == "ST":
            st = i
        elif s.id == "SV1":
            target = i
        elif s.id == "REF" and s.get(1) == "6R" and s.get(2) == line_control_number:
            break
    segs[target].elements[2] = "1X5"
    return "".join("*".join(s.elements) + "~" for s in segs), target - st + 1


def test_pyx12_error_gets_999_rejection_at_the_right_position(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """IK3/CTX/IK4 point at the broken SV1; its set R, the other A (AK9 P); only A goes on."""
    sender = with_envelope(partner, claims_per_transaction=2)
    text, position = _break_line(interchange_text(sender, _docs(0, 4)), "L3-1")
    drop(partner, "broken.837", text)
    sandbox = open_sandbox()
    sandbox.drain()

    found = answers(partner)
    ack = found[0]
    assert ack.kind == "999" and validate(ack.text).clean
    assert ack.segments("AK2") == [["AK2", "837", "0001", "005010X222A1"],
                                   ["AK2", "837", "0002", "005010X222A1"]]
    assert ack.segments("IK3") == [["IK3", "SV1", str(position), "", "8"]]
    assert ack.segments("CTX") == [["CTX", "CLM01:PCN00000003"]]
    assert ack.segments("IK4") == [["IK4", "2", "", "6"]]
    assert ack.segments("IK5") == [["IK5", "A"], ["IK5", "R", "5"]]
    assert ack.segments("AK9") == [["AK9", "P", "2", "2", "1"]]
    statused = {pcn for a in found if a.kind == "277CA" for pcn in claim_statuses(a)}
    assert statused == {"PCN00000000", "PCN00000001"}
    assert {c.pcn: c.ack999 for c in sandbox.ledger.claims()} == {
        "PCN00000000": "A", "PCN00000001": "A", "PCN00000002": "R", "PCN00000003": "R"}


def _bad_amount(text: str) -> str:
    return _break_line(text, "L0-2")[0]


def _bad_code(text: str) -> str:
    return text.replace("*MI*M000000000~", "*XX*M000000000~", 1)


def _missing_segment(text: str) -> str:
    """HI (mandatory in 2300) left out, SE01 counted right."""
    segs = [s for _, s in segments(text)]
    kept = [s for s in segs if s.id != "HI"]
    for s in kept:
        if s.id == "SE":
            s.elements[1] = str(int(s.get(1)) - (len(segs) - len(kept)))
    return "".join("*".join(s.elements) + "~" for s in kept)


@pytest.mark.parametrize(("damage", "ik3_code", "ik4"), [
    (_bad_amount, "8", [["IK4", "2", "", "6"]]),
    (_bad_code, "8", [["IK4", "8", "", "7"]]),
    (_missing_segment, "3", [])])
def test_each_kind_of_fault_gets_a_clean_999(
        partner: TradingPartner, open_sandbox: OpenSandbox, damage: object, ik3_code: str,
        ik4: list[list[str]]) -> None:
    """Element and segment faults: IK3 code, IK4 when an element is at fault, IK5 R; clean."""
    assert callable(damage)
    drop(partner, "bad.837", damage(interchange_text(partner, _docs(0, 1))))
    open_sandbox().drain()

    (ack,) = answers(partner)
    assert [s[4] for s in ack.segments("IK3")] == [ik3_code]
    assert ack.segments("IK4") == ik4
    assert ack.segments("IK5")[0][:2] == ["IK5", "R"]
    assert validate(ack.text).clean


def test_errors_accepted_when_the_rules_say_so(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """With reject_sets_with_errors off the faulty set is IK5 E and its claims go on."""
    text, _ = _break_line(interchange_text(partner, _docs(0, 2)), "L1-1")
    drop(partner, "broken.837", text)
    rules = SandboxRules(acknowledgments=Acknowledgments(reject_sets_with_errors=False))
    sandbox = open_sandbox(rules)
    sandbox.drain()

    ack = answers(partner)[0]
    assert validate(ack.text).clean
    assert ack.segments("IK5") == [["IK5", "E", "5"]]
    assert ack.segments("AK9") == [["AK9", "E", "1", "1", "1"]]
    assert all(c.payer_status == "A2:20" for c in sandbox.ledger.claims())


def test_ta1_on_request_rides_before_the_group_of_the_999(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """ISA14 = 1: TA1 A 000 right after the ISA of the 999's interchange."""
    drop(partner, "ask.837", interchange_text(with_envelope(partner, request_ta1=True),
                                              _docs(0, 1), control_number=12))
    open_sandbox().drain()

    ack = answers(partner)[0]
    assert [s[0] for s in ack.segments()][:3] == ["ISA", "TA1", "GS"]
    assert ack.segments("TA1") == [["TA1", "000000012", "261128", "1200", "A", "000"]]
    assert ack.kind == "999" and ack.interchanges[0].has_ta1
    assert validate(ack.text).clean


def _wrong_receiver(text: str) -> str:
    return text.replace("*ZZ*SANDBOXCH      *", "*ZZ*OTHERCH        *", 1)


def _truncated(text: str) -> str:
    return text[:text.index("GE*")]


def _iea_mismatch(text: str) -> str:
    return text.replace("IEA*1*000000003", "IEA*1*000000004")


def _group_count(text: str) -> str:
    return text.replace("IEA*1*000000003", "IEA*2*000000003")


@pytest.mark.parametrize(("damage", "note"), [
    (_wrong_receiver, "008"), (_truncated, "023"), (_iea_mismatch, "001"),
    (_group_count, "021")])
def test_envelope_errors_get_a_ta1_rejection(
        partner: TradingPartner, open_sandbox: OpenSandbox, damage: object, note: str
        ) -> None:
    """Interchange-level faults: a TA1-only interchange with the note; no claim recorded."""
    assert callable(damage)
    drop(partner, "bad.837", damage(interchange_text(partner, _docs(0, 2), control_number=3)))
    sandbox = open_sandbox()
    sandbox.drain()

    found = answers(partner)
    assert [a.kind for a in found] == ["TA1"]
    assert found[0].segments("TA1") == [["TA1", "000000003", "261128", "1200", "R", note]]
    assert validate(found[0].text).clean
    assert [(i.status, i.note) for i in sandbox.ledger.interchanges()] == [("rejected", note)]
    assert sandbox.ledger.claims() == []


def test_a_wrong_set_trailer_is_a_999_rejection_not_a_ta1(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """SE01 miscounted: answered by a 999 with IK5 R 4 (set count error), not a TA1."""
    text = interchange_text(partner, _docs(0, 1))
    se = next(s for _, s in segments(text) if s.id == "SE")
    text = text.replace(f"SE*{se.get(1)}*", f"SE*{int(se.get(1)) + 1}*")
    drop(partner, "miscounted.837", text)
    open_sandbox().drain()

    found = answers(partner)
    assert [a.kind for a in found] == ["999"]
    assert found[0].segments("IK5") == [["IK5", "R", "4"]]
    assert found[0].segments("AK9") == [["AK9", "R", "1", "1", "0"]]


def test_an_unreadable_file_is_recorded_and_not_answered(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """Bytes that hold no interchange: kept in the ledger as unreadable, no answer."""
    drop(partner, "noise.837", b"\x00\x01 not x12 at all")
    sandbox = open_sandbox()
    report = sandbox.drain()

    assert report.received == ["noise.837"] and report.written == []
    assert [(f.name, f.outcome) for f in sandbox.ledger.files()] == [("noise.837", "unreadable")]
    assert answers(partner) == []


def test_an_answer_that_cannot_be_rendered_is_set_aside(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """A name holding our repetition separator: its 277CA/835 are marked failed, no crash."""
    doc = make_claim(1, today=TODAY)  # payer EXHP2, subscriber is the patient
    text = interchange_text(partner, [doc]).replace("NM1*IL*1*", "NM1*IL*1*O^", 1)
    drop(partner, "odd.837", text)
    sandbox = open_sandbox()
    report = sandbox.drain()

    assert [a.kind for a in answers(partner)] == ["999"] == \
        [n.rsplit(".", 1)[1] for n in report.written]
    states = [(r.kind, r.state) for r in sandbox.ledger.responses()]
    assert states[0] == ("999", "written")
    assert {s for _, s in states[1:]} == {"failed"}
    assert sandbox.drain().written == []


def test_without_pyx12_only_the_envelope_is_checked(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """validate_with_pyx12 off (benchmarks): a set pyx12 would fault is accepted."""
    text, _ = _break_line(interchange_text(partner, _docs(0, 1)), "L0-1")
    drop(partner, "unchecked.837", text)
    rules = SandboxRules(acknowledgments=Acknowledgments(validate_with_pyx12=False))
    open_sandbox(rules).drain()

    assert answers(partner)[0].segments("IK5") == [["IK5", "A"]]
