"""999 implementation acknowledgment (005010X231A1) reader."""

from __future__ import annotations

from gateway.domain.acks import Ack999, ElementError, GroupAck, SegmentError, SetAck
from gateway.errors import X12Error
from gateway.x12.detect import Interchange
from gateway.x12.tokenizer import RawSegment


def read_999(ic: Interchange) -> list[Ack999]:
    """One Ack999 per 999 transaction set of the interchange."""
    our_id = ic.receiver[1]
    comp = ic.delimiters.component
    docs: list[Ack999] = []
    groups: list[GroupAck] = []
    control = ""
    group: dict[str, object] | None = None
    sets: list[SetAck] = []
    current: dict[str, object] | None = None
    errors: list[SegmentError] = []
    for s in ic.segments:
        sid = s.id
        if sid == "ST":
            control, groups = s.get(2), []
        elif sid == "AK1":
            group, sets = {"fc": s.get(1), "gcn": s.get(2)}, []
        elif sid == "AK2":
            current, errors = {"id": s.get(1), "cn": s.get(2)}, []
        elif sid == "IK3":
            errors.append(_segment_error(s))
        elif sid == "CTX" and errors:
            ref = _clm01(s, comp)
            if ref is not None:
                errors[-1] = _with_claim(errors[-1], ref)
        elif sid == "IK4":
            if not errors:
                raise X12Error(f"999 IK4 at segment {s.position} without an IK3")
            errors[-1] = _with_element(errors[-1], ElementError(
                s.get(1), s.get(2), s.get(3)))
        elif sid == "IK5":
            if current is None:
                raise X12Error(f"999 IK5 at segment {s.position} without an AK2")
            sets.append(SetAck(str(current["id"]), str(current["cn"]), s.get(1),
                               tuple(x for x in s.elements[2:7] if x), tuple(errors)))
            current = None
        elif sid == "AK9":
            if group is None:
                raise X12Error(f"999 AK9 at segment {s.position} without an AK1")
            groups.append(GroupAck(str(group["fc"]), str(group["gcn"]), s.get(1),
                                   _int(s, 2), _int(s, 3), _int(s, 4), tuple(sets)))
            group = None
        elif sid == "SE":
            if group is not None or current is not None:
                raise X12Error(f"999 set {control} ends inside an AK1 or AK2 loop")
            docs.append(Ack999(control, our_id, tuple(groups)))
    if not docs:
        raise X12Error("999 interchange has no transaction set")
    return docs


def _segment_error(s: RawSegment) -> SegmentError:
    position = s.get(2)
    if not position.isdigit():
        raise X12Error(f"999 IK3 at segment {s.position}: IK302 is not a position")
    return SegmentError(s.get(1), int(position), s.get(3), s.get(4))


def _with_claim(e: SegmentError, ref: str) -> SegmentError:
    return SegmentError(e.segment_id, e.position, e.loop_id, e.code, e.elements, ref)


def _with_element(e: SegmentError, element: ElementError) -> SegmentError:
    return SegmentError(e.segment_id, e.position, e.loop_id, e.code,
                        (*e.elements, element), e.claim_reference)


def _clm01(s: RawSegment, component: str) -> str | None:
    """CTX*CLM01:<patient control number> — the claim a segment error belongs to."""
    parts = s.get(1).split(component)
    return parts[1] if len(parts) > 1 and parts[0] == "CLM01" and parts[1] else None


def _int(s: RawSegment, index: int) -> int:
    value = s.get(index)
    if value and not value.isdigit():
        raise X12Error(f"999 AK9 at segment {s.position}: a count is not a number")
    return int(value or 0)
