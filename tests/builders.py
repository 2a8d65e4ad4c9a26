"""Hand-written X12 responses for tests, enveloped by the gateway's own writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from gateway.x12.delimiters import Delimiters
from gateway.x12.envelope import InterchangeHeader, functional_group, iea, isa, transaction_set
from gateway.x12.writer import Segment, render, seg

WHEN = dt.datetime(2026, 11, 28, 10, 30)


def interchange(sets: Sequence[Sequence[Segment]], *, function_code: str, set_id: str,
                version: str, control_number: int = 9001, sender: str = "SANDBOXCH",
                receiver: str = "ACMEBILL01", extra: Sequence[Segment] = ()) -> str:
    """ISA/GS/ST..SE/GE/IEA around ``sets`` (bodies without ST/SE), counts computed."""
    d = Delimiters()
    body = [transaction_set(set_id, f"{n:04d}", version, s) for n, s in enumerate(sets, 1)]
    group = functional_group(function_code, sender, receiver, control_number, version, WHEN,
                             body) if sets else []
    header = InterchangeHeader("ZZ", sender, "ZZ", receiver, control_number, "T", False, WHEN)
    return isa(header, d) + render([*extra, *group, iea(1 if sets else 0, control_number)], d)


def ta1(answered: int, ack: str, note: str, control_number: int = 9101) -> str:
    return interchange([], function_code="", set_id="", version="",
                       control_number=control_number,
                       extra=[seg("TA1", f"{answered:09d}", "261128", "1030", ack, note)])


def ack999(group_control: int, sets: Sequence[Sequence[Segment]], group_code: str,
           control_number: int = 9201) -> str:
    """A 999 answering our group ``group_control``; ``sets``: AK2..IK5 segment lists."""
    body = [seg("AK1", "HC", str(group_control), "005010X222A1")]
    for s in sets:
        body.extend(s)
    accepted = sum(1 for s in sets if s[-1][1] in ("A", "E"))
    body.append(seg("AK9", group_code, str(len(sets)), str(len(sets)), str(accepted)))
    return interchange([body], function_code="FA", set_id="999", version="005010X231A1",
                       control_number=control_number)
