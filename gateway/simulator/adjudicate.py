"""What the sandbox decides for one claim, from its rules: rejected (and by whom), or
adjudicated line by line into amounts that balance.

Per line: charge − Σ adjustments = paid. Adjustments: CO-<contractual carc> for charge
above the allowed amount, PR-1/2/3 for the patient's share, the denial's group and CARC
for a denied line. Decided once, when the claim arrives, and kept in the ledger: the
answers written later (277CA, 835) render this decision and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.simulator.received import ReceivedClaim, ReceivedLine, amount
from gateway.simulator.rules import Denial, PatientShare, SandboxRules

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class Adjustment:
    group: str
    carc: str
    amount: str


@dataclass(slots=True)
class LineOutcome:
    number: int
    charge: str
    paid: str
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Decision:
    """``rejected_by``: None, "clearinghouse" or "payer"; ``status``: CLP02."""

    rejected_by: str | None = None
    rejection: str = ""  # STC01 "A7:21" or "A7:21:85"
    rule: str = ""  # the name of the rule that rejected or denied
    status: str = "1"
    lines: list[LineOutcome] = field(default_factory=list)
    claim_adjustments: list[Adjustment] = field(default_factory=list)
    reversal: dict[str, Any] | None = None  # the Reversal rule's settings

    @property
    def paid(self) -> Decimal:
        return cents(sum((Decimal(ln.paid) for ln in self.lines), Decimal(0)))

    @property
    def patient_responsibility(self) -> Decimal:
        return cents(sum((Decimal(a.amount) for a in self.all_adjustments()
                          if a.group == "PR"), Decimal(0)))

    def all_adjustments(self) -> list[Adjustment]:
        return [*self.claim_adjustments, *(a for ln in self.lines for a in ln.adjustments)]

    def to_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict is several times slower (thousands per file).
        def adjustments(items: list[Adjustment]) -> list[dict[str, str]]:
            return [{"group": a.group, "carc": a.carc, "amount": a.amount} for a in items]

        return {"rejected_by": self.rejected_by, "rejection": self.rejection,
                "rule": self.rule, "status": self.status,
                "lines": [{"number": ln.number, "charge": ln.charge, "paid": ln.paid,
                           "adjustments": adjustments(ln.adjustments),
                           "remarks": list(ln.remarks)} for ln in self.lines],
                "claim_adjustments": adjustments(self.claim_adjustments),
                "reversal": dict(self.reversal) if self.reversal is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        d = dict(data)
        d["lines"] = [LineOutcome(ln["number"], ln["charge"], ln["paid"],
                                  [Adjustment(**a) for a in ln["adjustments"]], ln["remarks"])
                      for ln in d["lines"]]
        d["claim_adjustments"] = [Adjustment(**a) for a in d["claim_adjustments"]]
        return cls(**d)


def decide(claim: ReceivedClaim, rules: SandboxRules) -> Decision:
    rejection = rules.rejection(claim)
    if rejection is not None:
        code = f"{rejection.category}:{rejection.status_code}"
        if rejection.entity:
            code += f":{rejection.entity}"
        return Decision(rejected_by=rejection.stage, rejection=code, rule=rejection.name)
    denials = rules.denials_for(claim)
    share = rules.share_for(claim)
    decision = Decision()
    deductible_left = share.deductible if share else Decimal(0)
    copay_left = share.copay if share else Decimal(0)
    denied: list[Denial] = []
    for line in claim.lines:
        denial = next((d for d in denials if d.matches_procedure(line.procedure)), None)
        if denial is not None:
            decision.lines.append(_denied(line, denial))
            decision.rule = decision.rule or denial.name
            denied.append(denial)
            continue
        outcome, deductible_left, copay_left = _paid(line, rules, share, deductible_left,
                                                     copay_left)
        decision.lines.append(outcome)
    if denied and len(denied) == len(decision.lines):
        decision.status = denied[0].claim_status
    # A claim total that differs from its lines (never from the gateway, which scrubs
    # it) is adjusted at claim level so that the claim still balances.
    lines_total = sum((amount(ln.charge) for ln in claim.lines), Decimal(0))
    difference = cents(amount(claim.charge) - lines_total)
    if difference:
        decision.claim_adjustments.append(Adjustment("CO", "A2", str(difference)))
    reversal = rules.reversal(claim)
    if reversal is not None and decision.paid > 0:
        decision.reversal = reversal.model_dump(mode="json")
    return decision


def _denied(line: ReceivedLine, denial: Denial) -> LineOutcome:
    charge = cents(amount(line.charge))
    return LineOutcome(line.number, str(charge), "0.00",
                       [Adjustment(denial.group, denial.carc, str(charge))] if charge else [],
                       list(denial.rarc))


def _paid(line: ReceivedLine, rules: SandboxRules, share: PatientShare | None,
          deductible_left: Decimal, copay_left: Decimal
          ) -> tuple[LineOutcome, Decimal, Decimal]:
    charge = cents(amount(line.charge))
    units = amount(line.units) or Decimal(1)
    fee = rules.fee_schedule.allowed.get(line.procedure)
    allowed = cents(fee * units) if fee is not None else cents(
        charge * rules.fee_schedule.default_percent / 100)
    allowed = min(allowed, charge)
    adjustments: list[Adjustment] = []
    if charge > allowed:
        adjustments.append(Adjustment("CO", rules.fee_schedule.contractual_carc,
                                      str(charge - allowed)))
    payable = allowed
    if share is not None:
        deductible = min(deductible_left, payable)
        payable -= deductible
        coinsurance = cents(payable * share.coinsurance_percent / 100)
        payable -= coinsurance
        copay = min(copay_left, payable)
        payable -= copay
        for carc, value in (("1", deductible), ("2", coinsurance), ("3", copay)):
            if value:
                adjustments.append(Adjustment("PR", carc, str(value)))
        deductible_left -= deductible
        copay_left -= copay
    return (LineOutcome(line.number, str(charge), str(payable), adjustments),
            deductible_left, copay_left)


def corrected(decision: Decision) -> Decision:
    """The re-adjudication a reversal is followed by: ``correction_percent`` less paid."""
    settings = decision.reversal or {}
    percent = Decimal(str(settings.get("correction_percent", 0)))
    carc = str(settings.get("correction_carc", "45"))
    lines = []
    for ln in decision.lines:
        paid = Decimal(ln.paid)
        cut = cents(paid * percent / 100)
        adjustments = [Adjustment(a.group, a.carc, a.amount) for a in ln.adjustments]
        if cut:
            same = next((a for a in adjustments if a.group == "CO" and a.carc == carc), None)
            if same is not None:
                same.amount = str(Decimal(same.amount) + cut)
            else:
                adjustments.append(Adjustment("CO", carc, str(cut)))
        lines.append(LineOutcome(ln.number, ln.charge, str(paid - cut), adjustments,
                                 list(ln.remarks)))
    return Decision(status=decision.status, lines=lines,
                    claim_adjustments=list(decision.claim_adjustments))
