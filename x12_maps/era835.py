"""835 (005010X221A1) reader: one interchange → one :class:`Remittance835` per ST..SE.

What it reads, by loop:

- header: BPR (payment amount, credit/debit, method, date), TRN (trace number,
  originator), DTM*405 (production date);
- 1000A payer: N1*PR name and N104, REF*2U payer identification;
- 1000B payee: N1*PE name and N104;
- 2100 claim: CLP, CAS, MOA/MIA remark codes, REF, DTM*232/233 (NM1 names are never
  read: the gateway keeps no patient data from an 835);
- 2110 service line: SVC, DTM*472/150/151, CAS, REF*6R, LQ*HE;
- PLB provider-level adjustments (up to six reason/amount pairs each).

Other segments (TS3, TS2, AMT, QTY, PER, N3/N4, RDM, ...) are skipped. One pass over
the segments, constant work per segment: a 50,000-claim 835 is read in linear time and
memory proportional to what is kept.

Two ways to read:

- :func:`read_835` — every set of an interchange, with all its claims, in memory;
- streaming, for the ingestor (memory flat in the number of claims): :class:`Checker835`
  is fed the segments of an interchange one at a time (pass 1) and keeps only a small
  :class:`Checked835` per set — header, PLB, claim count, balancing verdict with running
  totals, which patient control numbers repeat; :func:`stream_835_claims` then reads one
  set's claims again (pass 2), yielding each :class:`ClaimPayment` once it is complete.

A transaction set the gateway cannot use raises :class:`~gateway.errors.X12Error` with
the segment position and element at fault and never a value: no BPR or TRN, a CLP/SVC/
CAS/PLB amount that is not a number, a CLP without its patient control number. Unusual
but readable content (an unknown code, a bad date) is kept as is or left empty.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from sys import intern

from gateway.domain.remittance import (
    Adjustment,
    BalanceTally,
    ClaimPayment,
    LinePayment,
    ProviderAdjustment,
    Remittance835,
)
from gateway.errors import X12Error
from gateway.x12.detect import Interchange
from gateway.x12.tokenizer import RawSegment

# X12 "R" (decimal) data: optional minus, digits with an optional decimal point.
_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
# CAS: up to six (reason, amount, quantity) triplets from CAS02.
_CAS_TRIPLETS = tuple(range(2, 20, 3))
# PLB: up to six (reason:reference composite, amount) pairs from PLB03.
_PLB_PAIRS = tuple(range(3, 15, 2))
# Claim-level remark codes: MOA03-07; MIA05 and MIA20-23.
_MOA_REMARKS = (3, 4, 5, 6, 7)
_MIA_REMARKS = (5, 20, 21, 22, 23)


def read_835(ic: Interchange) -> list[Remittance835]:
    """Every 835 transaction set of ``ic``, in file order."""
    found: list[Remittance835] = []
    builder: _SetBuilder | None = None
    for seg in ic.segments:
        sid = seg.id
        if sid == "ST":
            builder = (_SetBuilder(seg, ic.delimiters.component, ic.control_number)
                       if seg.get(1) == "835" else None)
        elif builder is None:
            continue
        elif sid == "SE":
            found.append(builder.finish())
            builder = None
        else:
            builder.add(seg)
    return found


# --- streaming ---------------------------------------------------------------------------

# Problems kept per set by the streaming check (all are counted).
KEPT_PROBLEMS = 20


class RepeatFilter:
    """Which (set, patient control number) keys occur more than once, in fixed memory.

    Two bit arrays (seen, repeated) indexed by the key's hash: a key that repeats is
    always reported; a key that does not may be (a hash collision, about n / 2**bits of
    them) — callers treat "repeated" only as "keep these CLPs together", which is
    correct for any claim. Hashes are per process: build and ask in the same one.
    """

    def __init__(self, bits: int = 23) -> None:
        self._mask = (1 << bits) - 1
        self._seen = bytearray(1 << (bits - 3))
        self._repeated = bytearray(1 << (bits - 3))

    def _slot(self, set_position: int, pcn: str) -> tuple[int, int]:
        h = hash((set_position, pcn)) & self._mask
        return h >> 3, 1 << (h & 7)

    def add(self, set_position: int, pcn: str) -> None:
        at, bit = self._slot(set_position, pcn)
        if self._seen[at] & bit:
            self._repeated[at] |= bit
        else:
            self._seen[at] |= bit

    def repeated(self, set_position: int, pcn: str) -> bool:
        at, bit = self._slot(set_position, pcn)
        return bool(self._repeated[at] & bit)


@dataclass(slots=True)
class Checked835:
    """What the check pass keeps of one 835 set: no claims, only what applying needs
    before the claims are read again."""

    remittance: Remittance835  # header and PLB; ``claims`` is empty
    claims: int  # the number of CLPs
    problems: list[str]  # balance problems: the first KEPT_PROBLEMS
    problem_count: int  # all of them
    first: int  # segment position of the ST
    last: int  # segment position of the SE
    repeats: RepeatFilter = field(repr=False)

    def repeated(self, pcn: str) -> bool:
        """CLP01 (may) occur more than once in this set."""
        return self.repeats.repeated(self.first, pcn)


class Checker835:
    """Pass 1 over an 835 interchange, one segment at a time: every set is parsed and
    balanced exactly as :func:`read_835` and :func:`balance_problems` would, raising
    the same :class:`X12Error`, but each claim is dropped once counted."""

    def __init__(self, component: str, interchange_control_number: str,
                 repeats: RepeatFilter) -> None:
        self.component = component
        self.interchange_control_number = interchange_control_number
        self.repeats = repeats
        self.sets: list[Checked835] = []
        self._builder: _SetBuilder | None = None
        self._tally = BalanceTally(KEPT_PROBLEMS)

    def add(self, seg: RawSegment) -> None:
        sid = seg.id
        if sid == "ST":
            self._builder = None
            if seg.get(1) == "835":
                self._tally = BalanceTally(KEPT_PROBLEMS)
                self._builder = _SetBuilder(seg, self.component,
                                            self.interchange_control_number, self._claim)
        elif self._builder is None:
            return
        elif sid == "SE":
            builder, tally = self._builder, self._tally
            remittance = builder.finish()
            tally.finish(remittance)
            self.sets.append(Checked835(remittance, tally.claims, tally.problems,
                                        tally.count, builder.st.position, seg.position,
                                        self.repeats))
            self._builder = None
        else:
            self._builder.add(seg)

    def _claim(self, claim: ClaimPayment) -> None:
        self._tally.add(claim)
        assert self._builder is not None
        self.repeats.add(self._builder.st.position, claim.patient_control_number)


def stream_835_claims(segments: Iterable[RawSegment], component: str,
                      interchange_control_number: str) -> Iterator[ClaimPayment]:
    """Pass 2: the claims of one set (``segments`` from its ST to its SE), in file
    order, each yielded once complete; nothing else of the set is kept."""
    ready: deque[ClaimPayment] = deque()
    builder: _SetBuilder | None = None
    for seg in segments:
        if seg.id == "ST":
            builder = _SetBuilder(seg, component, interchange_control_number, ready.append)
        elif builder is None:
            continue
        elif seg.id == "SE":
            builder.finish()
            yield from ready
            return
        else:
            builder.add(seg)
        while ready:
            yield ready.popleft()


def _amount(seg: RawSegment, index: int, *, required: bool = True) -> Decimal | None:
    raw = seg.get(index).strip()
    if not raw:
        if required:
            raise X12Error(f"{seg.id} at segment {seg.position}: {seg.id}{index:02d} "
                           "(an amount) is missing")
        return None
    value = _decimal(raw)
    if value is None:
        raise X12Error(f"{seg.id} at segment {seg.position}: {seg.id}{index:02d} is not a "
                       "number")
    return value


@functools.lru_cache(maxsize=16_384)
def _decimal(raw: str) -> Decimal | None:
    """An X12 decimal, or None. Cached: amounts repeat, and a Decimal is immutable, so one
    object can stand for every "1" or "5.00" of a large file."""
    if not _DECIMAL.fullmatch(raw):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def _required_amount(seg: RawSegment, index: int) -> Decimal:
    value = _amount(seg, index)
    assert value is not None
    return value


def _date(raw: str) -> dt.date | None:
    """CCYYMMDD, or None when absent or not a real date (kept readable, not fatal)."""
    raw = raw.strip()
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def _text(seg: RawSegment, index: int) -> str | None:
    value = seg.get(index).strip()
    return value or None


def _code(seg: RawSegment, index: int) -> str | None:
    """A short code, interned: a 50,000-claim file repeats the same few thousand times."""
    value = seg.get(index).strip()
    return intern(value) if value else None


class _SetBuilder:
    """Collects one ST..SE. ``level`` says which loop the next CAS/DTM/REF belongs to.

    Without ``on_claim`` every claim is kept in ``claims``; with it, each claim is handed
    over once complete (at the next CLP, LX, PLB or the SE) and not kept.
    """

    def __init__(self, st: RawSegment, component: str, interchange_control_number: str,
                 on_claim: Callable[[ClaimPayment], None] | None = None) -> None:
        self.st = st
        self.interchange_control_number = interchange_control_number
        self.component = component
        self.on_claim = on_claim
        self.level = "header"  # header, payer, payee, claim, line
        self.bpr: RawSegment | None = None
        self.trn: RawSegment | None = None
        self.production_date: dt.date | None = None
        self.payer_name: str | None = None
        self.payer_n104: str | None = None
        self.payer_ref: str | None = None
        self.payee_name: str | None = None
        self.payee_id: str | None = None
        self.claims: list[ClaimPayment] = []
        self.claim: ClaimPayment | None = None
        self.pending: ClaimPayment | None = None  # the open claim, when streaming
        self.line: LinePayment | None = None
        self.plb: list[ProviderAdjustment] = []
        self.handlers: dict[str, Callable[[RawSegment], None]] = {
            "BPR": self._bpr, "TRN": self._trn, "DTM": self._dtm, "N1": self._n1,
            "REF": self._ref, "LX": self._lx, "CLP": self._clp, "CAS": self._cas,
            "MOA": self._moa, "MIA": self._mia, "SVC": self._svc, "LQ": self._lq,
            "PLB": self._plb,
        }

    def add(self, seg: RawSegment) -> None:
        handler = self.handlers.get(seg.id)
        if handler is not None:
            handler(seg)

    # --- header and parties -----------------------------------------------------------

    def _bpr(self, seg: RawSegment) -> None:
        if self.bpr is not None:
            raise X12Error(f"835 set {self.st.get(2)}: a second BPR at segment {seg.position}")
        self.bpr = seg

    def _trn(self, seg: RawSegment) -> None:
        if self.trn is None:  # a TRN is only defined in the header
            self.trn = seg

    def _dtm(self, seg: RawSegment) -> None:
        qualifier, value = seg.get(1), _date(seg.get(2))
        if self.level == "line" and self.line is not None:
            if qualifier in ("472", "150"):
                self.line.service_date = value
            elif qualifier == "151":
                self.line.service_date_end = value
        elif self.level == "claim" and self.claim is not None:
            if qualifier == "232":
                self.claim.statement_from = value
            elif qualifier == "233":
                self.claim.statement_to = value
        elif qualifier == "405" and self.level == "header":
            self.production_date = value

    def _n1(self, seg: RawSegment) -> None:
        if self.claim is not None:
            return  # not defined inside a claim; ignore rather than lose the payment
        entity = seg.get(1)
        if entity == "PR":
            self.level = "payer"
            self.payer_name = _text(seg, 2)
            self.payer_n104 = _text(seg, 4)
        elif entity == "PE":
            self.level = "payee"
            self.payee_name = _text(seg, 2)
            self.payee_id = _text(seg, 4)
        else:
            self.level = "other"

    def _ref(self, seg: RawSegment) -> None:
        qualifier = seg.get(1)
        if self.level == "payer" and qualifier == "2U":
            self.payer_ref = _text(seg, 2)
        elif self.level == "line" and self.line is not None and qualifier == "6R":
            self.line.control_number = _text(seg, 2)

    # --- claims and lines -------------------------------------------------------------

    def _close_claim(self) -> None:
        if self.pending is not None and self.on_claim is not None:
            claim, self.pending = self.pending, None
            self.on_claim(claim)

    def _lx(self, seg: RawSegment) -> None:
        self._close_claim()
        self.level = "lx"
        self.claim = None
        self.line = None

    def _clp(self, seg: RawSegment) -> None:
        pcn = seg.get(1).strip()
        status = intern(seg.get(2).strip())
        if not pcn or not status:
            raise X12Error(f"CLP at segment {seg.position}: CLP01 (patient control number) "
                           "and CLP02 (claim status) are required")
        self._close_claim()
        self.claim = ClaimPayment(
            patient_control_number=pcn, status_code=status,
            charge=_required_amount(seg, 3), paid=_required_amount(seg, 4),
            position=seg.position, patient_responsibility=_amount(seg, 5, required=False),
            filing_indicator=_code(seg, 6), payer_claim_control_number=_text(seg, 7),
            frequency_code=_code(seg, 9))
        if self.on_claim is None:
            self.claims.append(self.claim)
        else:
            self.pending = self.claim
        self.line = None
        self.level = "claim"

    def _cas(self, seg: RawSegment) -> None:
        if self.level == "line" and self.line is not None:
            target = self.line.adjustments
        elif self.level == "claim" and self.claim is not None:
            target = self.claim.adjustments
        else:
            raise X12Error(f"CAS at segment {seg.position} is outside a claim or service line")
        group = intern(seg.get(1).strip())
        if not group:
            raise X12Error(f"CAS at segment {seg.position}: CAS01 (group code) is missing")
        for at in _CAS_TRIPLETS:
            reason = intern(seg.get(at).strip())
            if not reason:
                if seg.get(at + 1).strip():
                    raise X12Error(f"CAS at segment {seg.position}: an amount without its "
                                   f"reason code (CAS{at:02d})")
                continue
            target.append(Adjustment(group, reason, _required_amount(seg, at + 1),
                                     _amount(seg, at + 2, required=False)))

    def _moa(self, seg: RawSegment) -> None:
        self._claim_remarks(seg, _MOA_REMARKS)

    def _mia(self, seg: RawSegment) -> None:
        self._claim_remarks(seg, _MIA_REMARKS)

    def _claim_remarks(self, seg: RawSegment, positions: tuple[int, ...]) -> None:
        if self.claim is None:
            return
        for at in positions:
            code = intern(seg.get(at).strip())
            if code and code not in self.claim.remarks:
                self.claim.remarks.append(code)

    def _svc(self, seg: RawSegment) -> None:
        if self.claim is None:
            raise X12Error(f"SVC at segment {seg.position} is outside a claim")
        procedure = self._composite(seg.get(1))
        if not procedure:
            raise X12Error(f"SVC at segment {seg.position}: SVC01 (procedure) is missing")
        self.line = LinePayment(
            procedure=procedure, charge=_required_amount(seg, 2), paid=_required_amount(seg, 3),
            position=seg.position, revenue_code=_code(seg, 4),
            units=_amount(seg, 5, required=False),
            original_procedure=self._composite(seg.get(6)) or None)
        self.claim.lines.append(self.line)
        self.level = "line"

    def _lq(self, seg: RawSegment) -> None:
        if seg.get(1) != "HE":
            return  # RX: NCPDP reject codes, not remittance remarks
        code = intern(seg.get(2).strip())
        if not code:
            return
        if self.level == "line" and self.line is not None:
            self.line.remarks.append(code)
        elif self.claim is not None and code not in self.claim.remarks:
            self.claim.remarks.append(code)  # misplaced, but still worth showing

    def _composite(self, raw: str) -> str:
        """A composite with ":" between components, whatever the file's separator."""
        return raw.strip().replace(self.component, ":") if self.component != ":" else raw.strip()

    # --- provider-level adjustments ---------------------------------------------------

    def _plb(self, seg: RawSegment) -> None:
        self._close_claim()
        self.level = "plb"
        self.claim = None
        self.line = None
        provider = seg.get(1).strip()
        fiscal = _date(seg.get(2))
        for at in _PLB_PAIRS:
            composite = seg.get(at).strip()
            if not composite:
                if seg.get(at + 1).strip():
                    raise X12Error(f"PLB at segment {seg.position}: an amount without its "
                                   f"reason (PLB{at:02d})")
                continue
            reason, _, reference = composite.partition(self.component)
            self.plb.append(ProviderAdjustment(
                provider_id=provider, fiscal_period_date=fiscal, reason=reason.strip(),
                reference=reference.strip() or None, amount=_required_amount(seg, at + 1),
                position=seg.position))

    # --- the end of the set ------------------------------------------------------------

    def finish(self) -> Remittance835:
        self._close_claim()
        st02 = self.st.get(2)
        if self.bpr is None:
            raise X12Error(f"835 set {st02} (segment {self.st.position}) has no BPR "
                           "(financial information)")
        if self.trn is None or not self.trn.get(2).strip():
            raise X12Error(f"835 set {st02} (segment {self.st.position}) has no TRN02 "
                           "(check or EFT trace number)")
        bpr, trn = self.bpr, self.trn
        originator = trn.get(3).strip()
        payer_id = self.payer_ref or self.payer_n104 or originator
        if not payer_id:
            raise X12Error(f"835 set {st02} (segment {self.st.position}) does not identify "
                           "its payer (no REF*2U, N1*PR N104 or TRN03)")
        return Remittance835(
            control_number=st02,
            interchange_control_number=self.interchange_control_number,
            position=self.st.position,
            handling_code=bpr.get(1).strip(),
            payment_amount=_required_amount(bpr, 2),
            credit_debit=bpr.get(3).strip() or "C",
            payment_method=bpr.get(4).strip(),
            payment_date=_date(bpr.get(16)),
            trace_number=trn.get(2).strip(),
            originator_id=originator,
            payer_id=payer_id,
            payer_name=self.payer_name,
            payee_name=self.payee_name,
            payee_id=self.payee_id,
            production_date=self.production_date,
            claims=self.claims,
            plb=self.plb,
        )
