"""Hand-written 277CA (005010X214) files for tests: correct envelopes and counts.

STC and SVC contents are written as they appear in a file with the default separators
(``*`` element, ``:`` component), e.g. ``"A7:562:85*20261129*U*95"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.x12.delimiters import Delimiters
from gateway.x12.envelope import InterchangeHeader, isa

WHEN = dt.datetime(2026, 11, 29, 12, 0)
DAY = "20261129"
PAYER = ("PR", "EXAMPLE HEALTH PLAN", "PI", "EXHP1")
CLEARINGHOUSE = ("AY", "SANDBOX CLEARINGHOUSE", "46", "SANDBOXCH")


@dataclass(frozen=True)
class Line:
    stc: str
    procedure: str = "HC:99213"
    charge: str = "95"
    line_item_control_number: str | None = None


@dataclass(frozen=True)
class Claim:
    pcn: str
    stcs: Sequence[str]
    payer_claim_control_number: str | None = None
    clearinghouse_trace: str | None = None
    lines: Sequence[Line] = ()


@dataclass(frozen=True)
class Provider:
    claims: Sequence[Claim] = ()
    stcs: Sequence[str] = ("A1:19:PR**WQ*100",)
    npi: str = "1234567893"
    rejected_count: int | None = None


@dataclass(frozen=True)
class Ack:
    """One transaction set: who answered, the batch-level statuses, the providers."""

    providers: Sequence[Provider] = ()
    source: tuple[str, str, str, str] = PAYER
    receiver_stcs: Sequence[str] = (f"A1:19:PR*{DAY}*WQ*100",)
    batch_trace: str = "0000000010001"
    reference: str = "277REF0001"
    extra: Sequence[str] = field(default_factory=list)  # raw segments after the patient NM1


def claim_acks(sets: Sequence[Ack], *, control_number: int = 7001,
               sender: str = "SANDBOXCH", receiver: str = "ACMEBILL01",
               d: Delimiters | None = None) -> str:
    """One interchange with one ST per ``Ack``; SE01, GE01 and IEA01 counted."""
    d = d or Delimiters()
    group = [f"GS*HN*{sender}*{receiver}*{DAY}*1200*{control_number}*X*005010X214"]
    for n, ack in enumerate(sets, start=1):
        body = _body(ack)
        st02 = f"{n:04d}"
        group += [f"ST*277*{st02}*005010X214", *body, f"SE*{len(body) + 2}*{st02}"]
    group.append(f"GE*{len(sets)}*{control_number}")
    group.append(f"IEA*1*{control_number:09d}")
    header = InterchangeHeader("ZZ", sender, "ZZ", receiver, control_number, "T", False, WHEN)
    text = "~\n".join(group) + "~\n"
    if d != Delimiters():
        text = (text.replace("*", "\x01").replace(":", "\x02").replace("~", "\x03")
                .replace("\x01", d.element).replace("\x02", d.component)
                .replace("\x03", d.segment))
    return isa(header, d) + "\n" + text


def _body(ack: Ack) -> list[str]:
    entity, name, qualifier, ident = ack.source
    out = [f"BHT*0085*08*{ack.reference}*{DAY}*1200*TH",
           "HL*1**20*1", f"NM1*{entity}*2*{name}*****{qualifier}*{ident}",
           "TRN*1*SRC0001", f"DTP*050*D8*{DAY}", f"DTP*009*D8*{DAY}",
           f"HL*2*1*21*{1 if ack.providers else 0}",
           "NM1*41*2*ACME BILLING*****46*ACMEBILL01", f"TRN*2*{ack.batch_trace}"]
    out += [f"STC*{s}" for s in ack.receiver_stcs]
    hl = 3
    for provider in ack.providers:
        provider_hl = hl
        out += [f"HL*{hl}*2*19*{1 if provider.claims else 0}",
                f"NM1*85*2*RIVERSIDE FAMILY MEDICINE*****XX*{provider.npi}",
                f"TRN*1*PRV{hl}"]
        out += [f"STC*{s}" for s in provider.stcs]
        if provider.rejected_count is not None:
            out.append(f"QTY*QC*{provider.rejected_count}")
        hl += 1
        for claim in provider.claims:
            out += [f"HL*{hl}*{provider_hl}*PT", "NM1*QC*1*DOE*JANE****MI*M000000001",
                    *ack.extra, f"TRN*2*{claim.pcn}"]
            out += [f"STC*{s}" for s in claim.stcs]
            if claim.payer_claim_control_number:
                out.append(f"REF*1K*{claim.payer_claim_control_number}")
            if claim.clearinghouse_trace:
                out.append(f"REF*D9*{claim.clearinghouse_trace}")
            out.append("DTP*472*D8*20261101")
            for line in claim.lines:
                out += [f"SVC*{line.procedure}*{line.charge}*****1", f"STC*{line.stc}"]
                if line.line_item_control_number:
                    out.append(f"REF*FJ*{line.line_item_control_number}")
                out.append("DTP*472*D8*20261101")
            hl += 1
    return out


def recount(text: str) -> str:
    """SE01 recomputed after a test edited segments in or out of a default-separator file."""
    segments = [s for s in text.replace("\n", "").split("~") if s]
    start = 0
    for i, s in enumerate(segments):
        if s.startswith("ST*"):
            start = i
        elif s.startswith("SE*"):
            segments[i] = f"SE*{i - start + 1}*{s.split('*')[2]}"
    return "~\n".join(segments) + "~\n"
