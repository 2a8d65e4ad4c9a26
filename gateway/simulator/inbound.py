"""One received file → what the sandbox will record and answer, per interchange.

Envelope problems (no IEA, IEA02 ≠ ISA13, broken nesting, an ISA field out of range, a
receiver that is not us, no 837 inside) refuse the interchange with a TA1 note.
Otherwise pyx12 validates it and each functional group gets a 999: IK3/IK4 at the
positions pyx12 names, with the claim they fall in (CTX*CLM01).
Claims of accepted sets are decided at once (see :mod:`adjudicate`) and their 277CA and
835 answers scheduled after the configured delays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.errors import X12Error
from gateway.simulator.adjudicate import decide
from gateway.simulator.ledger import ClaimPlan, EventPlan, InterchangePlan
from gateway.simulator.received import ReceivedClaim, ReceivedSet, SetReader
from gateway.simulator.rules import SandboxRules
from gateway.simulator.writers import (
    ElementNote,
    GroupAnswer,
    SegmentNote,
    SetAnswer,
    Ta1Answer,
)
from gateway.x12.delimiters import Delimiters, read_delimiters
from gateway.x12.detect import split_interchanges
from gateway.x12.tokenizer import RawSegment, decode
from gateway.x12.validate import ValidationFinding, ValidationResult, validate


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_IK304 = _codes("1 2 3 4 5 6 7 8 I4 I6 I7 I8 I9")
_IK403 = _codes("1 2 3 4 5 6 7 8 9 10 11 12 13 I10 I11 I12 I13 I6 I9")
_IK502 = _codes("1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17 18 19 23 24 25 26 27 I5 I6")
_AK905 = _codes("1 2 3 4 5 6 10 11 12 13 14 15 16 17 18 19 23 24 25 26")
# Set-level problems that no "accepted with errors" policy can accept.
_STRUCTURAL = frozenset({"1", "2", "3", "4"})


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the sandbox is in an ISA, and whom it takes interchanges from."""

    qualifier: str = "ZZ"
    id: str = "SANDBOXCH"
    name: str = "SANDBOX CLEARINGHOUSE"
    expected_sender: str | None = None  # ISA06 accepted; None: anyone


@dataclass(slots=True)
class _Raw:
    delimiters: Delimiters
    segments: list[RawSegment] = field(default_factory=list)


@dataclass(slots=True)
class _Group:
    gs: RawSegment
    first_line: int
    last_line: int = 0
    included: int = 0
    sets: list[tuple[int, int, ReceivedSet | None, RawSegment]] = field(default_factory=list)
    # pyx12's findings, placed: group codes (AK905), per set its codes (IK502) and its
    # segment notes by position (IK3/IK4).
    codes: list[str] = field(default_factory=list)
    set_codes: list[list[str]] = field(default_factory=list)
    notes: list[dict[int, SegmentNote]] = field(default_factory=list)


def plan_file(data: bytes, key: str, now: dt.datetime, rules: SandboxRules,
              identity: Identity) -> tuple[str, list[InterchangePlan]]:
    """("read" or "unreadable", a plan per interchange found). ``key`` names the file."""
    try:
        raws = [_Raw(ic.delimiters, ic.segments) for ic in split_interchanges(data)]
    except X12Error:
        raws = _lenient(data)
    if not raws:
        return "unreadable", []
    plans = [_plan(raw, f"{key}:{n}", now, rules, identity) for n, raw in enumerate(raws)]
    return "read", plans


def _lenient(data: bytes) -> list[_Raw]:
    """Interchanges cut by hand when the strict reader refused the file: enough to say
    in a TA1 what is wrong, or to let pyx12 name set-level trailer errors."""
    try:
        text = decode(data)
    except X12Error:
        return []
    start = text.find("ISA")
    rest = text[start:] if start >= 0 else ""
    found: list[_Raw] = []
    while rest.startswith("ISA"):
        try:
            d = read_delimiters(rest)
        except X12Error:
            break
        raw = _Raw(d)
        consumed = 0
        for chunk in rest.split(d.segment):
            body = chunk.strip(" \t\r\n")
            if raw.segments and body.startswith("ISA" + d.element):
                break
            consumed += len(chunk) + 1
            if body:
                raw.segments.append(RawSegment(body.split(d.element), len(raw.segments) + 1))
                if raw.segments[-1].id == "IEA":
                    break
        found.append(raw)
        rest = rest[consumed:].lstrip("\ufeff \t\r\n")
    return found


def _plan(raw: _Raw, key: str, now: dt.datetime, rules: SandboxRules,
          identity: Identity) -> InterchangePlan:
    isa_seg = raw.segments[0]
    d = raw.delimiters
    isa13 = isa_seg.get(13)
    envelope = {
        "isa": [isa_seg.get(5), isa_seg.get(6).strip(), isa_seg.get(7), isa_seg.get(8).strip()],
        "gs": next(([s.get(2), s.get(3)] for s in raw.segments if s.id == "GS"), []),
        "usage": isa_seg.get(15), "isa13": isa13,
        "separators": [d.element, d.component, d.repetition, d.segment],
    }
    plan = InterchangePlan(isa13=isa13, sender=f"{isa_seg.get(5)}:{isa_seg.get(6).strip()}",
                           receiver=f"{isa_seg.get(7)}:{isa_seg.get(8).strip()}",
                           status="accepted", note=None, envelope=envelope)
    acks = rules.acknowledgments
    ta1_key = f"{key}:ta1"
    refusal = _envelope_note(raw.segments, identity)
    groups: list[_Group] = []
    if refusal is None:
        text = "".join(d.element.join(s.elements) + d.segment for s in raw.segments)
        try:
            result = validate(text) if acks.validate_with_pyx12 \
                else ValidationResult(True, ())
        except X12Error:
            refusal = "024"
        else:
            refusal, groups = _answer_groups(raw.segments, d, result.valid, result.findings)
    if refusal is not None:
        plan.status, plan.note = "rejected", refusal
        if acks.ta1_on_envelope_error:
            plan.events.append(EventPlan("TA1", ta1_key, now,
                                         {"ta1": _ta1(isa_seg, "R", refusal)}))
        return plan
    if acks.ta1_on_envelope_error:
        plan.on_duplicate.append(EventPlan("TA1", ta1_key, now,
                                           {"ta1": _ta1(isa_seg, "R", "025")}))
    ta1 = _ta1(isa_seg, "A", "000") if isa_seg.get(14) == "1" and acks.ta1_on_request \
        else None
    due = _due_times(now, rules)
    answers = [_group_answer(g, acks.reject_sets_with_errors) for g in groups]
    plan.events.append(EventPlan("999", key, due["999"], {
        "groups": [dataclasses.asdict(a) for a in answers], "ta1": ta1}))
    for group, answer in zip(groups, answers, strict=True):
        group_ok = not answer.codes
        for (_, _, received, _), set_answer in zip(group.sets, answer.sets, strict=True):
            if received is None:
                continue
            accepted = group_ok and set_answer.code in ("A", "E")
            for claim in received.claims:
                plan.claims.append(_claim_plan(claim, accepted, set_answer.code, key,
                                               plan.sender, due, rules))
    return plan


def _claim_plan(claim: ReceivedClaim, accepted: bool, ack: str, key: str, sender: str,
                due: dict[str, dt.datetime], rules: SandboxRules) -> ClaimPlan:
    decision = decide(claim, rules)
    events: list[EventPlan] = []
    if accepted:
        events.append(EventPlan("277CA-CLEARINGHOUSE", key, due["ch"]))
        payer_key = f"{claim.payer_id}|{sender}"
        if decision.rejected_by != "clearinghouse":
            events.append(EventPlan("277CA-PAYER", payer_key, due["payer"]))
            if decision.rejected_by is None:
                events.append(EventPlan("835", payer_key, due["era"]))
                if decision.reversal is not None:
                    events.append(EventPlan("835-REVERSAL", payer_key, due["reversal"]))
    return ClaimPlan(claim.set_control, claim.pcn, claim.charge, claim.payer_id,
                     claim.procedure_codes, claim.to_json(), decision.to_json(), events,
                     {"ack999": ack})


def _due_times(now: dt.datetime, rules: SandboxRules) -> dict[str, dt.datetime]:
    """Each answer after the one before it, whatever the delays say."""
    delays = rules.delays
    after = dt.timedelta
    ack = now + after(seconds=delays.ack999_seconds)
    ch = max(ack, now + after(seconds=delays.clearinghouse_277ca_seconds))
    payer = max(ch, now + after(seconds=delays.payer_277ca_seconds))
    era = max(payer, now + after(seconds=delays.era_seconds))
    return {"999": ack, "ch": ch, "payer": payer, "era": era,
            "reversal": era + after(seconds=delays.reversal_seconds)}


def _ta1(isa_seg: RawSegment, code: str, note: str) -> dict[str, str]:
    number = isa_seg.get(13)
    date, time = isa_seg.get(9), isa_seg.get(10)
    return dataclasses.asdict(Ta1Answer(
        number if len(number) == 9 and number.isdigit() else "000000000",
        date if len(date) == 6 and date.isdigit() else "000101",
        time if len(time) == 4 and time.isdigit() else "0000", code, note))


def _envelope_note(segs: Sequence[RawSegment], identity: Identity) -> str | None:
    """The TA1 note (TA105) for the first interchange-level problem; None if none."""
    isa_seg, last = segs[0], segs[-1]
    if last.id != "IEA":
        return "023"
    if last.get(2) != isa_seg.get(13):
        return "001"
    checks = [
        ("018", len(isa_seg.get(13)) == 9 and isa_seg.get(13).isdigit()),
        ("017", isa_seg.get(12) == "00501"),
        ("014", _valid_time(isa_seg.get(9), "%y%m%d", 6)),
        ("015", _valid_time(isa_seg.get(10), "%H%M", 4)),
        ("019", isa_seg.get(14) in ("0", "1")),
        ("020", isa_seg.get(15) in ("T", "P", "I")),
        ("008", (isa_seg.get(7), isa_seg.get(8).strip()) == (identity.qualifier, identity.id)),
        ("006", identity.expected_sender is None
         or isa_seg.get(6).strip() == identity.expected_sender),
    ]
    for note, ok in checks:
        if not ok:
            return note
    in_group = in_set = False
    groups = 0
    has_837 = False
    for s in segs[1:-1]:
        if s.id == "GS":
            if in_group:
                return "022"
            in_group, groups = True, groups + 1
        elif s.id == "GE":
            if not in_group or in_set:
                return "022"
            in_group = False
        elif s.id == "ST":
            if not in_group or in_set:
                return "022"
            in_set = True
            has_837 = has_837 or s.get(1) == "837"
        elif s.id == "SE":
            if not in_set:
                return "022"
            in_set = False
    if in_group or in_set:
        return "022"
    if last.get(1) != str(groups):
        return "021"
    return None if has_837 else "024"


def _valid_time(text: str, fmt: str, width: int) -> bool:
    if len(text) != width or not text.isdigit():
        return False
    try:
        dt.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _answer_groups(segs: Sequence[RawSegment], d: Delimiters, valid: bool,
                   findings: Sequence[ValidationFinding]) -> tuple[str | None, list[_Group]]:
    """Read every group and set, place pyx12's findings. (TA1 note, groups)."""
    groups: list[_Group] = []
    reader: SetReader | None = None
    st_line = 0
    for line, s in enumerate(segs, start=1):
        if s.id == "GS":
            groups.append(_Group(s, line))
        elif s.id == "GE":
            groups[-1].last_line, groups[-1].included = line, _int(s.get(1))
        elif s.id == "ST":
            st_line = line
            reader = SetReader(s, d.component) if s.get(1) == "837" else None
        elif s.id == "SE":
            received = reader.finish() if reader is not None else None
            groups[-1].sets.append((st_line, line, received, segs[st_line - 1]))
            reader = None
        elif reader is not None:
            reader.feed(s)
    placed = _place(groups, findings)
    interchange = [f for f in findings if f.level in ("interchange", "document")]
    if interchange:
        code = interchange[0].code
        return (code if len(code) == 3 and code.isdigit() else "024"), groups
    if not valid and not placed:
        return "024", groups  # pyx12 refused without saying where (ISA/GS elements)
    return None, groups


def _place(groups: list[_Group], findings: Sequence[ValidationFinding]) -> bool:
    """Attach each finding to its group and set by line; whether any was placed."""
    placed = False
    for g in groups:
        g.set_codes = [[] for _ in g.sets]
        g.notes = [{} for _ in g.sets]
        for f in findings:
            line = f.line or 0
            if not g.first_line <= line <= g.last_line:
                continue
            placed = True
            if f.level == "group":
                g.codes.append(f.code if f.code in _AK905 else "1")
                continue
            for index, (first, last, received, _st) in enumerate(g.sets):
                if first <= line <= last:
                    if f.level == "set":
                        g.set_codes[index].append(f.code if f.code in _IK502 else "5")
                    elif f.level in ("segment", "element"):
                        _note(g.notes[index], f, received)
                    break
    return placed


def _note(notes: dict[int, SegmentNote], f: ValidationFinding,
          received: ReceivedSet | None) -> None:
    position = f.set_position or 0
    note = notes.get(position)
    if note is None:
        claim = received.claim_at(position) if received is not None else None
        # IK303 stays empty: it names LS/LE bounded loops, and an 837P has none.
        note = SegmentNote(f.segment_id or "", position, "", "8",
                           claim.pcn if claim is not None and claim.pcn else None)
    if f.level == "segment":
        note = dataclasses.replace(note, code=f.code if f.code in _IK304 else "8")
    else:
        where, _, component = (f.element or "").partition("-")
        digits = "".join(ch for ch in where[-2:] if ch.isdigit())
        note = dataclasses.replace(note, elements=(*note.elements, ElementNote(
            int(digits or 0), int(component) if component.isdigit() else None,
            f.code if f.code in _IK403 else "7")))
    notes[position] = note


def _group_answer(g: _Group, reject: bool) -> GroupAnswer:
    sets = []
    for (_, _, received, st), codes, notes in zip(g.sets, g.set_codes, g.notes, strict=True):
        ordered = tuple(notes[p] for p in sorted(notes))
        all_codes = list(dict.fromkeys([*codes, *(["5"] if ordered else [])]))
        if received is None:
            verdict, all_codes = "R", ["1"]  # not an 837: not supported here
        elif not all_codes:
            verdict = "A"
        elif reject or _STRUCTURAL.intersection(codes):
            verdict = "R"
        else:
            verdict = "E"
        sets.append(SetAnswer(st.get(1), st.get(2), st.get(3), verdict, tuple(all_codes),
                              ordered))
    return GroupAnswer(g.gs.get(1), g.gs.get(6), g.gs.get(8), g.included, tuple(sets),
                       tuple(dict.fromkeys(g.codes)))


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0
