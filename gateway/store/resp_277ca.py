"""Applying a 277CA claim acknowledgment to our claims.

- Claims are matched by TRN02 (our CLM01) among the claims we sent; a TRN02 that matches
  nothing is kept in ``Applied.unmatched_items`` (never dropped).
- Each STC of a matched claim becomes one timeline event, in file order, through
  ``ResponseTx.claim_said``: the category moves the status forward (A0/A1/A5
  acknowledged, A2 accepted, A3/A4/A6/A7/A8 rejected; other categories never move it),
  a late or backwards answer is kept as an event only. The reason says in words who
  answered, what the category, status and entity codes mean, the payer's STC12 text,
  the payer claim control number, and any line-level statuses.
- REF*1K (the payer claim control number, needed for replacement claims) is stored on
  the claim — unless the claim already has another one and this answer did not move
  it (a late 277CA never overwrites what a newer 277CA or an 835 gave).
- A batch-level (2200B) or provider-level (2200C) rejection applies to the claims this
  document lists under that batch or provider; when it lists none, the summary says so
  and no claim is touched (which claims a clearinghouse meant is not guessed).
- Exactly once: the same file twice is stopped before this point (sha256); the same
  statement re-sent in another file (same claim, codes and words) is not recorded again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gateway.domain.acks277 import (
    BillingProvider,
    ClaimAck,
    ClaimAck277,
    InformationReceiver,
    InformationSource,
    LineAck,
    Stc,
)
from gateway.domain.codes import claim_status_codes
from gateway.domain.status import ClaimStatus
from gateway.store.claims import claims_t, events_t
from gateway.store.responses import Applied, ResponseTx

SOURCE = "277ca"
MAX_MESSAGE = 200  # STC12 free text kept in a reason
_MAX_REASON = 4000
_MAX_CODE = 64  # claim_events.code
_KINDS = {ClaimStatus.ACKNOWLEDGED: "acknowledged", ClaimStatus.ACCEPTED: "accepted",
          ClaimStatus.REJECTED: "rejected"}


@dataclass(frozen=True, slots=True)
class _Statement:
    """One thing the 277CA says about one claim, ready to become an event."""

    code: str
    reason: str
    status: ClaimStatus | None

    @property
    def kind(self) -> str:
        return _KINDS.get(self.status, "status") if self.status is not None else "status"


def apply_277ca(tx: ResponseTx, response_id: int, doc: ClaimAck277, now: dt.datetime
                ) -> Applied:
    """Every claim status of one 277CA transaction set, applied through ``tx``."""
    del response_id  # the responses row is written by ResponseStore
    words = _Words()
    applied = Applied()
    pcns = [c.patient_control_number for c in doc.claims if c.patient_control_number]
    found = tx.sent_claims_by_pcn(pcns)
    ids = sorted({ref.id for ref in found.values()})
    recorded = _recorded_statements(tx, ids)
    pccn_now = _payer_claim_control_numbers(tx, ids)
    categories: Counter[str] = Counter()
    stats: Counter[str] = Counter()
    interchanges: set[int | None] = set()

    for claim in doc.claims:
        for stc in claim.statuses:
            categories.update(stc.categories)
        ref = found.get(claim.patient_control_number)
        if ref is None:
            applied.unmatched += 1
            applied.unmatched_items.append(_unmatched(claim))
            continue
        applied.matched += 1
        interchanges.add(ref.interchange_id)
        moved = False
        for statement in _statements(doc, claim, words):
            key = (ref.id, statement.code, statement.reason)
            if key in recorded:
                stats["already_recorded"] += 1
                continue
            recorded.add(key)
            after = tx.claim_said(ref, now, source=SOURCE, new_status=statement.status,
                                  code=statement.code, reason=statement.reason,
                                  kind=statement.kind)
            stats["events"] += 1
            if after.status != ref.status:
                applied.status_changes += 1
                moved = True
            ref = after
        pccn = claim.payer_claim_control_number
        if pccn and pccn != pccn_now.get(ref.id) and (moved or not pccn_now.get(ref.id)):
            tx.set_payer_claim_control_number(ref.id, pccn)
            pccn_now[ref.id] = pccn
            stats["payer_claim_control_numbers"] += 1

    if len(interchanges) == 1:
        applied.interchange_id = interchanges.pop()
    applied.summary = _summary(doc, words, categories, stats, applied)
    return applied


# --- what the document says about each claim ------------------------------------------


def _statements(doc: ClaimAck277, claim: ClaimAck, words: _Words) -> list[_Statement]:
    """Covering batch/provider rejections first, then the claim's own STCs in order;
    line-level statuses go with the first claim-level statement."""
    who = _who(doc.source_of(claim))
    out: list[_Statement] = []
    receiver = doc.receiver(claim.receiver_hl)
    if receiver is not None:
        out.extend(_statement(stc, f"{who}, batch-level (2200B{_trace(receiver)}) rejection",
                              words) for stc in receiver.statuses if stc.rejected)
    provider = doc.provider(claim.provider_hl)
    if provider is not None:
        out.extend(_statement(stc, f"{who}, provider-level (2200C, {provider.label}) "
                                   "rejection", words)
                   for stc in provider.statuses if stc.rejected)
    own = [_statement(stc, who, words, claim) for stc in claim.statuses]
    lines = "; ".join(_line_text(line, words) for line in claim.lines if line.statuses)
    if lines:
        if own:
            first = own[0]
            own[0] = _Statement(first.code, _clip(f"{first.reason}; {lines}"), first.status)
        else:
            codes = " ".join(stc.code for line in claim.lines for stc in line.statuses)
            own.append(_Statement(codes[:_MAX_CODE], _clip(f"{who}: {lines}"), None))
    return out + own


def _statement(stc: Stc, who: str, words: _Words, claim: ClaimAck | None = None
               ) -> _Statement:
    parts = [f"{who}: {words.stc(stc)}"]
    if stc.date:
        parts.append(f"status date {stc.date.isoformat()}")
    if stc.amount is not None:
        parts.append(f"{'claim charge' if claim is not None else 'amount'} {stc.amount}")
    if claim is not None and claim.payer_claim_control_number:
        parts.append(f"payer claim control number {claim.payer_claim_control_number}")
    if claim is not None and claim.clearinghouse_trace:
        parts.append(f"clearinghouse trace {claim.clearinghouse_trace}")
    if stc.text:
        parts.append(f'message "{stc.text[:MAX_MESSAGE]}"')
    return _Statement(stc.code[:_MAX_CODE], _clip("; ".join(parts)), stc.claim_status)


def _line_text(line: LineAck, words: _Words) -> str:
    said = "; ".join(words.stc(stc) + (f' (message "{stc.text[:MAX_MESSAGE]}")'
                                       if stc.text else "")
                     for stc in line.statuses)
    return f"{line.label}: {said}"


def _who(source: InformationSource | None) -> str:
    return source.label if source is not None else "unknown sender"


def _trace(receiver: InformationReceiver) -> str:
    return f", batch {receiver.trace}" if receiver.trace else ""


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON - 1] + "…"


class _Words:
    """Code descriptions from the shipped lists; unknown codes are named as such."""

    def __init__(self) -> None:
        self.categories, self.statuses, self.entities = claim_status_codes()

    def stc(self, stc: Stc) -> str:
        return " / ".join(self.status_code(s.category, s.status, s.entity)
                          for s in stc.statuses)

    def status_code(self, category: str, status: str, entity: str) -> str:
        text = f"{category} {self.categories.get(category, 'unknown category')}"
        if status:
            text += f" — {status} {self.statuses.get(status, 'unknown status code')}"
        if entity:
            text += f" — entity {entity} {self.entities.get(entity, 'unknown entity')}"
        return text


# --- look-ups -------------------------------------------------------------------------


def _recorded_statements(tx: ResponseTx, claim_ids: list[int]) -> set[tuple[int, str, str]]:
    """(claim, code, reason) of every 277CA event the claims already have."""
    seen: set[tuple[int, str, str]] = set()
    for chunk in _chunks(claim_ids):
        for r in tx.conn.execute(select(events_t.c.claim_id, events_t.c.code,
                                        events_t.c.reason)
                                 .where(events_t.c.claim_id.in_(chunk),
                                        events_t.c.source == SOURCE)):
            seen.add((r.claim_id, r.code or "", r.reason or ""))
    return seen


def _payer_claim_control_numbers(tx: ResponseTx, claim_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(claim_ids):
        for r in tx.conn.execute(select(claims_t.c.id, claims_t.c.payer_claim_control_number)
                                 .where(claims_t.c.id.in_(chunk))):
            if r.payer_claim_control_number:
                found[r.id] = r.payer_claim_control_number
    return found


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


# --- the report -----------------------------------------------------------------------


def _unmatched(claim: ClaimAck) -> dict[str, Any]:
    first = claim.statuses[0].statuses[0] if claim.statuses else None
    return {"pcn": claim.patient_control_number, "position": claim.position,
            "category": first.category if first else None,
            "status_code": first.status if first else None,
            "codes": [stc.code for stc in claim.statuses],
            "payer_claim_control_number": claim.payer_claim_control_number or None}


def _summary(doc: ClaimAck277, words: _Words, categories: Mapping[str, int],
             stats: Mapping[str, int], applied: Applied) -> dict[str, Any]:
    source = doc.source
    summary: dict[str, Any] = {
        "answered_by": source.answered_by if source else None,
        "source": ({"entity": source.entity, "name": source.name, "id": source.id}
                   if source else None),
        "set": doc.control_number,
        "reference": doc.reference or None,
        "claims": len(doc.claims),
        "matched": applied.matched,
        "unmatched": applied.unmatched,
        "categories": dict(sorted(categories.items())),
        "status_changes": applied.status_changes,
        "events": stats.get("events", 0),
        "already_recorded": stats.get("already_recorded", 0),
        "payer_claim_control_numbers": stats.get("payer_claim_control_numbers", 0),
        "line_statuses": sum(len(line.statuses) for c in doc.claims for line in c.lines),
    }
    batches = [_level(r, doc.claims_under_receiver(r.hl), words, "batch")
               for r in doc.receivers if r.statuses]
    providers = [_level(p, doc.claims_under_provider(p.hl), words, "provider")
                 for p in doc.providers if p.statuses]
    if batches:
        summary["batches"] = batches
    if providers:
        summary["providers"] = providers
    notes = [b["note"] for b in (*batches, *providers) if b.get("note")]
    if notes:
        summary["notes"] = notes
    if doc.skipped:
        summary["skipped_segments"] = doc.skipped[:50]
    return summary


def _level(node: InformationReceiver | BillingProvider, listed: list[ClaimAck],
           words: _Words, what: str) -> dict[str, Any]:
    t = node.totals
    entry: dict[str, Any] = {
        "codes": [stc.code for stc in node.statuses],
        "said": [words.stc(stc) for stc in node.statuses],
        "rejected": node.rejected,
        "claims_listed": len(listed),
        "accepted_count": t.accepted_count, "rejected_count": t.rejected_count,
        "accepted_amount": None if t.accepted_amount is None else str(t.accepted_amount),
        "rejected_amount": None if t.rejected_amount is None else str(t.rejected_amount),
    }
    if isinstance(node, BillingProvider):
        entry.update(id_qualifier=node.id_qualifier, id=node.id, trace=node.trace or None)
        label = node.label
    else:
        entry.update(id=node.id, trace=node.trace or None)
        label = f"batch {node.trace}" if node.trace else "the batch"
    if node.rejected:
        entry["note"] = (
            f"{what}-level rejection ({label}) applied to the {len(listed)} claim(s) this "
            "277CA lists under it" if listed else
            f"{what}-level rejection ({label}): the 277CA lists none of its claims"
            + (f" ({t.rejected_count} rejected by its count)" if t.rejected_count else "")
            + "; no claim was changed — find them by the batch or provider and resubmit")
    return entry


__all__ = ["MAX_MESSAGE", "SOURCE", "apply_277ca"]
