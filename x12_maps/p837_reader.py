"""837P (005010X222A1) reader: X12 text → one :class:`Claim` per 2300 claim loop.

Reads ours and other systems' files: every 2300 of every ST of every interchange, with
the loops it hangs on (1000A/B, 2000A/2010AA/AB, 2000B/2010BA/BB, 2000C/2010CA) and its
own 2310A/B/C, 2320/2330A/2330B (other payers), 2400, 2410, 2430 (line adjudication).
What the claim model has no place for (2330C-G, other subscriber and payer addresses,
MOA, AMT other than D, 2420 line providers, CR1/CRC, K3, PWK, most REF and DTP
qualifiers, ...) is skipped, and each claim lists the segment ids skipped on its way.

A claim that cannot become a valid :class:`Claim` (missing CLM, ICD-9 diagnoses, a bad
date, a model violation) is a per-claim :class:`ReadFailure` with a reason that names
segments, positions, qualifier codes and field paths but never claim data. A file that
is not X12 at all, or not an 837P, raises :class:`~gateway.errors.X12Error`.

Segments are consumed one at a time (:func:`iter_837` yields each claim as soon as it
ends), so memory stays proportional to one claim plus the loops above it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gateway.domain.claim import Claim
from gateway.errors import X12Error
from gateway.x12.delimiters import Delimiters
from gateway.x12.tokenizer import RawSegment, segments

Doc = dict[str, Any]

_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA", "TA1"})
_ICD10 = frozenset({"ABK", "ABF"})
_ICD9 = frozenset({"BK", "BF"})
# Implementation guides that share GS01 = HC / ST01 = 837 but are not professional.
_NOT_PROFESSIONAL = {"X223": "institutional (837I)", "X096": "institutional (837I)",
                     "X224": "dental (837D)", "X097": "dental (837D)"}
_MAX_REASONS = 3


@dataclass(frozen=True, slots=True)
class ReadClaim:
    claim: Claim
    clm_position: int  # 1-based position of the CLM segment in the file (ISA = 1)
    skipped: tuple[str, ...] = ()  # ids of segments the model has no place for


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A claim that could not be read. ``clm_position`` is its CLM's position, or, for a
    subscriber/patient loop without any CLM, the position of that loop's HL."""

    clm_position: int
    patient_control_number: str | None
    reason: str  # segment ids, positions, qualifier codes, field paths: no claim data


@dataclass(frozen=True, slots=True)
class Read837:
    claims: list[ReadClaim]
    failures: list[ReadFailure]


def read_837(text: str) -> Read837:
    """Every claim of every 837P transaction set in ``text`` (already decoded)."""
    claims: list[ReadClaim] = []
    failures: list[ReadFailure] = []
    for item in iter_837(text):
        if isinstance(item, ReadClaim):
            claims.append(item)
        else:
            failures.append(item)
    return Read837(claims, failures)


def iter_837(text: str) -> Iterator[ReadClaim | ReadFailure]:
    """Like :func:`read_837`, one claim (or failure) at a time, in file order."""
    reader = _Reader()
    for d, segment in segments(text):
        yield from reader.feed(d, segment)
    yield from reader.finish()


# ------------------------------------------------------------------------- state


@dataclass(slots=True)
class _Node:
    """One level of the hierarchy (the 1000 header or an HL): what it gives its claims."""

    fields: Doc = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    parent: _Node | None = None
    level: str = ""  # HL03: 20, 22, 23 ("" for the header)
    position: int = 0
    has_claim: bool = False

    def chain(self) -> list[_Node]:
        out: list[_Node] = []
        node: _Node | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        out.reverse()
        return out


@dataclass(slots=True)
class _Claim:
    node: _Node
    position: int
    pcn: str | None
    fields: Doc = field(default_factory=dict)
    diagnoses: list[str] = field(default_factory=list)
    lines: list[Doc] = field(default_factory=list)
    other_payers: list[Doc] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accident_date: dt.date | None = None


Handler = Callable[["_Reader", RawSegment], None]


class _Reader:
    """A state machine over segments. ``loop`` names where we are: a loop id from the
    guide ("2010AA", "2300", ...) or "skip" for a loop the model has no place for."""

    def __init__(self) -> None:
        self.d = Delimiters()
        # Some files compose with another character than the one ISA16 declares
        # (X12-NOTES: "ISA16 is ':' but composites use '>'"); CLM05 tells which.
        self.component = ":"
        self.seen_837 = False
        self.version = ""
        self.header: _Node | None = None
        self.node: _Node | None = None  # innermost HL (or the header)
        self.hls: dict[str, _Node] = {}
        self.leaf: _Node | None = None  # subscriber/patient HL still waiting for a CLM
        self.claim: _Claim | None = None
        self.line: Doc | None = None
        self.family = ""  # header, 2000A, 2000B, 2000C, 2300, 2320 or 2400
        self.loop = ""  # the loop inside the family; "skip" for one the model lacks
        self.entity: Doc = {}  # the party the current NM1 loop describes
        self.other: Doc = {}  # the current 2320 other payer
        self.adjudication: Doc = {}  # the current 2430 line adjudication
        self.out: list[ReadClaim | ReadFailure] = []

    # ---------------------------------------------------------------- driving

    def feed(self, d: Delimiters, s: RawSegment) -> list[ReadClaim | ReadFailure]:
        if d is not self.d:
            self.d = d
            self.component = d.component
        sid = s.id
        if sid in _ENVELOPE:
            self._envelope(s)
        elif self.header is None:
            pass  # between envelopes: nothing of a claim
        elif sid == "HL":
            self._hl(s)
        elif sid == "CLM":
            self._clm(s)
        elif self.claim is not None and sid in ("LX", "SBR"):
            (self._lx if sid == "LX" else self._cob)(s)
        elif self.line is not None and sid == "SVD":
            self._svd(s)  # a 2430 may follow 2410, 2420 or another 2430
        else:
            handler = _HANDLERS.get((self.loop, sid))
            if handler is None and sid == "NM1":
                handler = _Reader._nm1
            if handler is None:
                self._skip(sid)
            else:
                handler(self, s)
        out, self.out = self.out, []
        return out

    def finish(self) -> list[ReadClaim | ReadFailure]:
        self._end_transaction()
        if not self.seen_837:
            raise X12Error("the file holds no 837 transaction set (no ST*837)")
        out, self.out = self.out, []
        return out

    def _skip(self, sid: str) -> None:
        target = self.claim.skipped if self.claim is not None else (
            self.node.skipped if self.node is not None else None)
        if target is not None and sid not in target:
            target.append(sid)

    def _error(self, s: RawSegment, what: str) -> None:
        message = f"{s.id} at segment {s.position}: {what}"
        if self.claim is not None:
            self.claim.errors.append(message)
        elif self.node is not None:
            self.node.errors.append(message)

    # ---------------------------------------------------------------- envelope

    def _envelope(self, s: RawSegment) -> None:
        sid = s.id
        if sid == "GS":
            self._end_transaction()
            function = s.get(1).strip()
            if function != "HC":
                raise X12Error(f"functional group at segment {s.position} has GS01 "
                               f"{function[:3]!r}, not HC: this is not an 837 claim file")
            self.version = s.get(8).strip()
        elif sid == "ST":
            self._end_transaction()
            set_id = s.get(1).strip()
            if set_id != "837":
                raise X12Error(f"transaction set at segment {s.position} is {set_id[:3]!r}, "
                               "not 837")
            version = s.get(3).strip() or self.version
            for marker, kind in _NOT_PROFESSIONAL.items():
                if marker in version:
                    raise X12Error(f"transaction set at segment {s.position} is an {kind} "
                                   "claim, not a professional 837P")
            self.seen_837 = True
            self.header = self.node = _Node(position=s.position)
            self.hls = {}
            self.family = self.loop = "header"
        else:  # SE, GE, IEA, ISA, TA1: whatever was open ends here
            self._end_transaction()

    def _end_transaction(self) -> None:
        self._end_claim()
        self._check_leaf(None)
        self.header = self.node = None
        self.hls = {}
        self.family = self.loop = ""

    # ---------------------------------------------------------------- hierarchy

    def _hl(self, s: RawSegment) -> None:
        self._end_claim()
        assert self.header is not None
        level = s.get(3).strip()
        parent = self.hls.get(s.get(2).strip())
        if parent is None or parent.level == level:
            parent = self._default_parent(level)
        self._check_leaf(parent)
        node = _Node(parent=parent, level=level, position=s.position)
        self.hls[s.get(1).strip()] = node
        self.node = node
        self.family = self.loop = {"20": "2000A", "22": "2000B", "23": "2000C"}.get(
            level, "skip")
        if level in ("22", "23"):
            self.leaf = node
        if level not in ("20", "22", "23"):
            self._skip("HL")

    def _default_parent(self, level: str) -> _Node:
        """The nearest enclosing node of the right kind, when HL02 points nowhere useful."""
        assert self.header is not None
        wanted = {"20": ("",), "22": ("20",), "23": ("22",)}.get(level, ("20", "22", ""))
        node = self.node
        while node is not None and node.level not in wanted:
            node = node.parent
        return node or self.header

    def _check_leaf(self, new_parent: _Node | None) -> None:
        """A subscriber or patient loop that ends without a claim is a failure, unless the
        new HL is its child (a subscriber's patients carry its claims)."""
        leaf = self.leaf
        if leaf is None or leaf.has_claim or new_parent is leaf:
            return
        self.leaf = None
        kind = "subscriber (HL 22)" if leaf.level == "22" else "patient (HL 23)"
        self.out.append(ReadFailure(leaf.position, None,
                                    f"{kind} loop at segment {leaf.position} has no claim "
                                    "(CLM segment missing)"))

    # ---------------------------------------------------------------- claim

    def _clm(self, s: RawSegment) -> None:
        self._end_claim()
        node = self.node or self.header
        assert node is not None
        for n in node.chain():
            n.has_claim = True
        pcn = s.get(1).strip() or None
        claim = self.claim = _Claim(node, s.position, pcn)
        self.family = self.loop = "2300"
        self.line = None
        f = claim.fields
        _put(f, "patient_control_number", pcn)
        _put(f, "total_charge", s.get(2))
        facility = self._components(self._sniff_component(s.get(5)))
        if len(facility) == 1:
            self._error(s, "CLM05 is not a composite (place of service, qualifier, frequency) "
                           "split by the ISA16 component separator")
        _put(f, "place_of_service", _at(facility, 0))
        _put(f, "frequency_code", _at(facility, 2))
        signature = s.get(6).strip()
        if signature:
            if signature not in ("Y", "N"):
                self._error(s, "CLM06 (provider signature) is not Y or N")
            f["provider_signature"] = signature == "Y"
        _put(f, "accepts_assignment", s.get(7))
        _put(f, "benefits_assigned", s.get(8))
        _put(f, "release_of_information", s.get(9))
        related = self._components(s.get(11))
        causes = [c for c in related[:3] if c]
        if causes:
            accident: Doc = {"cause": causes[0]}
            _put(accident, "state", _at(related, 3))
            f["accident"] = accident

    def _end_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        self.claim = None
        self.line = None
        chain = claim.node.chain()
        doc: Doc = {}
        errors: list[str] = []
        skipped: list[str] = []
        for n in chain:
            doc.update(n.fields)
            errors.extend(n.errors)
            skipped.extend(n.skipped)
        doc.update(claim.fields)
        errors.extend(claim.errors)
        skipped.extend(claim.skipped)
        if claim.diagnoses:
            doc["diagnoses"] = claim.diagnoses
        doc["service_lines"] = claim.lines
        if claim.other_payers:
            doc["other_payers"] = claim.other_payers
        if "accident" in doc:
            if claim.accident_date is None:
                errors.append(f"CLM at segment {claim.position}: CLM11 names an accident but "
                              "there is no DTP*439 accident date")
            else:
                doc["accident"] = {**doc["accident"], "date": claim.accident_date}
        elif claim.accident_date is not None:
            skipped.append("DTP")  # an accident date without CLM11: nothing to attach it to
        if errors:
            self.out.append(ReadFailure(claim.position, claim.pcn, _join(errors)))
            return
        try:
            model = Claim.model_validate(doc)
        except ValidationError as exc:
            self.out.append(ReadFailure(claim.position, claim.pcn, _model_reason(exc)))
            return
        self.out.append(ReadClaim(model, claim.position, tuple(dict.fromkeys(skipped))))

    def _lx(self, s: RawSegment) -> None:
        assert self.claim is not None
        self.line = {}
        self.claim.lines.append(self.line)
        self.family = self.loop = "2400"

    # ---------------------------------------------------------------- NM1 loops

    def _nm1(self, s: RawSegment) -> None:
        """An NM1 starts a loop; which one depends on where we are and on NM101."""
        code = s.get(1).strip()
        family = self.family
        loop = _NM1_LOOPS.get((family, code), "skip")
        if family == "2300" and loop == "2310A" and self.claim is not None \
                and "referring_provider" in self.claim.fields:
            loop = "skip"  # a second 2310A (primary care provider, P3)
        self.loop = loop
        if loop == "skip":
            self._skip("NM1")
            return
        entity: Doc = {}
        self.entity = entity
        if loop == "1000A":
            self._set_header("submitter", entity)
            _put(entity, "name", s.get(3))
            _put(entity, "id", s.get(9))
        elif loop == "1000B":
            self._set_header("receiver", entity)
            _put(entity, "name", s.get(3))
            _put(entity, "id", s.get(9))
        elif loop in ("2010AA", "2310A", "2310B"):
            key = {"2010AA": "billing_provider", "2310A": "referring_provider",
                   "2310B": "rendering_provider"}[loop]
            self._set_fields(key, entity)
            if s.get(2).strip() == "1":
                _put(entity, "last_name", s.get(3))
                _put(entity, "first_name", s.get(4))
            else:
                _put(entity, "organization_name", s.get(3))
            if s.get(8).strip() == "XX":
                _put(entity, "npi", s.get(9))
        elif loop == "2010AB":
            self._set_fields("pay_to", entity)
        elif loop in ("2010BA", "2010CA"):
            self._set_fields("subscriber" if loop == "2010BA" else "patient", entity)
            _put(entity, "last_name", s.get(3))
            if s.get(2).strip() != "2":
                _put(entity, "first_name", s.get(4))
                _put(entity, "middle_name", s.get(5))
                _put(entity, "suffix", s.get(7))
            if loop == "2010BA":
                _put(entity, "member_id", s.get(9))
        elif loop == "2010BB":
            self._set_fields("payer", entity)
            _put(entity, "name", s.get(3))
            _put(entity, "payer_id", s.get(9))
        elif loop == "2330A":
            self.entity = entity = self.other.setdefault("insured", {})
            _put(entity, "last_name", s.get(3))
            _put(entity, "first_name", s.get(4))
            _put(entity, "member_id", s.get(9))
        elif loop == "2330B":
            self.entity = entity = self.other.setdefault("payer", {})
            _put(entity, "name", s.get(3))
            _put(entity, "payer_id", s.get(9))
        elif loop == "2310C":
            self._set_fields("service_facility", entity)
            _put(entity, "name", s.get(3))
            if s.get(8).strip() == "XX":
                _put(entity, "npi", s.get(9))

    def _set_header(self, key: str, entity: Doc) -> None:
        assert self.header is not None
        self.header.fields[key] = entity

    def _set_fields(self, key: str, entity: Doc) -> None:
        """Attach ``entity`` to the claim (2300 loops) or to the current HL node."""
        if self.claim is not None:
            self.claim.fields[key] = entity
        elif self.node is not None:
            # The subscriber dict may already hold SBR data: merge into it.
            entity.update(self.node.fields.get(key, {}))
            self.node.fields[key] = entity

    # ---------------------------------------------------------------- shared segments

    def _components(self, value: str) -> list[str]:
        return [c.strip() for c in value.split(self.component)] if value else []

    def _sniff_component(self, clm05: str) -> str:
        """CLM05 is always three components, the second one B (``11:B:1``). When it does
        not hold the declared component separator but has that shape around another
        punctuation character, the claim composes with that one: use it until a CLM05
        shows the declared one again."""
        if not clm05 or self.d.component in clm05:
            self.component = self.d.component
            return clm05
        marks = {ch for ch in clm05 if not ch.isalnum() and ch != " "}
        if len(marks) == 1:
            mark = marks.pop()
            parts = clm05.split(mark)
            if len(parts) == 3 and parts[1].strip() == "B" and mark not in self.d.all:
                self.component = mark
        return clm05

    def _date(self, s: RawSegment, value: str) -> dt.date | None:
        value = value.strip()
        if len(value) == 8 and value.isdigit():
            try:
                return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                pass
        self._error(s, "date is not a valid CCYYMMDD date")
        return None

    def _n3(self, s: RawSegment) -> None:
        address = self.entity.setdefault("address", {})
        _put(address, "line1", s.get(1))
        _put(address, "line2", s.get(2))

    def _n4(self, s: RawSegment) -> None:
        address = self.entity.setdefault("address", {})
        _put(address, "city", s.get(1))
        _put(address, "state", s.get(2))
        _put(address, "zip", s.get(3))
        _put(address, "country", s.get(4))

    def _dmg(self, s: RawSegment) -> None:
        if s.get(1).strip() not in ("D8", ""):
            self._error(s, "DMG01 date format is not D8")
        elif s.get(2).strip():
            self.entity["birth_date"] = self._date(s, s.get(2))
        _put(self.entity, "gender", s.get(3))

    def _per(self, s: RawSegment) -> None:
        if "contact" in self.entity:
            self._skip("PER")
            return
        contact: Doc = {}
        _put(contact, "name", s.get(2))
        for i in (3, 5, 7):
            kind = {"TE": "phone", "EM": "email", "FX": "fax"}.get(s.get(i).strip())
            if kind is not None and kind not in contact:
                _put(contact, kind, s.get(i + 1))
        if contact:
            self.entity["contact"] = contact

    # ---------------------------------------------------------------- 2000A-C

    def _prv_billing(self, s: RawSegment) -> None:
        assert self.node is not None
        bp = self.node.fields.setdefault("billing_provider", {})
        _put(bp, "taxonomy", s.get(3))

    def _ref_billing(self, s: RawSegment) -> None:
        kind = {"EI": "EIN", "SY": "SSN"}.get(s.get(1).strip())
        if kind is None or "tax_id" in self.entity:
            self._skip("REF")
            return
        self.entity["tax_id"] = {"type": kind, "value": s.get(2).strip()}

    def _sbr(self, s: RawSegment) -> None:
        assert self.node is not None
        sub = self.node.fields.setdefault("subscriber", {})
        _put(sub, "payer_responsibility", s.get(1))
        if s.get(2).strip() == "18":
            sub["relationship_to_patient"] = "18"
        _put(sub, "group_number", s.get(3))
        _put(sub, "group_name", s.get(4))
        _put(sub, "claim_filing_indicator", s.get(9))

    def _pat(self, s: RawSegment) -> None:
        assert self.node is not None
        patient = self.node.fields.setdefault("patient", {})
        _put(patient, "relationship_to_subscriber", s.get(1))

    # ---------------------------------------------------------------- 2300

    def _dtp_claim(self, s: RawSegment) -> None:
        assert self.claim is not None
        qualifier = s.get(1).strip()
        if qualifier not in ("431", "439"):
            self._skip("DTP")
            return
        if s.get(2).strip() != "D8":
            self._error(s, f"DTP*{qualifier} date format is not D8")
            return
        day = self._date(s, s.get(3))
        if qualifier == "431":
            self.claim.fields["onset_date"] = day
        else:
            self.claim.accident_date = day

    def _ref_claim(self, s: RawSegment) -> None:
        assert self.claim is not None
        key = {"9F": "referral_number", "G1": "prior_authorization",
               "F8": "payer_claim_control_number"}.get(s.get(1).strip())
        if key is None or key in self.claim.fields:
            self._skip("REF")
            return
        _put(self.claim.fields, key, s.get(2))

    def _nte(self, s: RawSegment) -> None:
        assert self.claim is not None
        if "note" in self.claim.fields:
            self._skip("NTE")
            return
        _put(self.claim.fields, "note", s.get(2))

    def _hi(self, s: RawSegment) -> None:
        assert self.claim is not None
        other = False
        for value in s.elements[1:]:
            parts = self._components(value)
            qualifier = _at(parts, 0)
            if len(parts) == 1 and qualifier:
                self._error(s, "HI element is not a composite (qualifier, code) split by the "
                               "ISA16 component separator")
                return
            if qualifier in _ICD10:
                code = _at(parts, 1) or ""
                bare = code.replace(".", "")
                self.claim.diagnoses.append(f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare)
            elif qualifier in _ICD9:
                self._error(s, f"diagnoses are ICD-9-CM (qualifier {qualifier}); only "
                               "ICD-10-CM diagnoses (ABK/ABF) are accepted")
                return
            elif qualifier:
                other = True
        if other:
            self._skip("HI")

    def _prv_rendering(self, s: RawSegment) -> None:
        _put(self.entity, "taxonomy", s.get(3))

    def _cob(self, s: RawSegment) -> None:
        """2320 other subscriber information: one other payer of the claim."""
        assert self.claim is not None
        other: Doc = {"adjustments": [], "lines": []}
        _put(other, "payer_responsibility", s.get(1))
        _put(other, "relationship", s.get(2))
        _put(other, "group_number", s.get(3))
        _put(other, "claim_filing_indicator", s.get(9))
        if s.get(4).strip() or s.get(5).strip():
            self._skip("SBR")  # group name, insurance type: no place in the model
        self.claim.other_payers.append(other)
        self.other = other
        self.family = self.loop = "2320"

    def _adjustments(self, s: RawSegment) -> list[Doc]:
        """A CAS segment: its group code with up to six (reason, amount, quantity)."""
        group = s.get(1).strip()
        out: list[Doc] = []
        for i in range(2, 20, 3):
            adjustment: Doc = {"group": group}
            _put(adjustment, "reason", s.get(i))
            _put(adjustment, "amount", s.get(i + 1))
            _put(adjustment, "quantity", s.get(i + 2))
            if len(adjustment) > 1:
                out.append(adjustment)
        return out

    def _cas_claim(self, s: RawSegment) -> None:
        self.other["adjustments"].extend(self._adjustments(s))

    def _amt_other(self, s: RawSegment) -> None:
        if s.get(1).strip() != "D" or "paid_amount" in self.other:
            self._skip("AMT")
            return
        _put(self.other, "paid_amount", s.get(2))

    def _dtp_other(self, s: RawSegment) -> None:
        if s.get(1).strip() != "573" or "adjudication_date" in self.other:
            self._skip("DTP")
            return
        if s.get(2).strip() != "D8":
            self._error(s, "DTP*573 date format is not D8")
            return
        self.other["adjudication_date"] = self._date(s, s.get(3))

    # ---------------------------------------------------------------- 2400 / 2410

    def _sv1(self, s: RawSegment) -> None:
        line = self.line
        assert line is not None
        if "procedure_code" in line:
            self._skip("SV1")
            return
        parts = self._components(s.get(1))
        qualifier = _at(parts, 0)
        if len(parts) == 1:
            self._error(s, "SV101 is not a composite (qualifier, procedure code, modifiers) "
                           "split by the ISA16 component separator")
            return
        if qualifier != "HC":
            self._error(s, f"SV101-1 product/service qualifier {(qualifier or '')[:2]!r} "
                           "is not supported (only HC: CPT/HCPCS)")
            return
        _put(line, "procedure_code", _at(parts, 1))
        line["modifiers"] = [m for m in parts[2:6] if m]
        _put(line, "description", _at(parts, 6))
        _put(line, "charge", s.get(2))
        _put(line, "unit_type", s.get(3))
        _put(line, "units", s.get(4))
        _put(line, "place_of_service", s.get(5))
        pointers: list[int] = []
        for p in self._components(s.get(7)):
            whole, _, fraction = p.partition(".")  # "1.00" is seen in the wild
            if not p:
                continue
            if not whole.isdigit() or fraction.strip("0"):
                self._error(s, "SV107 diagnosis pointer is not a whole number")
                return
            pointers.append(int(whole))
        line["diagnosis_pointers"] = pointers

    def _dtp_line(self, s: RawSegment) -> None:
        line = self.line
        assert line is not None
        if s.get(1).strip() != "472" or "service_date" in line:
            self._skip("DTP")
            return
        form, value = s.get(2).strip(), s.get(3).strip()
        if form == "D8":
            line["service_date"] = self._date(s, value)
        elif form == "RD8":
            start, sep, end = value.partition("-")
            if not sep:
                self._error(s, "RD8 date range is not CCYYMMDD-CCYYMMDD")
                return
            line["service_date"] = self._date(s, start)
            line["service_date_end"] = self._date(s, end)
        else:
            self._error(s, "DTP*472 date format is neither D8 nor RD8")

    def _ref_line(self, s: RawSegment) -> None:
        line = self.line
        assert line is not None
        if s.get(1).strip() != "6R" or "line_item_control_number" in line:
            self._skip("REF")
            return
        _put(line, "line_item_control_number", s.get(2))

    def _lin(self, s: RawSegment) -> None:
        line = self.line
        assert line is not None
        if s.get(2).strip() != "N4" or "ndc" in line:
            self.loop = "skip"
            self._skip("LIN")
            return
        self.loop = "2410"
        _put(line, "ndc", s.get(3))

    def _ctp(self, s: RawSegment) -> None:
        line = self.line
        assert line is not None
        _put(line, "ndc_quantity", s.get(4))
        _put(line, "ndc_unit", _at(self._components(s.get(5)), 0))

    def _svd(self, s: RawSegment) -> None:
        """2430: a prior payer's adjudication of the current line, charged to the other
        payer whose 2330B NM109 equals SVD01."""
        claim = self.claim
        assert claim is not None
        self.family = "2400"
        self.loop = "2430"
        payer_id = s.get(1).strip()
        owner = next((p for p in claim.other_payers
                      if p.get("payer", {}).get("payer_id") == payer_id), None)
        adjudication: Doc = {"line_number": len(claim.lines), "adjustments": []}
        self.adjudication = adjudication
        if owner is None:
            self._error(s, "SVD01 names no other payer of the claim (2330B NM109)")
            return
        owner["lines"].append(adjudication)
        _put(adjudication, "paid_amount", s.get(2))
        parts = self._components(s.get(3))
        if len(parts) == 1 or _at(parts, 0) != "HC":
            self._error(s, "SVD03 is not a composite with qualifier HC (CPT/HCPCS)")
            return
        _put(adjudication, "procedure_code", _at(parts, 1))
        adjudication["modifiers"] = [m for m in parts[2:6] if m]
        _put(adjudication, "units", s.get(5))
        if s.get(6).strip() or _at(parts, 6):
            self._skip("SVD")  # bundled line number, description: not in the model

    def _cas_line(self, s: RawSegment) -> None:
        self.adjudication["adjustments"].extend(self._adjustments(s))

    def _dtp_adjudication(self, s: RawSegment) -> None:
        if s.get(1).strip() != "573" or "adjudication_date" in self.adjudication:
            self._skip("DTP")
            return
        if s.get(2).strip() != "D8":
            self._error(s, "DTP*573 date format is not D8")
            return
        self.adjudication["adjudication_date"] = self._date(s, s.get(3))

    def _line_end(self, s: RawSegment) -> None:
        """2420 line providers, 2440 forms: not in the model."""
        self.loop = "skip"
        self._skip(s.id)


def _address_handlers(*loops: str) -> dict[tuple[str, str], Handler]:
    out: dict[tuple[str, str], Handler] = {}
    for loop in loops:
        out[(loop, "N3")] = _Reader._n3
        out[(loop, "N4")] = _Reader._n4
    return out


# Which loop an NM1 starts: (family, NM101) -> loop id.
_NM1_LOOPS: dict[tuple[str, str], str] = {
    ("header", "41"): "1000A", ("header", "40"): "1000B",
    ("2000A", "85"): "2010AA", ("2000A", "87"): "2010AB",
    ("2000B", "IL"): "2010BA", ("2000B", "PR"): "2010BB",
    ("2000C", "QC"): "2010CA",
    ("2300", "DN"): "2310A", ("2300", "82"): "2310B", ("2300", "77"): "2310C",
    ("2320", "IL"): "2330A", ("2320", "PR"): "2330B",
}

# (loop, segment id) -> handler. NM1 everywhere goes through _Reader._nm1; anything not
# listed is skipped (and recorded).
_HANDLERS: dict[tuple[str, str], Handler] = {
    ("header", "BHT"): lambda r, s: None,
    ("1000A", "PER"): _Reader._per,
    ("2000A", "PRV"): _Reader._prv_billing,
    ("2010AA", "REF"): _Reader._ref_billing,
    ("2010AA", "PER"): _Reader._per,
    ("2000B", "SBR"): _Reader._sbr,
    ("2010BA", "DMG"): _Reader._dmg,
    ("2000C", "PAT"): _Reader._pat,
    ("2010CA", "DMG"): _Reader._dmg,
    **_address_handlers("2010AA", "2010AB", "2010BA", "2010BB", "2010CA", "2310C"),
    ("2300", "DTP"): _Reader._dtp_claim,
    ("2300", "REF"): _Reader._ref_claim,
    ("2300", "NTE"): _Reader._nte,
    ("2300", "HI"): _Reader._hi,
    ("2310B", "PRV"): _Reader._prv_rendering,
    ("2400", "SV1"): _Reader._sv1,
    ("2400", "DTP"): _Reader._dtp_line,
    ("2400", "REF"): _Reader._ref_line,
    ("2400", "LIN"): _Reader._lin,
    ("2410", "CTP"): _Reader._ctp,
    ("2320", "CAS"): _Reader._cas_claim,
    ("2320", "AMT"): _Reader._amt_other,
    ("2320", "OI"): lambda r, s: None,  # OI03/OI06 repeat the claim's CLM08/CLM09
    ("2330B", "DTP"): _Reader._dtp_other,
    ("2430", "CAS"): _Reader._cas_line,
    ("2430", "DTP"): _Reader._dtp_adjudication,
    ("2400", "LQ"): _Reader._line_end, ("2410", "LQ"): _Reader._line_end,
    ("2430", "LQ"): _Reader._line_end,
}


def _put(doc: Doc, key: str, value: str | None) -> None:
    """Set ``key`` to the trimmed value, unless the element is empty."""
    if value is not None:
        value = value.strip()
        if value:
            doc[key] = value


def _at(parts: list[str], index: int) -> str | None:
    return parts[index] if index < len(parts) and parts[index] else None


def _join(errors: list[str]) -> str:
    shown = "; ".join(errors[:_MAX_REASONS])
    more = len(errors) - _MAX_REASONS
    return shown + (f" (and {more} more)" if more > 0 else "")


def _model_reason(exc: ValidationError) -> str:
    """pydantic's errors as field paths and expectations (never the input values)."""
    reasons = []
    for err in exc.errors(include_input=False, include_url=False):
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
        reasons.append(f"{path or 'claim'}: {err['msg']}")
    return "claim does not fit the claim model: " + _join(reasons)
