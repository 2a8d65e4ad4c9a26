"""Hand-written 835s for tests: payments, claims, lines, CAS, PLB — enveloped correctly.

Amounts that are not given are computed so that everything balances: a line pays its
charge minus its CAS, a claim pays the sum of its lines minus its own CAS, a payment's
BPR02 is Σ CLP04 − Σ PLB. Give them explicitly to build an unbalanced file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.x12.delimiters import Delimiters
from gateway.x12.envelope import InterchangeHeader, functional_group, iea, isa
from gateway.x12.writer import Segment, render, seg

WHEN = dt.datetime(2026, 12, 5, 8, 15)
PAID_ON = dt.date(2026, 12, 4)

Cas = tuple[str, str, Decimal]  # group, reason, amount


def amt(value: Decimal) -> str:
    return f"{value:.2f}"


@dataclass
class Line:
    code: str
    charge: Decimal
    cas: list[Cas] = field(default_factory=list)
    paid: Decimal | None = None
    date: dt.date | None = None
    control: str | None = None  # REF*6R
    remarks: list[str] = field(default_factory=list)  # LQ*HE
    units: str = "1"

    @property
    def payment(self) -> Decimal:
        if self.paid is not None:
            return self.paid
        return self.charge - sum((a for _, _, a in self.cas), Decimal(0))


@dataclass
class Clp:
    pcn: str
    status: str = "1"
    lines: list[Line] = field(default_factory=list)
    cas: list[Cas] = field(default_factory=list)  # claim level
    charge: Decimal | None = None
    paid: Decimal | None = None
    patient: Decimal | None = None  # CLP05; default: the PR adjustments
    pccn: str | None = "PAYERCCN1"
    remarks: list[str] = field(default_factory=list)  # MOA03..

    @property
    def total_charge(self) -> Decimal:
        if self.charge is not None:
            return self.charge
        return sum((line.charge for line in self.lines), Decimal(0))

    @property
    def payment(self) -> Decimal:
        if self.paid is not None:
            return self.paid
        claim_cas = sum((a for _, _, a in self.cas), Decimal(0))
        if self.lines:
            return sum((line.payment for line in self.lines), Decimal(0)) - claim_cas
        return self.total_charge - claim_cas

    @property
    def patient_responsibility(self) -> Decimal:
        if self.patient is not None:
            return self.patient
        all_cas = [*self.cas, *(c for line in self.lines for c in line.cas)]
        return sum((a for g, _, a in all_cas if g == "PR"), Decimal(0))


@dataclass
class Payment:
    trace: str
    claims: list[Clp] = field(default_factory=list)
    plb: list[tuple[str, str, Decimal]] = field(default_factory=list)  # reason, ref, amount
    amount: Decimal | None = None  # BPR02 (signed); default: Σ CLP04 − Σ PLB
    method: str = "ACH"
    paid_on: dt.date | None = PAID_ON
    payer_id: str = "EXHP1"
    payer_name: str = "EXAMPLE HEALTH PLAN"

    @property
    def bpr02(self) -> Decimal:
        if self.amount is not None:
            return self.amount
        return (sum((c.payment for c in self.claims), Decimal(0))
                - sum((a for _, _, a in self.plb), Decimal(0)))


def _cas_segments(cas: Sequence[Cas]) -> list[Segment]:
    out: list[Segment] = []
    by_group: dict[str, list[Cas]] = {}
    for c in cas:
        by_group.setdefault(c[0], []).append(c)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            elements: list[str] = []
            for _, reason, amount in items[start:start + 6]:
                elements += [reason, amt(amount), ""]
            out.append(seg("CAS", group, *elements))
    return out


def transaction(p: Payment) -> list[Segment]:
    """The body of one 835 (between ST and SE)."""
    amount = p.bpr02
    body: list[Segment] = [
        seg("BPR", "I" if amount else "H", amt(abs(amount)), "D" if amount < 0 else "C",
            p.method, *([""] * 11), p.paid_on.strftime("%Y%m%d") if p.paid_on else ""),
        seg("TRN", "1", p.trace, "1591234567"),
        seg("DTM", "405", (p.paid_on or PAID_ON).strftime("%Y%m%d")),
        seg("N1", "PR", p.payer_name),
        seg("N3", "1 PAYER WAY"),
        seg("N4", "NASHVILLE", "TN", "37203"),
        seg("REF", "2U", p.payer_id),
        seg("PER", "BL", "EDI HELP DESK", "TE", "8005551212"),
        seg("N1", "PE", "RIVERSIDE FAMILY MEDICINE", "XX", "1234567893"),
    ]
    if p.claims:
        body.append(seg("LX", "1"))
    for c in p.claims:
        body.append(seg("CLP", c.pcn, c.status, amt(c.total_charge), amt(c.payment),
                        amt(c.patient_responsibility) if c.patient_responsibility else "",
                        "12", c.pccn or "", "11", "1"))
        body.extend(_cas_segments(c.cas))
        body.append(seg("NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", "M000000001"))
        if c.remarks:
            body.append(seg("MOA", "", "", *c.remarks[:5]))
        for line in c.lines:
            body.append(seg("SVC", ("HC", line.code), amt(line.charge), amt(line.payment), "",
                            line.units))
            if line.date:
                body.append(seg("DTM", "472", line.date.strftime("%Y%m%d")))
            body.extend(_cas_segments(line.cas))
            if line.control:
                body.append(seg("REF", "6R", line.control))
            body.extend(seg("LQ", "HE", r) for r in line.remarks)
    for start in range(0, len(p.plb), 6):
        pairs: list[Any] = []
        for reason, ref, amount in p.plb[start:start + 6]:
            pairs += [(reason, ref) if ref else reason, amt(amount)]
        body.append(seg("PLB", "1234567893", "20261231", *pairs))
    return body


def era835(payments: Sequence[Payment], *, control_number: int = 8001,
           sender: str = "EXHP1", receiver: str = "ACMEBILL01") -> str:
    """One interchange, one group, one 835 per payment."""
    d = Delimiters()
    version = "005010X221A1"
    sets = []
    for n, p in enumerate(payments, 1):
        body = transaction(p)  # ST03 is "not used" in the 835 guide
        sets.append([seg("ST", "835", f"{n:04d}"), *body,
                     seg("SE", str(len(body) + 2), f"{n:04d}")])
    group = functional_group("HP", sender, receiver, control_number, version, WHEN, sets)
    header = InterchangeHeader("ZZ", sender, "ZZ", receiver, control_number, "P", False, WHEN)
    return isa(header, d) + render([*group, iea(1, control_number)], d) + "\n"


def full_pay(doc: dict[str, Any], *, status: str = "1", contractual: Decimal = Decimal("5.00"),
             copay: Decimal = Decimal(0), pccn: str = "PAYERCCN1") -> Clp:
    """A CLP paying every line of our claim ``doc`` (less CO-45 and a PR-3 copay)."""
    lines = []
    for n, line in enumerate(doc["service_lines"]):
        cas: list[Cas] = [("CO", "45", contractual)] if contractual else []
        if copay and n == 0:
            cas.append(("PR", "3", copay))
        lines.append(Line(line["procedure_code"], Decimal(line["charge"]), cas,
                          date=dt.date.fromisoformat(line["service_date"]),
                          control=line.get("line_item_control_number")))
    return Clp(doc["patient_control_number"], status, lines, pccn=pccn)
