"""What a received file holds: its interchanges, each with its type read from the
content (ISA/GS/ST), never from the file name."""

from __future__ import annotations

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
    """One ISA..IEA: its delimiters, segments, and the kind of what it carries."""

    delimiters: Delimiters
    segments: list[RawSegment] = field(default_factory=list)
    kind: str = "unknown"
    has_ta1: bool = False

    @property
    def control_number(self) -> str:
        return self.segments[0].get(13)

    @property
    def sender(self) -> tuple[str, str]:
        return self.segments[0].get(5), self.segments[0].get(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        return self.segments[0].get(7), self.segments[0].get(8).strip()


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


def _kind_of(ic: Interchange) -> str:
    ic.has_ta1 = any(s.id == "TA1" for s in ic.segments)
    kinds = set()
    gs01 = ""
    for s in ic.segments:
        if s.id == "GS":
            gs01 = s.get(1)
        elif s.id == "ST":
            kind = _KINDS.get((gs01, s.get(1)))
            if kind == "277CA" and "X214" not in s.get(3):
                kind = "277"  # a claim status response (276/277), not an acknowledgment
            kinds.add(kind or f"unknown ({s.get(1)})")
    if not kinds:
        return "TA1" if ic.has_ta1 else "empty"
    if len(kinds) > 1:
        raise X12Error("one interchange mixes transaction types: " + ", ".join(sorted(kinds)))
    return kinds.pop()


def _check_envelope(ic: Interchange) -> None:
    """IEA/GE/SE trailers present, matching their headers, with the right counts."""
    segs = ic.segments
    isa, last = segs[0], segs[-1]
    if last.id != "IEA":
        raise X12Error(f"interchange {isa.get(13)} has no IEA trailer (truncated)")
    if last.get(2) != isa.get(13):
        raise X12Error("IEA02 does not match ISA13")
    groups = 0
    open_gs: RawSegment | None = None
    open_st: RawSegment | None = None
    sets = 0
    st_start = 0
    for i, s in enumerate(segs[1:-1], start=1):
        if s.id == "GS":
            if open_gs is not None:
                raise X12Error(f"GS at segment {s.position} inside an open group")
            open_gs, sets = s, 0
            groups += 1
        elif s.id == "GE":
            if open_gs is None or open_st is not None:
                raise X12Error(f"GE at segment {s.position} without its GS or after an open ST")
            if s.get(2) != open_gs.get(6):
                raise X12Error(f"GE02 at segment {s.position} does not match GS06")
            if s.get(1) != str(sets):
                raise X12Error(f"GE01 at segment {s.position} counts {s.get(1)} sets, "
                               f"the group has {sets}")
            open_gs = None
        elif s.id == "ST":
            if open_st is not None or open_gs is None:
                raise X12Error(f"ST at segment {s.position} outside a group or inside a set")
            open_st, st_start = s, i
            sets += 1
        elif s.id == "SE":
            if open_st is None:
                raise X12Error(f"SE at segment {s.position} without its ST")
            if s.get(2) != open_st.get(2):
                raise X12Error(f"SE02 at segment {s.position} does not match ST02")
            if s.get(1) != str(i - st_start + 1):
                raise X12Error(f"SE01 at segment {s.position} counts {s.get(1)} segments, "
                               f"the set has {i - st_start + 1}")
            open_st = None
    if open_gs is not None or open_st is not None:
        raise X12Error("a group or transaction set is not closed before IEA (truncated)")
    if last.get(1) != str(groups):
        raise X12Error(f"IEA01 counts {last.get(1)} groups, the interchange has {groups}")
