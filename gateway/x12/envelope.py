"""ISA/GS/ST envelopes: fixed-width ISA, control numbers, trailer counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.errors import X12Error
from gateway.x12.delimiters import ISA_LENGTH, Delimiters
from gateway.x12.writer import Segment, render_segment, seg

MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True, slots=True)
class InterchangeHeader:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: int  # ISA13
    usage_indicator: str  # T / P
    request_ta1: bool
    created: dt.datetime


def isa(h: InterchangeHeader, d: Delimiters) -> str:
    """The ISA segment as text: always exactly 106 characters, terminator included."""
    if not 1 <= h.control_number <= MAX_CONTROL_NUMBER:
        raise X12Error("interchange control number out of range 1..999999999")
    text = render_segment(seg(
        "ISA", "00", " " * 10, "00", " " * 10,
        h.sender_qualifier, h.sender_id.ljust(15), h.receiver_qualifier, h.receiver_id.ljust(15),
        h.created.strftime("%y%m%d"), h.created.strftime("%H%M"), d.repetition, "00501",
        f"{h.control_number:09d}", "1" if h.request_ta1 else "0", h.usage_indicator,
        d.component,
    ), _isa_delimiters(d))
    if len(text) != ISA_LENGTH:
        raise X12Error("ISA identifiers do not fit the fixed-width ISA")
    return text


def _isa_delimiters(d: Delimiters) -> Delimiters:
    # ISA11 and ISA16 *are* separators; render them as data with look-alike-free
    # stand-ins so the writer's separator check does not refuse them.
    return Delimiters(element=d.element, component="\x1f", repetition="\x1e",
                      segment=d.segment)


def functional_group(function_code: str, sender: str, receiver: str, control_number: int,
                     version: str, created: dt.datetime,
                     transaction_sets: Sequence[Sequence[Segment]]) -> list[Segment]:
    """GS, the sets as given (each ST..SE), GE with the set count."""
    out: list[Segment] = [seg("GS", function_code, sender, receiver,
                              created.strftime("%Y%m%d"), created.strftime("%H%M"),
                              str(control_number), "X", version)]
    for ts in transaction_sets:
        out.extend(ts)
    out.append(seg("GE", str(len(transaction_sets)), str(control_number)))
    return out


def transaction_set(set_id: str, control_number: str, version: str,
                    body: Sequence[Segment]) -> list[Segment]:
    """ST, body, SE with the count of ST..SE inclusive."""
    return [seg("ST", set_id, control_number, version), *body,
            seg("SE", str(len(body) + 2), control_number)]


def iea(group_count: int, control_number: int) -> Segment:
    return seg("IEA", str(group_count), f"{control_number:09d}")
