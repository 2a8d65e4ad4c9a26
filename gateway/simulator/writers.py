"""The sandbox's own TA1, 999 (005010X231A1), 277CA (005010X214) and 835 (005010X221A1)
writers — pure functions from data to X12 text.

Why not pyx12's 999 writer: it builds ISA13 from the minute, makes GS06 random, writes
``005010X231`` and puts TA1 after GE. Here the caller gives ISA13 and GS06 (the sandbox's
own counter), and a TA1 sits where X12 puts it: right after the ISA, before any GS —
inside the 999's interchange when the sender asked for one (ISA14 = 1), or alone in an
interchange of its own (ISA, TA1, IEA01 = 0) when the interchange was refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.simulator.adjudicate import Adjustment
from gateway.simulator.received import Name
from gateway.x12.delimiters import Delimiters
from gateway.x12.envelope import InterchangeHeader, functional_group, iea, isa, transaction_set
from gateway.x12.writer import Element, Segment, render, seg

V999 = "005010X231A1"
V277CA = "005010X214"
V835 = "005010X221A1"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a response goes from and to, and its control numbers."""

    sender: tuple[str, str]  # ISA05/06: the sandbox
    receiver: tuple[str, str]  # ISA07/08: the gateway
    application_sender: str  # GS02
    application_receiver: str  # GS03
    usage: str  # ISA15
    delimiters: Delimiters
    control_number: int  # ISA13
    group_control_number: int  # GS06
    created: dt.datetime


def x12_amount(value: Decimal | str) -> str:
    """R type: no exponent, no needless zeros ("95", "12.5", "-80")."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _wrap(env: Envelope, function_code: str, version: str,
          sets: Sequence[Sequence[Segment]], ta1: Ta1Answer | None = None) -> str:
    header = InterchangeHeader(env.sender[0], env.sender[1], env.receiver[0], env.receiver[1],
                               env.control_number, env.usage, False, env.created)
    group = functional_group(function_code, env.application_sender, env.application_receiver,
                             env.group_control_number, version, env.created, sets)
    d = env.delimiters
    before = [_ta1(ta1)] if ta1 is not None else []
    return isa(header, d) + render([*before, *group, iea(1, env.control_number)], d)


def _ymd(day: dt.datetime) -> str:
    return day.strftime("%Y%m%d")


# ---------------------------------------------------------------------------- TA1


@dataclass(frozen=True, slots=True)
class Ta1Answer:
    control_number: str  # the received ISA13
    date: str  # received ISA09 (YYMMDD)
    time: str  # received ISA10 (HHMM)
    code: str  # A / E / R
    note: str  # TA105, "000" when there is nothing to say


def write_ta1(env: Envelope, answers: Sequence[Ta1Answer]) -> str:
    """An interchange holding only TA1 segments (no functional group: IEA01 = 0)."""
    header = InterchangeHeader(env.sender[0], env.sender[1], env.receiver[0], env.receiver[1],
                               env.control_number, env.usage, False, env.created)
    body = [_ta1(a) for a in answers]
    d = env.delimiters
    return isa(header, d) + render([*body, iea(0, env.control_number)], d)


def _ta1(a: Ta1Answer) -> Segment:
    return seg("TA1", a.control_number, a.date, a.time, a.code, a.note)


# ---------------------------------------------------------------------------- 999


@dataclass(frozen=True, slots=True)
class ElementNote:
    position: int  # IK401-1: element position in the segment
    component: int | None  # IK401-2
    code: str  # IK403


@dataclass(frozen=True, slots=True)
class SegmentNote:
    segment_id: str  # IK301
    position: int  # IK302: position in the set, ST = 1
    loop_id: str  # IK303: an LS/LE loop identifier (max 4), never an IG loop name
    code: str  # IK304
    claim: str | None = None  # CTX*CLM01
    elements: tuple[ElementNote, ...] = ()


@dataclass(frozen=True, slots=True)
class SetAnswer:
    set_id: str  # AK201
    control_number: str  # AK202
    version: str  # AK203
    code: str  # IK501: A / E / R
    codes: tuple[str, ...] = ()  # IK502..IK506
    notes: tuple[SegmentNote, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupAnswer:
    functional_id: str  # AK101
    control_number: str  # AK102: the received GS06
    version: str  # AK103: the received GS08
    included: int  # AK902: the received GE01
    sets: tuple[SetAnswer, ...] = ()
    codes: tuple[str, ...] = ()  # AK905..AK909

    @property
    def accepted(self) -> int:
        return sum(s.code in ("A", "E") for s in self.sets)

    @property
    def verdict(self) -> str:
        """AK901: A all accepted, E all accepted some with errors, P some, R none."""
        if self.codes or not self.sets or self.accepted == 0:
            return "R"
        if self.accepted < len(self.sets):
            return "P"
        return "E" if any(s.code == "E" for s in self.sets) else "A"


def write_999(env: Envelope, groups: Sequence[GroupAnswer], ta1: Ta1Answer | None = None
              ) -> str:
    """One 999 transaction set per received functional group; ``ta1`` before the GS."""
    sets = [transaction_set("999", f"{n:04d}", V999, _ack_body(g))
            for n, g in enumerate(groups, start=1)]
    return _wrap(env, "FA", V999, sets, ta1)


def _ack_body(g: GroupAnswer) -> list[Segment]:
    body: list[Segment] = [seg("AK1", g.functional_id, g.control_number, g.version)]
    for s in g.sets:
        body.append(seg("AK2", s.set_id, s.control_number, s.version))
        for note in s.notes:
            body.append(seg("IK3", note.segment_id, str(note.position), note.loop_id,
                            note.code))
            if note.claim:
                body.append(seg("CTX", ("CLM01", note.claim)))
            for e in note.elements:
                where: Element = (str(e.position), str(e.component)) if e.component \
                    else str(e.position)
                body.append(seg("IK4", where, None, e.code))
        body.append(seg("IK5", s.code, *s.codes[:5]))
    body.append(seg("AK9", g.verdict, str(g.included), str(len(g.sets)), str(g.accepted),
                    *g.codes[:5]))
    return body


# ---------------------------------------------------------------------------- 277CA


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    pcn: str
    patient: Name  # NM1*QC: names, and the member id to show
    member_id: str
    status: str  # STC01: "A2:20", "A7:21:85"
    amount: str  # STC04: the claim's charge
    service_from: str
    service_to: str
    payer_claim_number: str | None = None  # REF*1K

    @property
    def accepted(self) -> bool:
        return self.status.split(":")[0] in ("A0", "A1", "A2", "A5")


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    billing: Name  # NM1*85 with its NPI
    claims: tuple[ClaimStatus, ...]


@dataclass(frozen=True, slots=True)
class SourceBlock:
    """One 2000A (who answers) with its 2000B (to whom) and everything below."""

    source_qualifier: str  # NM101: PR payer, AY clearinghouse
    source_name: str
    source_id_qualifier: str  # NM108: PI payer id, 46 ETIN
    source_id: str
    source_trace: str  # 2200A TRN02
    submitter: Name  # 2100B NM1*41
    receiver_trace: str  # 2200B TRN02: the 837's BHT03
    received: dt.date  # DTP*050
    providers: tuple[ProviderStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class Ack277:
    reference: str  # BHT03
    created: dt.datetime
    blocks: tuple[SourceBlock, ...] = field(default_factory=tuple)


def write_277ca(env: Envelope, doc: Ack277) -> str:
    return _wrap(env, "HN", V277CA, [transaction_set("277", "0001", V277CA,
                                                     _ack277_body(doc))])


def _ack277_body(doc: Ack277) -> list[Segment]:
    day = _ymd(doc.created)
    body: list[Segment] = [seg("BHT", "0085", "08", doc.reference, day,
                               doc.created.strftime("%H%M"), "TH")]
    hl = 0
    for block in doc.blocks:
        hl += 1
        source_hl = hl
        claims = [c for p in block.providers for c in p.claims]
        body += [seg("HL", str(hl), None, "20", "1"),
                 seg("NM1", block.source_qualifier, "2", block.source_name, None, None, None,
                     None, block.source_id_qualifier, block.source_id),
                 seg("TRN", "1", block.source_trace),
                 seg("DTP", "050", "D8", block.received.strftime("%Y%m%d")),
                 seg("DTP", "009", "D8", day)]
        hl += 1
        receiver_hl = hl
        sub = block.submitter
        body += [seg("HL", str(hl), str(source_hl), "21", "1"),
                 seg("NM1", "41", sub.entity_type if sub.entity_type in ("1", "2") else "2",
                     sub.last or "SUBMITTER", sub.first, sub.middle, None, None, "46",
                     sub.id or "UNKNOWN"),
                 seg("TRN", "2", block.receiver_trace or "0"),
                 seg("STC", ("A1", "19"), day, "WQ", _total(claims)),
                 *_tallies(claims, ("90", "AA"))]
        for provider in block.providers:
            hl += 1
            provider_hl = hl
            b = provider.billing
            person = b.entity_type == "1"
            body += [seg("HL", str(hl), str(receiver_hl), "19", "1"),
                     seg("NM1", "85", "1" if person else "2", b.last or "PROVIDER",
                         b.first if person else None, b.middle if person else None, None,
                         b.suffix if person else None, "XX", b.id or "0000000000"),
                     seg("TRN", "1", b.id or "0"),
                     seg("STC", ("A1", "19"), None, "WQ", _total(provider.claims)),
                     *_tallies(provider.claims, ("QA", "QC"))]
            for claim in provider.claims:
                hl += 1
                body += _claim_status(hl, provider_hl, claim, day)
    return body


def _claim_status(hl: int, parent: int, c: ClaimStatus, day: str) -> list[Segment]:
    p = c.patient
    out = [seg("HL", str(hl), str(parent), "PT"),
           seg("NM1", "QC", "1", p.last or "UNKNOWN", p.first, p.middle, None, p.suffix, "MI",
               c.member_id or "UNKNOWN"),
           seg("TRN", "2", c.pcn),
           seg("STC", tuple(c.status.split(":")), day, "WQ" if c.accepted else "U",
               x12_amount(c.amount))]
    if c.payer_claim_number:
        out.append(seg("REF", "1K", c.payer_claim_number))
    out.append(_service_dates("DTP", c.service_from or day, c.service_to or day))
    return out


def _service_dates(segment_id: str, start: str, end: str) -> Segment:
    if start == end:
        return seg(segment_id, "472", "D8", start)
    return seg(segment_id, "472", "RD8", f"{start}-{end}")


def _total(claims: Sequence[ClaimStatus]) -> str:
    return x12_amount(sum((Decimal(c.amount) for c in claims), Decimal(0)))


def _tallies(claims: Sequence[ClaimStatus], qualifiers: tuple[str, str]) -> list[Segment]:
    """QTY accepted / rejected counts and AMT YU / YY amounts, each only when non-zero."""
    accepted = [c for c in claims if c.accepted]
    rejected = [c for c in claims if not c.accepted]
    out: list[Segment] = []
    for qualifier, group in zip(qualifiers, (accepted, rejected), strict=True):
        if group:
            out.append(seg("QTY", qualifier, str(len(group))))
    for qualifier, group in (("YU", accepted), ("YY", rejected)):
        if group:
            out.append(seg("AMT", qualifier, _total(group)))
    return out


# ---------------------------------------------------------------------------- 835


@dataclass(frozen=True, slots=True)
class LinePayment:
    qualifier: str
    procedure: str
    modifiers: tuple[str, ...]
    charge: str
    paid: str
    units: str
    date_from: str
    date_to: str
    adjustments: tuple[Adjustment, ...] = ()
    control_number: str = ""  # REF*6R
    remarks: tuple[str, ...] = ()  # LQ*HE


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    pcn: str
    status: str  # CLP02
    charge: str
    paid: str
    patient_responsibility: str
    filing: str  # CLP06
    payer_claim_number: str  # CLP07
    patient: Name
    member_id: str
    insured: Name | None  # NM1*IL when the patient is not the subscriber
    date_from: str
    date_to: str
    adjustments: tuple[Adjustment, ...] = ()  # claim level
    lines: tuple[LinePayment, ...] = ()


@dataclass(frozen=True, slots=True)
class PayerParty:
    name: str
    payer_id: str  # REF*2U
    tax_id: str  # 9 digits; TRN03 = "1" + tax id
    address: str
    city: str
    state: str
    zip: str
    phone: str


@dataclass(frozen=True, slots=True)
class Payment:
    """One BPR/TRN: what one payer pays one payee."""

    payer: PayerParty
    payee: Name  # NM1*85 of the claims: name and NPI
    payee_tax_id: str
    trace: str  # TRN02
    paid_on: dt.date  # BPR16
    claims: tuple[ClaimPayment, ...]
    # PLB: (adjustment reason, reference, amount); positive takes money back.
    provider_adjustments: tuple[tuple[str, str, str], ...] = ()

    @property
    def total(self) -> Decimal:
        """BPR02 = Σ CLP04 − Σ PLB."""
        return (sum((Decimal(c.paid) for c in self.claims), Decimal(0))
                - sum((Decimal(a[2]) for a in self.provider_adjustments), Decimal(0)))


def write_835(env: Envelope, payments: Sequence[Payment]) -> str:
    """One 835 transaction set per payment."""
    sets = [transaction_set("835", f"{n:04d}", "", _payment_body(p))
            for n, p in enumerate(payments, start=1)]
    return _wrap(env, "HP", V835, sets)


def _payment_body(p: Payment) -> list[Segment]:
    total = p.total
    day = p.paid_on.strftime("%Y%m%d")
    bpr = ("I", x12_amount(total), "C", "CHK") if total > 0 else ("H", "0", "C", "NON")
    body: list[Segment] = [
        seg("BPR", *bpr, *[""] * 11, day),
        seg("TRN", "1", p.trace, "1" + p.payer.tax_id),
        seg("DTM", "405", day),
        seg("N1", "PR", p.payer.name),
        seg("N3", p.payer.address),
        seg("N4", p.payer.city, p.payer.state, p.payer.zip),
        seg("REF", "2U", p.payer.payer_id),
        seg("PER", "BL", "PROVIDER SERVICES", "TE", p.payer.phone),
        seg("N1", "PE", _display(p.payee), "XX", p.payee.id or "0000000000"),
    ]
    if p.payee_tax_id:
        body.append(seg("REF", "TJ", p.payee_tax_id))
    if p.claims:
        body.append(seg("LX", "1"))
    for claim in p.claims:
        body += _claim_payment(claim)
    for reason, reference, value in p.provider_adjustments:
        body.append(seg("PLB", p.payee.id or "0000000000", f"{p.paid_on.year}1231",
                        (reason, reference), x12_amount(value)))
    return body


def _claim_payment(c: ClaimPayment) -> list[Segment]:
    out = [seg("CLP", c.pcn, c.status, x12_amount(c.charge), x12_amount(c.paid),
               x12_amount(c.patient_responsibility), c.filing, c.payer_claim_number)]
    out += _cas(c.adjustments)
    p = c.patient
    out.append(seg("NM1", "QC", "1", p.last, p.first, p.middle, None, p.suffix,
                   "MI" if c.member_id else None, c.member_id))
    if c.insured is not None and c.member_id:
        i = c.insured
        out.append(seg("NM1", "IL", "1", i.last, i.first, i.middle, None, i.suffix, "MI",
                       c.member_id))
    if c.date_from:
        out.append(seg("DTM", "232", c.date_from))
        out.append(seg("DTM", "233", c.date_to or c.date_from))
    for line in c.lines:
        out.append(seg("SVC", (line.qualifier, line.procedure, *line.modifiers),
                       x12_amount(line.charge), x12_amount(line.paid), None,
                       x12_amount(line.units)))
        if line.date_from and line.date_from != (line.date_to or line.date_from):
            out += [seg("DTM", "150", line.date_from), seg("DTM", "151", line.date_to)]
        elif line.date_from:
            out.append(seg("DTM", "472", line.date_from))
        out += _cas(line.adjustments)
        if line.control_number:
            out.append(seg("REF", "6R", line.control_number))
        out += [seg("LQ", "HE", code) for code in line.remarks]
    return out


def _cas(adjustments: Sequence[Adjustment]) -> list[Segment]:
    """One CAS per group, at most six reason/amount pairs each (quantity left out)."""
    out: list[Segment] = []
    for group in dict.fromkeys(a.group for a in adjustments):
        mine = [a for a in adjustments if a.group == group]
        for i in range(0, len(mine), 6):
            elements: list[str] = []
            for a in mine[i:i + 6]:
                elements += [a.carc, x12_amount(a.amount), ""]
            out.append(seg("CAS", group, *elements))
    return out


def _display(n: Name) -> str:
    if n.entity_type == "1" and n.first:
        return f"{n.first} {n.last}".strip()
    return n.last or "PROVIDER"
