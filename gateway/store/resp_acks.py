"""Applying TA1 and 999 acknowledgments to the interchanges and claims they answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.domain.acks import (
    ACK_CODES,
    SET_SYNTAX_ERRORS,
    Ack999,
    GroupAck,
    SegmentError,
    SetAck,
    Ta1,
    set_status,
)
from gateway.domain.status import ClaimStatus
from gateway.store.responses import Applied, ClaimRef, ResponseTx, owners_at
from gateway.x12.codes import ELEMENT_ERRORS, SEGMENT_ERRORS

DUPLICATE_INTERCHANGE = "025"


def apply_ta1(tx: ResponseTx, response_id: int, ta1: Ta1, now: dt.datetime) -> Applied:
    """TA1 → the interchange with that ISA13; R rejects every claim in it."""
    applied = Applied(summary={"ack": ta1.ack_code, "note": ta1.note_code,
                               "said": ta1.describe()})
    interchange_id = tx.interchange_by_control_number(int(ta1.interchange_control_number),
                                                      None)
    if interchange_id is None:
        applied.unmatched = 1
        applied.unmatched_items.append({"interchange": ta1.interchange_control_number,
                                        "ack": ta1.ack_code, "note": ta1.note_code})
        return applied
    applied.interchange_id = interchange_id
    reason = ta1.describe()
    new_status = ClaimStatus.ENVELOPE_REJECTED if ta1.rejected else None
    if ta1.note_code == DUPLICATE_INTERCHANGE:
        # We never reuse an ISA13, so a duplicate can only be our own retransmission
        # (an upload repeated after a crash): the first copy stands, nothing is rejected.
        new_status = None
        reason += ("; the clearinghouse already has this interchange (a repeated upload), "
                   "the first copy stands")
    for claim in tx.claims_of_interchange(interchange_id):
        after = tx.claim_said(claim, now, source="ta1", new_status=new_status,
                              code=f"TA1 {ta1.ack_code} {ta1.note_code}".strip(),
                              reason=reason)
        applied.matched += 1
        applied.status_changes += after.status != claim.status
    return applied


def apply_999(tx: ResponseTx, response_id: int, ack: Ack999, now: dt.datetime) -> Applied:
    """999 → our groups (AK102 = GS06) and sets (AK202 = ST02); IK5 applied per set."""
    applied = Applied(summary={"groups": []})
    for group in ack.groups:
        applied.summary["groups"].append(_group_summary(group))
        interchange_id = (tx.interchange_by_group(int(group.group_control_number), ack.our_id)
                          if group.group_control_number.isdigit() else None)
        if interchange_id is None:
            applied.unmatched += max(1, len(group.sets))
            applied.unmatched_items.append({"group": group.group_control_number,
                                            "function": group.function_code,
                                            "ack": group.code})
            continue
        applied.interchange_id = interchange_id
        for set_ack in group.sets:
            _apply_set(tx, interchange_id, set_ack, now, applied)
    return applied


def _apply_set(tx: ResponseTx, interchange_id: int, set_ack: SetAck, now: dt.datetime,
               applied: Applied) -> None:
    found = tx.transaction_set(interchange_id, set_ack.control_number)
    if found is None:
        applied.unmatched += 1
        applied.unmatched_items.append({"set": set_ack.control_number, "ack": set_ack.code})
        return
    claims, runs = found
    by_pcn = {c.patient_control_number: c for c in claims}
    errors_by_claim: dict[int, list[SegmentError]] = {}
    set_wide: list[SegmentError] = []
    for error in set_ack.errors:
        owners = ([by_pcn[error.claim_reference].id] if error.claim_reference in by_pcn
                  else owners_at(runs, error.position))
        if not owners:
            set_wide.append(error)
        for claim_id in owners:
            errors_by_claim.setdefault(claim_id, []).append(error)
    new_status = set_status(set_ack.code)
    verdict = (f"999 transaction set {set_ack.control_number} "
               f"{ACK_CODES.get(set_ack.code, 'code ' + set_ack.code)}")
    syntax = "; ".join(SET_SYNTAX_ERRORS.get(c, f"set error {c}")
                       for c in set_ack.syntax_errors)
    for claim in claims:
        own = errors_by_claim.get(claim.id, []) + set_wide
        parts = [verdict]
        if own:
            parts.append("; ".join(describe_error(e) for e in own))
        elif new_status is ClaimStatus.ACK_REJECTED:
            parts.append("no error in this claim itself: the whole set was rejected")
        if syntax:
            parts.append(syntax)
        after = _said(tx, claim, now, new_status, f"IK5 {set_ack.code}", ". ".join(parts))
        applied.matched += 1
        applied.status_changes += after.status != claim.status


def _said(tx: ResponseTx, claim: ClaimRef, now: dt.datetime, status: ClaimStatus, code: str,
          reason: str) -> ClaimRef:
    return tx.claim_said(claim, now, source="999", new_status=status, code=code,
                         reason=reason[:2000])


def describe_error(e: SegmentError) -> str:
    """IK3/IK4 in words: segment, position, loop, what is wrong — never the data."""
    text = (f"segment {e.segment_id} at position {e.position}"
            f"{' (loop ' + e.loop_id + ')' if e.loop_id else ''}: "
            f"{SEGMENT_ERRORS.get(e.code, 'segment error ' + e.code)}")
    for el in e.elements:
        text += (f"; element {e.segment_id}{el.position.replace(':', '-')}"
                 f"{' (ref ' + el.reference + ')' if el.reference else ''}: "
                 f"{ELEMENT_ERRORS.get(el.code, 'element error ' + el.code)}")
    return text


def _group_summary(group: GroupAck) -> dict[str, Any]:
    return {"group": group.group_control_number, "ack": group.code,
            "said": ACK_CODES.get(group.code, group.code),
            "sets": {s.control_number: s.code for s in group.sets},
            "included": group.sets_included, "received": group.sets_received,
            "accepted": group.sets_accepted}
