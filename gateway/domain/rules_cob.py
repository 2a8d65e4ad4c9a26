"""Rules on coordination of benefits: the other payers of a secondary claim (COB) and
the payer responsibility sequence (PAY).

COB-007 (one CAS per group code) is not a rule here: the writer groups adjustments by
group code itself, and the model allows at most six per group (one CAS segment).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from gateway.domain.claim import Adjustment, Claim
from gateway.domain.findings import Finding
from gateway.domain.rules_core import Context, rule

#: SBR01 codes in payment order: P, S, T, then payers 4-11 (A-H). U (unknown) has none.
RESPONSIBILITY_ORDER = "PSTABCDEFGH"


def _total(adjustments: list[Adjustment]) -> Decimal:
    return sum((a.amount for a in adjustments), Decimal(0))


def _payer_path(index: int, field: str) -> str:
    return f"other_payers[{index}].{field}"


# ------------------------------------------------------------------------------ COB


@rule("COB-001", "For each prior payer: total charge = its paid amount + its claim and line "
                 "adjustments")
def prior_payer_balances(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, payer in enumerate(claim.other_payers):
        if not payer.adjudicated:
            continue  # a later payer, not a prior one: nothing to balance
        accounted = (payer.paid_amount or Decimal(0)) + _total(payer.adjustments) + sum(
            (_total(line.adjustments) for line in payer.lines), Decimal(0))
        if accounted != claim.total_charge:
            yield Finding("COB-001", _payer_path(i, "paid_amount"),
                          "Other payer's paid amount plus its claim and line adjustments "
                          "does not equal the total charge.")


@rule("COB-003", "For each line a prior payer adjudicated: line charge = its paid amount + "
                 "its line adjustments")
def prior_payer_lines_balance(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, payer in enumerate(claim.other_payers):
        for j, line in enumerate(payer.lines):
            if not 1 <= line.line_number <= len(claim.service_lines):
                continue
            charge = claim.service_lines[line.line_number - 1].charge
            if line.paid_amount + _total(line.adjustments) != charge:
                yield Finding("COB-003", _payer_path(i, f"lines[{j}].paid_amount"),
                              "Line paid amount plus its line adjustments does not equal "
                              "the service line charge.")


@rule("COB-005", "Prior payer paid amounts (claim and line) are not negative")
def paid_not_negative(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, payer in enumerate(claim.other_payers):
        if payer.paid_amount is not None and payer.paid_amount < 0:
            yield Finding("COB-005", _payer_path(i, "paid_amount"),
                          "Other payer's paid amount must not be negative.")
        for j, line in enumerate(payer.lines):
            if line.paid_amount < 0:
                yield Finding("COB-005", _payer_path(i, f"lines[{j}].paid_amount"),
                              "Line paid amount must not be negative.")


# ------------------------------------------------------------------------------ PAY


@rule("PAY-002", "Exactly one payer (the claim's or another) has payer responsibility P")
def one_primary(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if not claim.other_payers:
        return  # PAY-004 covers a lone subscriber that is not primary
    seen = claim.subscriber.payer_responsibility == "P"
    for i, payer in enumerate(claim.other_payers):
        if payer.payer_responsibility == "P":
            if seen:
                yield Finding("PAY-002", _payer_path(i, "payer_responsibility"),
                              "Only one payer may be primary (responsibility P).")
            seen = True
    if not seen:
        yield Finding("PAY-002", "subscriber.payer_responsibility",
                      "No payer is primary: one payer needs responsibility P.")


@rule("PAY-003", "No payer responsibility code repeats across the claim's payer and the "
                 "other payers")
def responsibility_unique(claim: Claim, ctx: Context) -> Iterator[Finding]:
    seen = {claim.subscriber.payer_responsibility}
    for i, payer in enumerate(claim.other_payers):
        code = payer.payer_responsibility
        if code in seen and code != "P":  # a second P is PAY-002's finding
            yield Finding("PAY-003", _payer_path(i, "payer_responsibility"),
                          "Payer responsibility repeats another payer's.")
        seen.add(code)


@rule("PAY-004", "A secondary or later claim lists every higher-priority payer in "
                 "other_payers")
def prior_payers_present(claim: Claim, ctx: Context) -> Iterator[Finding]:
    code = claim.subscriber.payer_responsibility
    if code == "P":
        return
    if not claim.other_payers:
        yield Finding("PAY-004", "other_payers",
                      "The claim's payer is not primary, so the prior payers and their "
                      "adjudication are required in other_payers.")
        return
    listed = {p.payer_responsibility for p in claim.other_payers}
    rank = RESPONSIBILITY_ORDER.find(code)
    if rank > 0 and not set(RESPONSIBILITY_ORDER[:rank]) <= listed:
        yield Finding("PAY-004", "other_payers",
                      "A higher-priority payer is missing from other_payers for this "
                      "payer responsibility.")
