"""What a received file holds: its interchanges, each with its type read from the
content (ISA/GS/ST), never from the file name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.errors import X12Error
from gateway.x12.delimiters import Delimiters
from gateway.x12.tokenizer import RawSegment, decode, segments

# (GS01, ST01, GS08 prefix) → response kind
_KINDS = {
    ("FA", "999"): "999",
    ("HN", "277"): "277CA",
    ("HP", "835"): "835",
    ("HC", "837"): "837",
    ("FA", "997"): "997",
}


@dataclass(slots=True)
class Interchange:
    """One ISA..IEA: its delimiters, segments, and the kind of what it carries.

    From :func:`scan_interchanges`, a *streamed* interchange keeps only its ISA, what
    comes before its first ST and its TA1s; the rest went to the caller's sink, and
    ``read_error`` is the first X12Error that sink raised (None when it read cleanly).
    """

    delimiters: Delimiters
    segments: list[RawSegment] = field(default_factory=list)
    kind: str = "unknown"
    has_ta1: bool = False
    streamed: bool = False
    read_error: X12Error | None = None

    @property
    def control_number(self) -> str:
        return self.segments[0].get(13)

    @property
    def sender(self) -> tuple[str, str]:
        return self.segments[0].get(5), self.segments[0].get(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        return self.segments[0].get(7), self.segments[0].get(8).strip()


# Given the interchange and the kind of its first ST: where its segments go from that ST
# on, or None to keep them in Interchange.segments.
SinkFactory = Callable[[Interchange, str], Callable[[RawSegment], None] | None]


def split_interchanges(data: bytes) -> list[Interchange]:
    """Decode and tokenize a whole file; check each envelope's trailers and counts.

    Raises :class:`X12Error` for anything that cannot be understood as X12: bad bytes,
    no ISA, truncation, trailer counts or control numbers that do not agree.
    """
    text = decode(data)
    interchanges: list[Interchange] = []
    for d, segment in segments(text):
        if segment.id == "ISA":
            interchanges.append(Interchange(d))
        elif not interchanges:
            raise X12Error("segment before the first ISA")
        interchanges[-1].segments.append(segment)
    if not interchanges:
        raise X12Error("no interchange in the file")
    for ic in interchanges:
        _check_envelope(ic)
        ic.kind = _kind_of(ic)
    return interchanges


def scan_interchanges(text: str, sink: SinkFactory) -> list[Interchange]:
    """:func:`split_interchanges` in one streaming pass over decoded text.

    The same checks, raised with the same precedence (tokenizing errors, then the first
    interchange's envelope or type error), with O(1) state per interchange; segments are
    kept only for the interchanges ``sink`` does not take. A sink's X12Error is kept as
    that interchange's ``read_error`` (and the sink gets nothing more), for the caller to
    raise in its own order.
    """
    interchanges: list[Interchange] = []
    failures: list[X12Error | None] = []
    ic: Interchange | None = None
    envelope: EnvelopeChecker | None = None
    kinds: KindDetector | None = None
    feed: Callable[[RawSegment], None] | None = None
    failed: X12Error | None = None
    for d, seg in segments(text):
        sid = seg.id
        if sid == "ISA":
            ic, envelope, kinds, feed, failed = Interchange(d), EnvelopeChecker(seg), \
                KindDetector(), None, None
            interchanges.append(ic)
            ic.segments.append(seg)
            continue
        if ic is None or envelope is None or kinds is None:
            raise X12Error("segment before the first ISA")
        if failed is None:
            try:
                if sid == "IEA":
                    envelope.end(seg)
                    ic.kind = kinds.kind()
                    ic.has_ta1 = kinds.has_ta1
                else:
                    envelope.add(seg)
                    first_st = kinds.add(seg)
                    if first_st is not None and not ic.streamed:
                        feed = sink(ic, first_st)
                        ic.streamed = feed is not None
            except X12Error as exc:
                failed = exc
        if sid == "IEA":
            failures.append(failed)
            continue
        if feed is None or sid == "TA1":
            ic.segments.append(seg)
        elif failed is None and ic.read_error is None:
            try:
                feed(seg)
            except X12Error as exc:
                ic.read_error = exc
    if not interchanges:
        raise X12Error("no interchange in the file")
    for failure in failures:
        if failure is not None:
            raise failure
    return interchanges


class KindDetector:
    """What an interchange carries, one segment at a time (see :func:`_kind_of`)."""

    def __init__(self) -> None:
        self.has_ta1 = False
        self.kinds: set[str] = set()
        self.gs01 = ""

    def add(self, s: RawSegment) -> str | None:
        """The kind of ``s`` when it is an ST, else None."""
        if s.id == "TA1":
            self.has_ta1 = True
        elif s.id == "GS":
            self.gs01 = s.get(1)
        elif s.id == "ST":
            kind = _KINDS.get((self.gs01, s.get(1)))
            if kind == "277CA" and "X214" not in s.get(3):
                kind = "277"  # a claim status response (276/277), not an acknowledgment
            found = kind or f"unknown ({s.get(1)})"
            self.kinds.add(found)
            return found
        return None

    def kind(self) -> str:
        if not self.kinds:
            return "TA1" if self.has_ta1 else "empty"
        if len(self.kinds) > 1:
            raise X12Error("one interchange mixes transaction types: "
                           + ", ".join(sorted(self.kinds)))
        return next(iter(self.kinds))


def _kind_of(ic: Interchange) -> str:
    detector = KindDetector()
    for s in ic.segments:
        detector.add(s)
    ic.has_ta1 = detector.has_ta1
    return detector.kind()


class EnvelopeChecker:
    """IEA/GE/SE trailers present, matching their headers, with the right counts — one
    segment at a time, constant state. Feed every segment after the ISA to :meth:`add`
    and the IEA to :meth:`end`, which raises the interchange's error (the first one
    found inside it only after the IEA's own control number check, as a whole-
    interchange check would)."""

    def __init__(self, isa: RawSegment) -> None:
        self.isa = isa
        self.index = 0  # of the last segment, ISA = 0
        self.groups = 0
        self.sets = 0
        self.st_start = 0
        self.open_gs: RawSegment | None = None
        self.open_st: RawSegment | None = None
        self.error: X12Error | None = None

    def add(self, s: RawSegment) -> None:
        self.index += 1
        if self.error is None:
            try:
                self._add(s, self.index)
            except X12Error as exc:
                self.error = exc

    def _add(self, s: RawSegment, i: int) -> None:
        if s.id == "GS":
            if self.open_gs is not None:
                raise X12Error(f"GS at segment {s.position} inside an open group")
            self.open_gs, self.sets = s, 0
            self.groups += 1
        elif s.id == "GE":
            if self.open_gs is None or self.open_st is not None:
                raise X12Error(f"GE at segment {s.position} without its GS or after an open ST")
            if s.get(2) != self.open_gs.get(6):
                raise X12Error(f"GE02 at segment {s.position} does not match GS06")
            if s.get(1) != str(self.sets):
                raise X12Error(f"GE01 at segment {s.position} counts {s.get(1)} sets, "
                               f"the group has {self.sets}")
            self.open_gs = None
        elif s.id == "ST":
            if self.open_st is not None or self.open_gs is None:
                raise X12Error(f"ST at segment {s.position} outside a group or inside a set")
            self.open_st, self.st_start = s, i
            self.sets += 1
        elif s.id == "SE":
            if self.open_st is None:
                raise X12Error(f"SE at segment {s.position} without its ST")
            if s.get(2) != self.open_st.get(2):
                raise X12Error(f"SE02 at segment {s.position} does not match ST02")
            if s.get(1) != str(i - self.st_start + 1):
                raise X12Error(f"SE01 at segment {s.position} counts {s.get(1)} segments, "
                               f"the set has {i - self.st_start + 1}")
            self.open_st = None

    def end(self, last: RawSegment | None) -> None:
        isa = self.isa
        if last is None or last.id != "IEA":
            raise X12Error(f"interchange {isa.get(13)} has no IEA trailer (truncated)")
        if last.get(2) != isa.get(13):
            raise X12Error("IEA02 does not match ISA13")
        if self.error is not None:
            raise self.error
        if self.open_gs is not None or self.open_st is not None:
            raise X12Error("a group or transaction set is not closed before IEA (truncated)")
        if last.get(1) != str(self.groups):
            raise X12Error(f"IEA01 counts {last.get(1)} groups, the interchange has "
                           f"{self.groups}")


def _check_envelope(ic: Interchange) -> None:
    """IEA/GE/SE trailers present, matching their headers, with the right counts."""
    segs = ic.segments
    checker = EnvelopeChecker(segs[0])
    for s in segs[1:-1]:
        checker.add(s)
    checker.end(segs[-1] if len(segs) > 1 else None)
