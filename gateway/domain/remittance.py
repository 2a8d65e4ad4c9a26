"""What an 835 remittance (005010X221A1) says, as pure data, and what it means.

One :class:`Remittance835` per transaction set (ST..SE): one payment (BPR/TRN) of one
payer to one payee, with a :class:`ClaimPayment` per CLP (its :class:`LinePayment` per
SVC) and the provider-level adjustments (:class:`ProviderAdjustment`, PLB) that belong
to no claim. Amounts are :class:`~decimal.Decimal`, exactly as sent.

:func:`outcome` derives what happened to a claim from its amounts and adjustments (not
from CLP02 alone); :func:`balance_problems` checks the 835's arithmetic; the
``describe_*`` helpers turn codes into words for staff. Nothing here does I/O, and no
message built here names a patient: claims are referred to by their CLP's ordinal and
segment position, amounts and codes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from gateway.domain.codes import remittance_codes

Outcome = Literal["paid", "partially_paid", "denied", "reversed", "forwarded",
                  "predetermination"]

ZERO = Decimal(0)

# CLP02 values with a fixed meaning (see claim_status_835.txt).
REVERSAL = "22"
DENIED = "4"
FORWARDED = frozenset({"19", "20", "21", "23"})
NOT_OUR_CLAIM = "23"
PREDETERMINATION = "25"

# Adjustments that are the expected result of adjudication, not something to work:
# patient responsibility (any PR), the provider's contract (CO/PI with CARC 45 fee
# schedule or contracted amount, 42 and A2 its deactivated forerunners, 131 claim-
# specific negotiated discount, 253 sequestration) and, on a secondary or tertiary
# claim, what earlier payers did (OA 23 impact of prior payer adjudication, OA 94
# processed in excess of charges).
CONTRACTUAL_REASONS = frozenset({"45", "42", "A2", "131", "253"})
PRIOR_PAYER_REASONS = frozenset({"23", "94"})

# BPR04: how the money moved.
PAYMENT_METHODS = {
    "ACH": "EFT",
    "CHK": "check",
    "NON": "no payment",
    "BOP": "financial institution option",
    "FWT": "wire transfer",
}


@dataclass(slots=True)
class Adjustment:
    """One CAS adjustment: group (CO/PR/OA/PI/CR), CARC reason, amount, quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(slots=True)
class LinePayment:
    """One SVC (loop 2110): what was paid for one service line."""

    procedure: str  # SVC01 with ":" between components, e.g. "HC:99213:25"
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    position: int  # segment position of the SVC in the file
    revenue_code: str | None = None  # SVC04
    units: Decimal | None = None  # SVC05 (absent means 1)
    original_procedure: str | None = None  # SVC06: what we billed, when the payer changed it
    service_date: dt.date | None = None  # DTM*472 (or DTM*150)
    service_date_end: dt.date | None = None  # DTM*151
    control_number: str | None = None  # REF*6R: our line item control number
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE

    @property
    def procedure_code(self) -> str:
        """The code (second component) of the billed procedure, SVC06 when present."""
        parts = (self.original_procedure or self.procedure).split(":")
        return parts[1] if len(parts) > 1 else parts[0]

    @property
    def modifiers(self) -> tuple[str, ...]:
        parts = (self.original_procedure or self.procedure).split(":")
        return tuple(m for m in parts[2:6] if m)


@dataclass(slots=True)
class ClaimPayment:
    """One CLP (loop 2100): how one of our claims was adjudicated."""

    patient_control_number: str  # CLP01 = our CLM01
    status_code: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    position: int  # segment position of the CLP in the file
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str | None = None  # CLP06
    payer_claim_control_number: str | None = None  # CLP07
    frequency_code: str | None = None  # CLP09
    statement_from: dt.date | None = None  # DTM*232
    statement_to: dt.date | None = None  # DTM*233
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS
    remarks: list[str] = field(default_factory=list)  # MOA03-07, MIA05, MIA20-23
    lines: list[LinePayment] = field(default_factory=list)

    def all_adjustments(self) -> Iterator[Adjustment]:
        """Claim-level then line-level adjustments."""
        yield from self.adjustments
        for line in self.lines:
            yield from line.adjustments

    def all_remarks(self) -> list[str]:
        """Claim- and line-level remark codes, each once, in order of appearance."""
        seen: dict[str, None] = dict.fromkeys(self.remarks)
        for line in self.lines:
            seen.update(dict.fromkeys(line.remarks))
        return list(seen)


@dataclass(slots=True)
class ProviderAdjustment:
    """One adjustment of a PLB (up to six per segment). Positive reduces the payment."""

    provider_id: str  # PLB01
    fiscal_period_date: dt.date | None  # PLB02
    reason: str  # PLB03-1
    reference: str | None  # PLB03-2
    amount: Decimal  # PLB04
    position: int


@dataclass(slots=True)
class Remittance835:
    """One 835 transaction set: one payment and the claims it pays."""

    control_number: str  # ST02
    interchange_control_number: str  # ISA13 of the interchange it came in
    position: int  # segment position of the ST
    handling_code: str  # BPR01: C payment with remittance, H notification only, I, P, U, X
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03: C credit, D debit
    payment_method: str  # BPR04: ACH, CHK, NON, BOP, FWT
    payment_date: dt.date | None  # BPR16
    trace_number: str  # TRN02: check or EFT trace number
    originator_id: str  # TRN03: the payer's company id ("1" + TIN)
    payer_id: str  # REF*2U, else N1*PR N104 (XV), else TRN03
    payer_name: str | None = None  # N1*PR N102
    payee_name: str | None = None  # N1*PE N102
    payee_id: str | None = None  # N1*PE N104 (NPI or TIN)
    production_date: dt.date | None = None  # DTM*405
    claims: list[ClaimPayment] = field(default_factory=list)
    plb: list[ProviderAdjustment] = field(default_factory=list)

    @property
    def signed_payment(self) -> Decimal:
        """BPR02 as money to the provider: a debit (BPR03 D) is money taken back."""
        return -self.payment_amount if self.credit_debit == "D" else self.payment_amount

    @property
    def method_words(self) -> str:
        return PAYMENT_METHODS.get(self.payment_method, self.payment_method or "payment")


# --- what happened to a claim ----------------------------------------------------------


def outcome(claim: ClaimPayment) -> Outcome:
    """What happened to a claim, derived from its amounts and adjustments.

    In this order:

    1. CLP02 22 → ``reversed`` (a previous payment is taken back; a correction follows
       as its own CLP).
    2. CLP02 19/20/21 (processed, then forwarded to another payer) or 23 (not this
       payer's claim, forwarded) → ``forwarded``. For 19/20/21 the payer did adjudicate
       the claim: :func:`status_outcome` says what that did to its status.
    3. CLP02 25 → ``predetermination`` (pricing only, no payment: nothing to post).
    4. CLP02 4 → ``denied`` (the payer does not know the patient, or denied outright).
    5. CLP04 < 0 → ``reversed`` (money taken back without CLP02 22).
    6. CLP04 ≥ CLP03 → ``paid``.
    7. Every adjustment (claim and line level, at least one) is *expected* → ``paid``,
       even when CLP04 is 0. Expected: patient responsibility (group PR: deductible,
       co-insurance, co-payment — bill the patient or the next payer), a contractual
       reduction (CO/PI with CARC 45, 42, A2, 131, 253: the provider's agreed rate,
       sequestration) or a prior payer's share (OA 23, OA 94) on a secondary claim.
    8. CLP04 = 0 → ``denied`` (CO/OA/PI/CR adjustments took it all).
    9. 0 < CLP04 < CLP03 → ``partially_paid``: something was reduced or denied that
       staff may work (a line denial, bundling, a frequency limit, ...).

    A recognized member's denial therefore comes out as ``denied`` whatever CLP02 says
    (1/2/3 with CO adjustments and nothing paid).
    """
    status = claim.status_code
    if status == REVERSAL:
        return "reversed"
    if status in FORWARDED:
        return "forwarded"
    if status == PREDETERMINATION:
        return "predetermination"
    return _adjudicated(claim)


def status_outcome(claim: ClaimPayment) -> Outcome | None:
    """The outcome that moves our claim's status, or None when the 835 only informs.

    ``forwarded`` with CLP02 19/20/21 moves the claim by its amounts (rules 4-8 of
    :func:`outcome`): the payer adjudicated it before forwarding the crossover. CLP02 23
    (not our claim) and 25 (predetermination) leave the status alone.
    """
    result = outcome(claim)
    if result == "predetermination":
        return None
    if result == "forwarded":
        return None if claim.status_code == NOT_OUR_CLAIM else _adjudicated(claim)
    return result


def _adjudicated(claim: ClaimPayment) -> Outcome:
    if claim.status_code == DENIED:
        return "denied"
    paid, charge = claim.paid, claim.charge
    if paid < ZERO:
        return "reversed"
    if paid >= charge:
        return "paid"
    adjustments = list(claim.all_adjustments())
    if adjustments and all(expected_adjustment(a) for a in adjustments):
        return "paid"
    return "denied" if paid == ZERO else "partially_paid"


def expected_adjustment(a: Adjustment) -> bool:
    """Patient responsibility, a contractual reduction or a prior payer's share."""
    if a.group == "PR":
        return True
    if a.group in ("CO", "PI"):
        return a.reason in CONTRACTUAL_REASONS
    return a.group == "OA" and a.reason in PRIOR_PAYER_REASONS


# --- balancing -------------------------------------------------------------------------


def balance_problems(remittance: Remittance835) -> list[str]:
    """Why the remittance does not add up (empty when it does). PHI-free messages.

    - per claim: CLP03 − Σ claim CAS − Σ line CAS = CLP04;
    - per line: SVC02 − Σ line CAS = SVC03;
    - per payment: BPR02 (negative for a debit) = Σ CLP04 − Σ PLB amounts (a PLB
      amount is positive when it reduces the payment, negative when it adds to it).
    """
    tally = BalanceTally()
    for claim in remittance.claims:
        tally.add(claim)
    tally.finish(remittance)
    return tally.problems


class BalanceTally:
    """:func:`balance_problems` one claim at a time, with running totals: what a
    streaming reader uses so that no claim has to be kept. ``keep`` bounds the problems
    kept (``count`` still counts them all); None keeps every one."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep
        self.problems: list[str] = []
        self.count = 0
        self.claims = 0
        self.paid = ZERO

    def _problem(self, text: str) -> None:
        self.count += 1
        if self.keep is None or len(self.problems) < self.keep:
            self.problems.append(text)

    def add(self, claim: ClaimPayment) -> None:
        """The claim and line checks of one CLP; its CLP04 into the payment total."""
        self.claims += 1
        where = f"CLP #{self.claims} (segment {claim.position})"
        adjusted = _sum(a.amount for a in claim.all_adjustments())
        if claim.charge - adjusted != claim.paid:
            self._problem(
                f"{where}: charge {claim.charge:.2f} − adjustments {adjusted:.2f} = "
                f"{claim.charge - adjusted:.2f}, but paid {claim.paid:.2f}")
        for k, line in enumerate(claim.lines, start=1):
            line_adjusted = _sum(a.amount for a in line.adjustments)
            if line.charge - line_adjusted != line.paid:
                self._problem(
                    f"{where} line {k} (segment {line.position}): charge {line.charge:.2f} − "
                    f"adjustments {line_adjusted:.2f} = {line.charge - line_adjusted:.2f}, "
                    f"but paid {line.paid:.2f}")
        self.paid += claim.paid

    def finish(self, remittance: Remittance835) -> None:
        """The payment check: BPR02 against Σ CLP04 − Σ PLB (``remittance.claims`` is
        not read: the claims are the ones given to :meth:`add`)."""
        plb = _sum(p.amount for p in remittance.plb)
        if self.paid - plb != remittance.signed_payment:
            self._problem(
                f"payment: claims paid {self.paid:.2f} − provider adjustments {plb:.2f} = "
                f"{self.paid - plb:.2f}, but BPR02 says {remittance.signed_payment:.2f}")


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


# --- words for staff -------------------------------------------------------------------


def _describe(table: str, code: str) -> str:
    return remittance_codes(table).get(code, "unknown code")


def carc_description(code: str) -> str:
    return _describe("carc", code)


def rarc_description(code: str) -> str:
    return _describe("rarc", code)


def group_description(code: str) -> str:
    return _describe("cas_group", code)


def claim_status_description(code: str) -> str:
    return _describe("claim_status_835", code)


def plb_reason_description(code: str) -> str:
    return _describe("plb_reason", code)


def money(amount: Decimal) -> str:
    """$1,234.56 / -$1.27."""
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def describe_adjustments(adjustments: Iterable[Adjustment]) -> list[str]:
    """'CO-45 $20.00: <CARC description>', one per group and reason (amounts summed)."""
    totals: dict[tuple[str, str], Decimal] = {}
    for a in adjustments:
        key = (a.group, a.reason)
        totals[key] = totals.get(key, ZERO) + a.amount
    return [f"{group}-{reason} {money(amount)}: {carc_description(reason)}"
            for (group, reason), amount in totals.items()]


def describe_remarks(codes: Iterable[str]) -> list[str]:
    return [f"{code} {rarc_description(code)}" for code in codes]


_VERBS: dict[str, str] = {
    "paid": "paid",
    "partially_paid": "partially paid",
    "denied": "denied: paid",
    "reversed": "payment reversed:",
    "forwarded": "processed and forwarded to another payer: paid",
    "predetermination": "predetermination only (no payment): priced",
}


def posting_reason(remittance: Remittance835, claim: ClaimPayment) -> str:
    """The timeline text for one CLP: what was paid, on which payment, and why.

    For example ``paid $80.00 of $100.00 on EFT 12345 (2026-11-20); patient
    responsibility $10.00; CO-45 $10.00: Charge exceeds fee schedule...; remarks: N130
    Consult plan benefit documents...``. Amounts and codes only: no patient data.
    """
    result = outcome(claim)
    if result == "forwarded" and claim.status_code == NOT_OUR_CLAIM:
        head = f"not this payer's claim; forwarded to another payer (charge {money(claim.charge)})"
    elif result == "reversed":
        head = (f"payment reversed: {money(claim.paid)} of charge {money(claim.charge)}")
    else:
        head = f"{_VERBS[result]} {money(claim.paid)} of {money(claim.charge)}"
    when = f" ({remittance.payment_date.isoformat()})" if remittance.payment_date else ""
    parts = [f"{head} on {remittance.method_words} {remittance.trace_number}{when}"]
    if claim.patient_responsibility:
        parts.append(f"patient responsibility {money(claim.patient_responsibility)}")
    parts.extend(describe_adjustments(claim.all_adjustments()))
    remarks = claim.all_remarks()
    if remarks:
        parts.append("remarks: " + ", ".join(describe_remarks(remarks)))
    return "; ".join(parts)
