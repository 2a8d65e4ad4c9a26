"""Rules hit the claims they name, and only those: fee schedule, rejections by stage,
denials, patient share, reversals, interest, and the demo rules file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.partners import TradingPartner
from gateway.samples.factory import make_claim
from gateway.simulator import SandboxRules, load_rules
from gateway.simulator.rules import Denial, Rejection, Reversal
from gateway.x12.validate import validate
from tests.simulator.conftest import (
    REPO,
    TODAY,
    OpenSandbox,
    answers,
    drop,
    interchange_text,
    source_of,
)
from tests.simulator.remit import claim_statuses, remittances


def _claim(i: int, pcn: str | None = None, **changes: object) -> dict[str, object]:
    doc = make_claim(i, today=TODAY)
    if pcn:
        doc["patient_control_number"] = pcn
    doc.update(changes)
    return doc


def test_demo_rules_hit_the_demo_claims(partner: TradingPartner,
                                        open_sandbox: OpenSandbox) -> None:
    """config/sandbox.toml on the bundled samples the scrubber lets through (0001-0008)."""
    lines = (REPO / "gateway" / "samples" / "demo-claims.jsonl").read_text().splitlines()
    docs = [json.loads(line) for line in lines[:8]]
    drop(partner, "demo.837", interchange_text(partner, docs))
    sandbox = open_sandbox(load_rules(REPO / "config" / "sandbox.toml"))
    sandbox.drain()

    got = {c.pcn: (c.payer_status, c.era_status, c.paid, c.patient_responsibility)
           for c in sandbox.ledger.claims()}
    assert got == {
        "DEMO-0001": ("A2:20", "1", "140.00", "0.00"),  # 99214 115 + 87880 25
        "DEMO-0002": ("A2:20", "1", "11.20", "27.80"),  # EXHP3: deductible 25 + 20%
        "DEMO-0003": ("A2:20", "1", "8.00", "0.00"),
        "DEMO-0004": ("A2:20", "1", "31.00", "0.00"),
        "DEMO-0005": ("A2:20", "1", "128.00", "57.00"),  # its 90686 line denied
        "DEMO-0006": ("A2:20", "4", "0.00", "0.00"),  # 90686 only: denied
        "DEMO-0007": ("A7:454", None, None, None),  # 99396 to EXHP2: rejected by payer
        "DEMO-0008": ("A2:20", "1", "156.00", "64.00"),
    }
    assert all(validate(a.text).clean for a in answers(partner))


def test_clearinghouse_rejection_stops_at_the_first_277ca(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """Stage clearinghouse: A3 in the clearinghouse's 277CA; no payer 277CA, no 835."""
    rules = SandboxRules(rejections=[Rejection(name="unknown payer", stage="clearinghouse",
                                               payer_ids=["EXHP2"], category="A3",
                                               status_code="116")])
    docs = [_claim(i) for i in range(3)]  # payers EXHP1, EXHP2, EXHP3
    drop(partner, "b.837", interchange_text(partner, docs))
    sandbox = open_sandbox(rules)
    sandbox.drain()

    found = answers(partner)
    first = next(claim_statuses(a) for a in found if a.kind == "277CA" and source_of(a) == "AY")
    assert first == {"PCN00000000": ("A1:20", None), "PCN00000001": ("A3:116", None),
                     "PCN00000002": ("A1:20", None)}
    later = {p for a in found if a.kind == "277CA" and source_of(a) == "PR"
             for p in claim_statuses(a)}
    paid = {c.pcn for a in found if a.kind == "835" for r in remittances(a) for c in r.claims}
    assert later == paid == {"PCN00000000", "PCN00000002"}


def test_payer_rejection_by_marker_and_diagnosis(partner: TradingPartner,
                                                 open_sandbox: OpenSandbox) -> None:
    """A marker in CLM01 or a diagnosis code: A7 (with entity) from the payer, no 835."""
    rules = SandboxRules(rejections=[
        Rejection(name="marker", markers=["reject"], status_code="21", entity="85"),
        Rejection(name="dx", diagnosis_codes=["K21.9"], category="A6", status_code="35")])
    docs = [_claim(0, "PCN0-REJECT"), _claim(1, diagnoses=["K21.9"]), _claim(2)]
    drop(partner, "b.837", interchange_text(partner, docs))
    sandbox = open_sandbox(rules)
    sandbox.drain()

    got = {c.pcn: (c.clearinghouse_status, c.payer_status, c.era_status)
           for c in sandbox.ledger.claims()}
    assert got == {"PCN0-REJECT": ("A1:20", "A7:21:85", None),
                   "PCN00000001": ("A1:20", "A6:35", None),
                   "PCN00000002": ("A1:20", "A2:20", "1")}
    payer = {p: s for a in answers(partner) if a.kind == "277CA" and source_of(a) == "PR"
             for p, s in claim_statuses(a).items()}
    assert payer["PCN0-REJECT"] == ("A7:21:85", None)


def test_whole_claim_denial_by_payer(partner: TradingPartner,
                                     open_sandbox: OpenSandbox) -> None:
    """A denial without procedure codes denies every line: CLP02 from the rule, paid 0."""
    rules = SandboxRules(denials=[Denial(name="plan", payer_ids=["EXHP1"], group="CO",
                                         carc="27", rarc=["MA61", "N30"])])
    drop(partner, "b.837", interchange_text(partner, [_claim(0), _claim(1)]))
    open_sandbox(rules).drain()

    claims = {c.pcn: c for a in answers(partner) if a.kind == "835"
              for r in remittances(a) for c in r.claims}
    denied = claims["PCN00000000"]
    assert (denied.status, denied.paid) == ("4", Decimal(0))
    assert all(ln.adjustments == [("CO", "27", ln.charge)] and ln.remarks == ["MA61", "N30"]
               for ln in denied.lines)
    assert claims["PCN00000001"].status == "1" and claims["PCN00000001"].paid > 0


def test_fee_schedule_and_default_percent(partner: TradingPartner,
                                          open_sandbox: OpenSandbox) -> None:
    """Listed codes pay the schedule per unit (capped at the charge), others a percent."""
    rules = SandboxRules.model_validate({"fee_schedule": {
        "allowed": {"99213": "70", "87880": "50"}, "default_percent": 50}})
    # Claim 0's lines: 99213 charged 95, 99214 charged 140, 87880 charged 35.
    drop(partner, "b.837", interchange_text(partner, [_claim(0)]))
    open_sandbox(rules).drain()

    (claim,) = [c for a in answers(partner) if a.kind == "835" for r in remittances(a)
                for c in r.claims]
    d = Decimal
    assert [(ln.procedure, ln.paid, ln.adjustments) for ln in claim.lines] == [
        ("99213", d(70), [("CO", "45", d(25))]), ("99214", d(70), [("CO", "45", d(70))]),
        ("87880", d(35), [])]


def test_reversal_with_correction(partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """Paid, then in a later 835 reversed (CLP02 22, negated) and paid 10% lower; balanced."""
    rules = SandboxRules(reversals=[Reversal(name="r", markers=["REVERSE"])])
    drop(partner, "b.837", interchange_text(partner, [_claim(0, "PCN0-REVERSE"), _claim(3)]))
    sandbox = open_sandbox(rules)
    sandbox.drain()

    eras = [remittances(a) for a in answers(partner) if a.kind == "835"]
    first = {c.pcn: c for era in eras[:-1] for r in era for c in r.claims}
    (reversal,) = eras[-1]
    original = first["PCN0-REVERSE"]
    undo, again = reversal.claims
    assert (undo.status, undo.charge, undo.paid) == ("22", -original.charge, -original.paid)
    assert undo.all_adjustments() == [(g, c, -a) for g, c, a in original.all_adjustments()]
    assert again.status == "1" and again.paid == original.paid - original.paid / 10
    assert reversal.amount == 0
    assert reversal.amount == sum(c.paid for c in reversal.claims) - sum(
        a for _, a in reversal.provider_adjustments)
    for c in reversal.claims:
        assert c.charge - sum(a for *_, a in c.all_adjustments()) == c.paid
    (ledger,) = [c for c in sandbox.ledger.claims() if c.pcn == "PCN0-REVERSE"]
    assert ledger.reversed and Decimal(ledger.paid or "0") == again.paid
    assert all(validate(a.text).clean for a in answers(partner))


def test_rules_file_problems_are_config_errors(tmp_path: Path) -> None:
    """A rule that names no condition, bad TOML or a missing file: ConfigError."""
    broad = tmp_path / "broad.toml"
    broad.write_text('[[denials]]\nname = "everything"\n')
    bad = tmp_path / "bad.toml"
    bad.write_text("[delays\n")
    for path in (broad, bad, tmp_path / "missing.toml"):
        with pytest.raises(ConfigError):
            load_rules(path)
    assert load_rules(None) == SandboxRules()
