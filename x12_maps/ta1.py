"""TA1 interchange acknowledgment reader."""

from __future__ import annotations

from gateway.domain.acks import Ta1
from gateway.errors import X12Error
from gateway.x12.detect import Interchange


def read_ta1(ic: Interchange) -> list[Ta1]:
    """Every TA1 segment of the interchange."""
    found = []
    for s in ic.segments:
        if s.id != "TA1":
            continue
        number = s.get(1)
        if not number.isdigit():
            raise X12Error(f"TA1 at segment {s.position}: TA101 is not a control number")
        if s.get(4) not in ("A", "E", "R"):
            raise X12Error(f"TA1 at segment {s.position}: unknown acknowledgment code")
        found.append(Ta1(number, s.get(2), s.get(3), s.get(4), s.get(5)))
    return found
