"""Reading back what the sandbox wrote, independently of the gateway's readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tests.simulator.conftest import Answer


@dataclass
class Line:
    procedure: str
    charge: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    control_number: str | None = None
    remarks: list[str] = field(default_factory=list)
    service_date: str | None = None


@dataclass
class ClaimPaid:
    pcn: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def all_adjustments(self) -> list[tuple[str, str, Decimal]]:
        return [*self.adjustments, *(a for ln in self.lines for a in ln.adjustments)]


@dataclass
class Remittance:
    amount: Decimal  # BPR02
    method: str  # BPR04
    trace: str  # TRN02
    payer_id: str  # REF*2U
    claims: list[ClaimPaid] = field(default_factory=list)
    provider_adjustments: list[tuple[str, Decimal]] = field(default_factory=list)


def _cas(elements: list[str]) -> list[tuple[str, str, Decimal]]:
    group = elements[1]
    return [(group, elements[i], Decimal(elements[i + 1]))
            for i in range(2, len(elements) - 1, 3) if elements[i]]


def remittances(answer: Answer) -> list[Remittance]:
    """Every payment (ST..SE) of an 835 answer."""
    found: list[Remittance] = []
    claim: ClaimPaid | None = None
    line: Line | None = None
    for s in answer.segments():
        sid = s[0]
        if sid == "BPR":
            found.append(Remittance(Decimal(s[2]), s[4], "", ""))
            claim = line = None
        elif sid == "TRN":
            found[-1].trace = s[2]
        elif sid == "REF" and s[1] == "2U":
            found[-1].payer_id = s[2]
        elif sid == "CLP":
            claim = ClaimPaid(s[1], s[2], Decimal(s[3]), Decimal(s[4]), Decimal(s[5]), s[7])
            found[-1].claims.append(claim)
            line = None
        elif sid == "SVC" and claim is not None:
            line = Line(s[1].split(":")[1], Decimal(s[2]), Decimal(s[3]))
            claim.lines.append(line)
        elif sid == "CAS" and claim is not None:
            (line.adjustments if line else claim.adjustments).extend(_cas(s))
        elif sid == "REF" and s[1] == "6R" and line is not None:
            line.control_number = s[2]
        elif sid == "LQ" and line is not None:
            line.remarks.append(s[2])
        elif sid == "DTM" and s[1] == "472" and line is not None:
            line.service_date = s[2]
        elif sid == "PLB":
            for i in range(3, len(s) - 1, 2):
                found[-1].provider_adjustments.append((s[i].split(":")[0],
                                                       Decimal(s[i + 1])))
    return found


def claim_statuses(answer: Answer) -> dict[str, tuple[str, str | None]]:
    """CLM01 → (STC01, REF*1K) for every claim of a 277CA answer."""
    out: dict[str, tuple[str, str | None]] = {}
    pcn = None
    for s in answer.segments():
        if s[0] == "TRN" and s[1] == "2" and pcn == "":
            pcn = s[2]
        elif s[0] == "HL":
            pcn = "" if s[3] == "PT" else None
        elif s[0] == "STC" and pcn:
            out[pcn] = (s[1], None)
        elif s[0] == "REF" and s[1] == "1K" and pcn:
            out[pcn] = (out[pcn][0], s[2])
    return out
