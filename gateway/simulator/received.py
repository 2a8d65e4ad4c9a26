"""What the sandbox reads out of an 837P transaction set: each claim with just what its
answers need (CLM01, charge, payer, parties' names and ids, lines), and the span of
segment positions it covers (to name it in a 999's CTX*CLM01). The reader follows the
837P loops (2000A/B/C, 2010xx, 2300, 2400, ...) to know what a segment means.

Deliberately forgiving: a clearinghouse must answer even a set pyx12 finds fault with,
so a value that does not parse becomes a default rather than an exception.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.x12.tokenizer import RawSegment


@dataclass(slots=True)
class Name:
    last: str = ""
    first: str = ""
    middle: str = ""
    suffix: str = ""
    entity_type: str = "1"  # NM102: 1 person, 2 organization
    id_qualifier: str = ""
    id: str = ""


@dataclass(slots=True)
class ReceivedLine:
    number: int
    qualifier: str
    procedure: str
    modifiers: list[str]
    charge: str
    units: str
    date_from: str = ""
    date_to: str = ""
    control_number: str = ""  # REF*6R


@dataclass(slots=True)
class ReceivedClaim:
    pcn: str
    charge: str
    set_control: str  # ST02
    set_position: int  # CLM's position in its set (ST = 1)
    last_position: int = 0  # last segment position that belongs to the claim
    frequency: str = "1"
    filing_indicator: str = ""  # SBR09
    payer_id: str = ""
    payer_name: str = ""
    reference: str = ""  # BHT03 of the set
    submitter: Name = field(default_factory=Name)
    billing: Name = field(default_factory=Name)
    billing_tax_id: str = ""
    subscriber: Name = field(default_factory=Name)
    patient: Name | None = None  # None: the subscriber is the patient
    diagnoses: list[str] = field(default_factory=list)
    lines: list[ReceivedLine] = field(default_factory=list)

    @property
    def procedure_codes(self) -> list[str]:
        return [line.procedure for line in self.lines]

    @property
    def service_from(self) -> str:
        return min((ln.date_from for ln in self.lines if ln.date_from), default="")

    @property
    def service_to(self) -> str:
        return max((ln.date_to or ln.date_from for ln in self.lines if ln.date_from),
                   default="")

    def to_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict is several times slower (thousands per file).
        data = {f: getattr(self, f) for f in _CLAIM_FIELDS}
        for key in ("submitter", "billing", "subscriber", "patient"):
            data[key] = _name(data[key])
        data["diagnoses"] = list(self.diagnoses)
        data["lines"] = [{f: getattr(ln, f) for f in _LINE_FIELDS} | {
            "modifiers": list(ln.modifiers)} for ln in self.lines]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReceivedClaim:
        d = dict(data)
        for key in ("submitter", "billing", "subscriber"):
            d[key] = Name(**d[key])
        d["patient"] = Name(**d["patient"]) if d.get("patient") else None
        d["lines"] = [ReceivedLine(**ln) for ln in d["lines"]]
        return cls(**d)


_CLAIM_FIELDS = tuple(f.name for f in dataclasses.fields(ReceivedClaim))
_LINE_FIELDS = tuple(f.name for f in dataclasses.fields(ReceivedLine))
_NAME_FIELDS = tuple(f.name for f in dataclasses.fields(Name))


def _name(n: Name | None) -> dict[str, str] | None:
    return None if n is None else {f: getattr(n, f) for f in _NAME_FIELDS}


@dataclass(slots=True)
class ReceivedSet:
    """One ST..SE and its claims."""

    control_number: str
    version: str
    claims: list[ReceivedClaim] = field(default_factory=list)

    def claim_at(self, position: int) -> ReceivedClaim | None:
        for claim in self.claims:
            if claim.set_position <= position <= claim.last_position:
                return claim
        return None


def amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


# NM101 → loop id, by the loop family the NM1 appears in.
_NM1_LOOPS = {
    "header": {"41": "1000A", "40": "1000B"},
    "2000A": {"85": "2010AA", "87": "2010AB", "PE": "2010AC"},
    "2000B": {"IL": "2010BA", "PR": "2010BB"},
    "2000C": {"QC": "2010CA"},
    "2300": {"DN": "2310A", "P3": "2310A", "82": "2310B", "77": "2310C", "DQ": "2310D",
             "PW": "2310E", "45": "2310F"},
    "2320": {"IL": "2330A", "PR": "2330B", "DN": "2330C", "82": "2330D", "77": "2330E",
             "DQ": "2330F", "85": "2330G"},
    "2400": {"82": "2420A", "QB": "2420B", "77": "2420C", "DQ": "2420D", "DK": "2420E",
             "DN": "2420F", "P3": "2420F", "PR": "2420G"},
}
_HL_LOOPS = {"20": "2000A", "22": "2000B", "23": "2000C"}


class SetReader:
    """Feed the segments of one ST..SE in order; :meth:`finish` gives the set."""

    def __init__(self, st: RawSegment, component: str) -> None:
        self.c = component
        self.result = ReceivedSet(st.get(2), st.get(3))
        self.position = 1  # of the last segment fed, in the set (ST = 1)
        self.family = "header"
        self.loop = ""
        self.reference = ""
        self.submitter = Name()
        self.billing = Name()
        self.billing_tax_id = ""
        self.subscriber = Name()
        self.patient: Name | None = None
        self.payer = ("", "")
        self.filing = ""
        self.claim: ReceivedClaim | None = None
        self.line: ReceivedLine | None = None
        self.entity = ""  # NM101 of the name loop we are in

    def feed(self, s: RawSegment) -> None:
        handler = getattr(self, "_" + s.id.lower(), None)
        self.position += 1  # handlers see the position of their own segment
        if handler is not None:
            handler(s)
        if self.claim is not None:
            self.claim.last_position = self.position

    def finish(self) -> ReceivedSet:
        self._end_claim()
        return self.result

    # ------------------------------------------------------------------ segments

    def _bht(self, s: RawSegment) -> None:
        self.reference = s.get(3)

    def _hl(self, s: RawSegment) -> None:
        self._end_claim()
        self.family = self.loop = _HL_LOOPS.get(s.get(3), "2000?")
        if self.family == "2000A":
            self.billing, self.billing_tax_id = Name(), ""
        elif self.family == "2000B":
            self.subscriber, self.patient, self.payer, self.filing = Name(), None, ("", ""), ""
        elif self.family == "2000C":
            self.patient = Name()

    def _nm1(self, s: RawSegment) -> None:
        self.entity = s.get(1)
        self.loop = _NM1_LOOPS.get(self.family, {}).get(self.entity, self.family)
        name = Name(s.get(3), s.get(4), s.get(5), s.get(7), s.get(2) or "1", s.get(8), s.get(9))
        if self.loop == "1000A":
            self.submitter = name
        elif self.loop == "2010AA":
            self.billing = name
        elif self.loop == "2010BA":
            self.subscriber = name
        elif self.loop == "2010BB":
            self.payer = (s.get(9), s.get(3))
        elif self.loop == "2010CA":
            self.patient = name

    def _ref(self, s: RawSegment) -> None:
        if self.loop == "2010AA" and s.get(1) in ("EI", "SY"):
            self.billing_tax_id = s.get(2)
        elif s.get(1) == "6R" and self.line is not None and self.loop == "2400":
            self.line.control_number = s.get(2)

    def _sbr(self, s: RawSegment) -> None:
        if self.claim is None:
            self.filing = s.get(9)
        else:  # other subscriber information: COB
            self.family = self.loop = "2320"
            self.line = None

    def _clm(self, s: RawSegment) -> None:
        self._end_claim()
        self.family = self.loop = "2300"
        position = self.position
        c05 = s.get(5).split(self.c)
        self.claim = ReceivedClaim(
            pcn=s.get(1), charge=f"{amount(s.get(2)):.2f}", set_control=self.result.control_number,
            set_position=position, last_position=position,
            frequency=c05[2] if len(c05) > 2 else "1", filing_indicator=self.filing,
            payer_id=self.payer[0], payer_name=self.payer[1], reference=self.reference,
            submitter=self.submitter, billing=self.billing, billing_tax_id=self.billing_tax_id,
            subscriber=self.subscriber, patient=self.patient)

    def _hi(self, s: RawSegment) -> None:
        if self.claim is None:
            return
        for element in s.elements[1:]:
            parts = element.split(self.c)
            if len(parts) > 1 and parts[0] in ("ABK", "ABF", "BK", "BF"):
                self.claim.diagnoses.append(parts[1])

    def _lx(self, s: RawSegment) -> None:
        self.family = self.loop = "2400"
        self.line = None
        if self.claim is not None:
            number = int(s.get(1)) if s.get(1).isdigit() else len(self.claim.lines) + 1
            self.line = ReceivedLine(number, "HC", "", [], "0", "1")
            self.claim.lines.append(self.line)

    def _sv1(self, s: RawSegment) -> None:
        if self.line is None:
            return
        parts = s.get(1).split(self.c)
        self.line.qualifier = parts[0] or "HC"
        self.line.procedure = parts[1] if len(parts) > 1 else ""
        self.line.modifiers = [m for m in parts[2:6] if m]
        self.line.charge = f"{amount(s.get(2)):.2f}"
        self.line.units = str(amount(s.get(4)) or Decimal(1))

    def _dtp(self, s: RawSegment) -> None:
        if self.line is None or self.loop != "2400" or s.get(1) != "472":
            return
        dates = s.get(3).split("-")
        self.line.date_from = dates[0]
        self.line.date_to = dates[-1]

    def _lin(self, _s: RawSegment) -> None:
        self.loop = "2410"

    def _svd(self, _s: RawSegment) -> None:
        self.loop = "2430"

    def _lq(self, _s: RawSegment) -> None:
        self.loop = "2440"

    def _end_claim(self) -> None:
        if self.claim is not None:
            self.result.claims.append(self.claim)
        self.claim = None
        self.line = None
