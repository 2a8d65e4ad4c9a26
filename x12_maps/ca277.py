"""277CA claim acknowledgment (005010X214) reader: one interchange → one
:class:`~gateway.domain.acks277.ClaimAck277` per transaction set.

The hierarchy is followed by HL id and parent (HL01/HL02), not by segment order alone:
20 information source → 21 information receiver → 19 billing provider → PT patient,
whose 2200D claims each start with a TRN. Every STC is kept with all its composites
(STC01, STC10, STC11); line-level statuses (2220D) hang on their claim.

Real files are imperfect (X12-NOTES.md): unparseable dates or amounts become None, a
segment the guide does not place where it was found is skipped and noted by id and
position. What cannot be understood — an HL that is not part of a 20/21/19/PT tree, an
STC without a category, a claim segment before its claim's TRN — raises
:class:`~gateway.errors.X12Error`, whose message names positions and codes, never data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from gateway.domain.acks277 import (
    BillingProvider,
    ClaimAck,
    ClaimAck277,
    InformationReceiver,
    InformationSource,
    LineAck,
    StatusCode,
    Stc,
    Totals,
)
from gateway.errors import X12Error
from gateway.x12.detect import Interchange
from gateway.x12.tokenizer import RawSegment

_LEVELS = {"20": "information source", "21": "information receiver",
           "19": "billing provider", "PT": "patient"}
# The level each level hangs under (a patient may hang right under the receiver in
# files that leave the provider level out).
_PARENTS = {"20": (), "21": ("20",), "19": ("21",), "PT": ("19", "21")}
_ENVELOPE = frozenset({"ISA", "GS", "GE", "IEA", "TA1"})
_MAX_TEXT = 264  # STC12 is AN 1..264
_CATEGORY = re.compile(r"[A-Z][A-Z0-9]{1,3}")  # A0 .. R16, F3F, DR01


def read_277ca(ic: Interchange) -> list[ClaimAck277]:
    """Every 277CA transaction set of one interchange, in file order."""
    documents: list[ClaimAck277] = []
    reader: _SetReader | None = None
    for segment in ic.segments:
        sid = segment.id
        if sid == "ST":
            reader = _SetReader(segment, ic)
        elif sid == "SE":
            if reader is not None:
                documents.append(reader.finish())
            reader = None
        elif reader is not None:
            reader.add(segment)
        elif sid not in _ENVELOPE:
            raise X12Error(f"segment {sid} at position {segment.position} is outside a "
                           "transaction set")
    if not documents:
        raise X12Error(f"interchange {ic.control_number} holds no 277CA transaction set")
    return documents


@dataclass(slots=True)
class _Hl:
    id: str
    level: str
    node: InformationSource | InformationReceiver | BillingProvider | None
    receiver_hl: str = ""
    provider_hl: str | None = None


class _SetReader:
    """Reads one ST..SE: keeps the current HL and, inside a patient level, the current
    claim (2200D) and service line (2220D)."""

    def __init__(self, st: RawSegment, ic: Interchange) -> None:
        if st.get(1) != "277" or "X214" not in st.get(3, "X214"):
            raise X12Error(f"transaction set at position {st.position} is not a 277CA "
                           "(005010X214)")
        self.component = ic.delimiters.component
        self.doc = ClaimAck277(control_number=st.get(2),
                               interchange_control_number=ic.control_number,
                               position=st.position)
        self.hls: dict[str, _Hl] = {}
        self.hl: _Hl | None = None
        self.claim: ClaimAck | None = None
        self.line: LineAck | None = None

    # --- segments ---------------------------------------------------------------------

    def add(self, s: RawSegment) -> None:
        sid = s.id
        if sid == "BHT":
            self.doc.reference = s.get(3)
            self.doc.created = _date(s.get(4))
        elif sid == "HL":
            self._hl(s)
        elif self.hl is None:
            self._skip(s)
        elif sid == "NM1":
            self._nm1(s)
        elif sid == "TRN":
            self._trn(s)
        elif sid == "STC":
            self._stc(s)
        elif sid == "REF":
            self._ref(s)
        elif sid == "DTP":
            self._dtp(s)
        elif sid in ("QTY", "AMT"):
            self._totals(s)
        elif sid == "SVC":
            self._svc(s)
        else:
            self._skip(s)

    def _hl(self, s: RawSegment) -> None:
        hl_id, parent_id, level = s.get(1), s.get(2), s.get(3)
        where = f"HL at position {s.position}"
        if level not in _LEVELS:
            raise X12Error(f"{where} has level code {level[:3]!r}; a 277CA uses 20, 21, 19, PT")
        if not hl_id:
            raise X12Error(f"{where} has no id (HL01)")
        if hl_id in self.hls:
            raise X12Error(f"{where} repeats HL id {hl_id}")
        parent = self._parent(where, level, parent_id)
        self.claim = self.line = None
        node: InformationSource | InformationReceiver | BillingProvider | None = None
        hl = _Hl(hl_id, level, None)
        if level == "20":
            node = InformationSource(hl_id, s.position)
            self.doc.sources.append(node)
        elif level == "21":
            assert parent is not None
            node = InformationReceiver(hl_id, parent.id, s.position)
            self.doc.receivers.append(node)
            hl.receiver_hl = hl_id
        elif level == "19":
            assert parent is not None
            node = BillingProvider(hl_id, parent.id, s.position)
            self.doc.providers.append(node)
            hl.receiver_hl, hl.provider_hl = parent.id, hl_id
        else:
            assert parent is not None
            hl.receiver_hl, hl.provider_hl = parent.receiver_hl, parent.provider_hl
        hl.node = node
        self.hls[hl_id] = self.hl = hl

    def _parent(self, where: str, level: str, parent_id: str) -> _Hl | None:
        allowed = _PARENTS[level]
        if not allowed:
            return None
        if parent_id:
            parent = self.hls.get(parent_id)
            if parent is None:
                raise X12Error(f"{where} names parent HL {parent_id}, which does not "
                               "come before it")
        else:  # HL02 left out: the latest HL of a level this one may hang under
            parent = next((h for h in reversed(self.hls.values()) if h.level in allowed),
                          None)
            if parent is None:
                raise X12Error(f"{where} ({_LEVELS[level]}) has no parent level before it")
        if parent.level not in allowed:
            raise X12Error(f"{where} ({_LEVELS[level]}) hangs under a "
                           f"{_LEVELS[parent.level]} level")
        return parent

    def _nm1(self, s: RawSegment) -> None:
        assert self.hl is not None
        node = self.hl.node
        if isinstance(node, InformationSource) and not node.entity:
            node.entity, node.name = s.get(1), s.get(3)
            node.id_qualifier, node.id = s.get(8), s.get(9)
        elif isinstance(node, InformationReceiver) and not node.id:
            node.id = s.get(9)
        elif isinstance(node, BillingProvider) and not node.id:
            node.id_qualifier, node.id = s.get(8), s.get(9)
        # The patient's name and member id (2100D) are PHI the gateway does not need.

    def _trn(self, s: RawSegment) -> None:
        assert self.hl is not None
        node = self.hl.node
        if self.hl.level == "PT":
            self.line = None
            self.claim = ClaimAck(s.get(2).strip(), s.position, self.hl.receiver_hl,
                                  self.hl.provider_hl)
            self.doc.claims.append(self.claim)
        elif node is not None and not node.trace:
            node.trace = s.get(2)
        else:
            self._skip(s)

    def _stc(self, s: RawSegment) -> None:
        assert self.hl is not None
        stc = self._read_stc(s)
        node = self.hl.node
        if self.hl.level == "PT":
            target = self.line or self.claim
            if target is None:
                raise X12Error(f"STC at position {s.position} comes before its claim's TRN")
            target.statuses.append(stc)
        elif isinstance(node, InformationReceiver | BillingProvider):
            node.statuses.append(stc)
        else:
            self._skip(s)

    def _read_stc(self, s: RawSegment) -> Stc:
        first = self._status_code(s.get(1))
        if not _CATEGORY.fullmatch(first.category):
            raise X12Error(f"STC at position {s.position} has no status category (STC01-1)")
        statuses = [first]
        for n in (10, 11):
            if s.get(n):
                extra = self._status_code(s.get(n))
                if _CATEGORY.fullmatch(extra.category):
                    statuses.append(extra)
                else:
                    self.doc.skipped.append(f"STC{n:02d}@{s.position}")
        return Stc(statuses=tuple(statuses), position=s.position, date=_date(s.get(2)),
                   action=s.get(3), amount=_amount(s.get(4)), text=_text(s.get(12)))

    def _status_code(self, composite: str) -> StatusCode:
        parts = [p.strip() for p in composite.split(self.component)] + ["", "", "", ""]
        return StatusCode(parts[0].upper(), parts[1], parts[2].upper(), parts[3])

    def _ref(self, s: RawSegment) -> None:
        assert self.hl is not None
        qualifier, value = s.get(1), s.get(2)
        node = self.hl.node
        if self.line is not None and qualifier in ("FJ", "XZ"):
            if qualifier == "FJ":
                self.line.line_item_control_number = value
        elif self.claim is not None and self.line is None and qualifier in ("1K", "D9", "BLT"):
            if qualifier == "1K":
                self.claim.payer_claim_control_number = value
            elif qualifier == "D9":
                self.claim.clearinghouse_trace = value
            else:
                self.claim.bill_type = value
        elif isinstance(node, BillingProvider):
            node.secondary_ids.append((qualifier, value))
        else:
            self._skip(s)

    def _dtp(self, s: RawSegment) -> None:
        assert self.hl is not None
        qualifier, fmt, value = s.get(1), s.get(2), s.get(3)
        node = self.hl.node
        target = self.line or self.claim
        if qualifier == "472" and target is not None:
            target.service_from, target.service_to = _period(fmt, value)
        elif isinstance(node, InformationSource) and qualifier in ("050", "009"):
            if qualifier == "050":
                node.received = _date(value)
            else:
                node.processed = _date(value)
        else:
            self._skip(s)

    def _totals(self, s: RawSegment) -> None:
        assert self.hl is not None
        node = self.hl.node
        if not isinstance(node, InformationReceiver | BillingProvider):
            self._skip(s)
            return
        code, value, t = s.get(1), s.get(2), node.totals
        if s.id == "QTY" and code in ("90", "QA"):
            node.totals = Totals(_count(value), t.rejected_count, t.accepted_amount,
                                 t.rejected_amount)
        elif s.id == "QTY" and code in ("AA", "QC"):
            node.totals = Totals(t.accepted_count, _count(value), t.accepted_amount,
                                 t.rejected_amount)
        elif s.id == "AMT" and code == "YU":
            node.totals = Totals(t.accepted_count, t.rejected_count, _amount(value),
                                 t.rejected_amount)
        elif s.id == "AMT" and code == "YY":
            node.totals = Totals(t.accepted_count, t.rejected_count, t.accepted_amount,
                                 _amount(value))
        else:
            self._skip(s)

    def _svc(self, s: RawSegment) -> None:
        if self.claim is None:
            raise X12Error(f"SVC at position {s.position} comes before its claim's TRN")
        procedure = ":".join(p.strip() for p in s.get(1).split(self.component))
        self.line = LineAck(s.position, procedure.rstrip(":"), _amount(s.get(2)),
                            s.get(4), s.get(7))
        self.claim.lines.append(self.line)

    def _skip(self, s: RawSegment) -> None:
        qualifier = s.get(1) if s.id in ("REF", "DTP", "QTY", "AMT", "NM1", "TRN") else ""
        self.doc.skipped.append(f"{s.id}{'*' + qualifier if qualifier else ''}@{s.position}")

    def finish(self) -> ClaimAck277:
        if not self.doc.sources:
            raise X12Error(f"277CA transaction set {self.doc.control_number} has no "
                           "information source (HL level 20)")
        return self.doc


# --- values ---------------------------------------------------------------------------


def _date(value: str) -> dt.date | None:
    """CCYYMMDD, or None when absent or not a date (payers send odd values)."""
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _period(fmt: str, value: str) -> tuple[dt.date | None, dt.date | None]:
    if fmt == "RD8" or "-" in value:
        first, _, last = value.partition("-")
        return _date(first), _date(last or first)
    day = _date(value)
    return day, day


def _amount(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _count(value: str) -> int | None:
    try:
        return int(Decimal(value)) if value else None
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _text(value: str) -> str:
    """STC12 free text: printable characters only, at most its guide length."""
    return "".join(c for c in value if c.isprintable()).strip()[:_MAX_TEXT]
