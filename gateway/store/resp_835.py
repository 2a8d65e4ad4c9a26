"""Applying an 835 remittance: payments posted to our claims, exactly once.

One call per transaction set (one payment), inside the file's transaction:

1. **The payment, once.** The remittance row is inserted with ``ON CONFLICT DO NOTHING``
   on (payer id, TRN02 trace number). When that payment is already stored — from an
   earlier file, an earlier set of this file, or a concurrent ingest that committed
   first — nothing is recorded for its claims and the summary says "payment already
   posted from an earlier file". (The same *file* twice never gets here: the ingestor
   drops it by sha256.)
2. **Balancing.** :func:`~gateway.domain.remittance.balance_problems` checks every
   claim, line and the payment total. An unbalanced payment is stored, flagged
   (``balanced`` false, ``balance_note``), and its claims are *not* posted: each
   matched claim gets a timeline event saying why, its status does not move.
3. **Each CLP** becomes a ``remittance_claims`` row — matched to our claim by CLP01
   among the claims we sent, or kept with ``claim_id`` NULL (and in
   ``Applied.unmatched_items``) when it matches nothing. Its SVC lines are matched to
   our service lines by REF*6R (line item control number), else by procedure code and
   service date; the matched line's index (0-based, into the claim's
   ``service_lines``) is stored as ``line_index``.
4. **Posting** a matched CLP: :func:`~gateway.domain.remittance.status_outcome` gives
   the new status (paid / partially paid / denied / reversed; none for "not our claim"
   or predeterminations), ``ResponseTx.claim_said`` moves it only forward and always
   leaves an event whose reason says in words what was paid, on which check/EFT, and
   why (CARC and RARC descriptions). CLP07 is stored as the payer claim control number.
   Within one payment, a claim's reversal is posted before its correction, whatever
   their order in the file.
5. **A reversal posts once.** A trace number identifies a payment, not a reversal: a
   payer may repeat the same CLP02 22 in a later payment (a re-issued remittance, a
   recoupment listed twice). A reversal is posted only while the claim has fewer posted
   reversals than posted payments with the same payer, payer claim control number and
   amount (at least one reversal is always allowed — the original may predate the
   gateway); otherwise it is stored with ``posting = repeated_reversal`` and an event,
   and the status does not move.
6. **Late payments.** A payment older (BPR16) than one already posted for the claim is
   recorded on the timeline without moving the status, so files read out of order end
   in the state of the latest adjudication.

Work is done in chunks of claims (look-ups, line matching, bulk inserts), so memory
stays flat and nothing is quadratic in the number of claims.

The document is either a whole :class:`~gateway.domain.remittance.Remittance835` (tests,
small files) or a :class:`Streamed835` from the ingestor: the set's check-pass summary
(header, PLB, claim count, balancing verdict) and its claims read again one by one from
the file's text. Streamed claims are posted in file order, chunk by chunk, without
keeping them; only CLPs whose patient control number (may) repeat in the set are held
back and posted together at the end of the set, reversals first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.domain.remittance import (
    REVERSAL,
    Adjustment,
    ClaimPayment,
    LinePayment,
    Remittance835,
    balance_problems,
    money,
    outcome,
    posting_reason,
    status_outcome,
)
from gateway.domain.status import ClaimStatus
from gateway.store.claims import claims_t, versions_t
from gateway.store.models import Remittance, RemittanceClaim
from gateway.store.responses import Applied, ClaimRef, ResponseTx
from x12_maps.era835 import Checked835

remittances_t = cast(Table, Remittance.__table__)
remittance_claims_t = cast(Table, RemittanceClaim.__table__)

SOURCE = "835"
CHUNK = 500
ALREADY_POSTED = "payment already posted from an earlier file"
_MAX_REASON = 4000
_MAX_NOTE_PROBLEMS = 20

_STATUS = {
    "paid": ClaimStatus.PAID,
    "partially_paid": ClaimStatus.PARTIALLY_PAID,
    "denied": ClaimStatus.DENIED,
    "reversed": ClaimStatus.REVERSED,
}

# remittance_claims.posting
POSTED = "posted"
UNMATCHED = "unmatched"
UNBALANCED = "unbalanced"
REPEATED_REVERSAL = "repeated_reversal"

_ReversalKey = tuple[str | None, Decimal]


@dataclass(frozen=True, slots=True)
class Streamed835:
    """One 835 set as the ingestor streams it: what the check pass found, and its claims
    (in file order) read again from the text as they are consumed."""

    checked: Checked835
    claims: Iterable[ClaimPayment]

    @property
    def control_number(self) -> str:
        return self.checked.remittance.control_number


def apply_835(tx: ResponseTx, response_id: int, doc: Remittance835 | Streamed835,
              now: dt.datetime) -> Applied:
    """Post one 835 payment (one ST..SE) through ``tx``; see the module docstring."""
    if isinstance(doc, Streamed835):
        checked = doc.checked
        header, count = checked.remittance, checked.claims
        note = _note(checked.problems, checked.problem_count)
        chunks: Iterable[tuple[Sequence[ClaimPayment], bool]] = _streamed_chunks(
            doc.claims, checked)
    else:
        problems = balance_problems(doc)
        header, count, note = doc, len(doc.claims), _note(problems, len(problems))
        chunks = ((chunk, False) for chunk in _chunks(_posting_order(doc.claims), CHUNK))
    balanced = note is None
    remittance_id = _insert_remittance(tx.conn, {
        "response_id": response_id, "payer_id": header.payer_id[:80],
        "trace_number": header.trace_number[:50], "payment_amount": header.signed_payment,
        "payment_method": header.payment_method[:8], "payment_date": header.payment_date,
        "balanced": balanced, "payer_name": (header.payer_name or "")[:80] or None,
        "balance_note": note, "plb": [_plb_json(p) for p in header.plb] or None,
        "created_at": now,
    })
    if remittance_id is None:
        return Applied(summary=_already_posted(tx.conn, header, count))

    poster = _Poster(tx, header, count, remittance_id, balanced=balanced, note=note, now=now)
    for chunk, done in chunks:
        poster.post_chunk(chunk)
        if done:
            poster.forget()
    return poster.result()


# --- the payment row --------------------------------------------------------------------


def _insert_remittance(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert the payment unless (payer id, trace) exists: its id, or None."""
    keys = ["payer_id", "trace_number"]
    if conn.dialect.name == "postgresql":
        stmt: Any = postgresql.insert(remittances_t).values(values) \
            .on_conflict_do_nothing(index_elements=keys)
    elif conn.dialect.name == "sqlite":
        stmt = sqlite.insert(remittances_t).values(values) \
            .on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - the gateway runs on SQLite and PostgreSQL only
        exists = conn.execute(select(remittances_t.c.id).where(
            remittances_t.c.payer_id == values["payer_id"],
            remittances_t.c.trace_number == values["trace_number"])).first()
        if exists:
            return None
        stmt = insert(remittances_t).values(values)
    row = conn.execute(stmt.returning(remittances_t.c.id)).first()
    return int(row[0]) if row else None


def _already_posted(conn: Connection, doc: Remittance835, claims: int) -> dict[str, Any]:
    earlier = conn.execute(select(remittances_t.c.id, remittances_t.c.response_id).where(
        remittances_t.c.payer_id == doc.payer_id[:80],
        remittances_t.c.trace_number == doc.trace_number[:50])).first()
    return {
        "note": ALREADY_POSTED, "already_posted": True,
        "remittance_id": earlier.id if earlier else None,
        "earlier_response_id": earlier.response_id if earlier else None,
        **_header(doc), "claims": claims,
    }


def _header(doc: Remittance835) -> dict[str, Any]:
    return {
        "payer_id": doc.payer_id, "payer_name": doc.payer_name,
        "trace_number": doc.trace_number, "payment_method": doc.payment_method,
        "payment_amount": str(doc.signed_payment),
        "payment_date": doc.payment_date.isoformat() if doc.payment_date else None,
    }


def _note(problems: Sequence[str], count: int) -> str | None:
    """The first problems in words; ``count`` is how many there are in all."""
    if not count:
        return None
    shown = list(problems[:_MAX_NOTE_PROBLEMS])
    if count > _MAX_NOTE_PROBLEMS:
        shown.append(f"and {count - _MAX_NOTE_PROBLEMS} more")
    return "; ".join(shown)


# --- claims ------------------------------------------------------------------------------


def _posting_order(claims: Sequence[ClaimPayment]) -> list[ClaimPayment]:
    """File order, except that all CLPs of one patient control number are kept together
    at its first appearance, reversals first (a correction never precedes its reversal)."""
    groups: dict[str, list[ClaimPayment]] = {}
    for claim in claims:
        groups.setdefault(claim.patient_control_number, []).append(claim)
    ordered: list[ClaimPayment] = []
    for group in groups.values():
        if len(group) > 1:
            group.sort(key=lambda c: c.status_code != REVERSAL)  # stable
        ordered.extend(group)
    return ordered


def _streamed_chunks(claims: Iterable[ClaimPayment], checked: Checked835
                     ) -> Iterator[tuple[Sequence[ClaimPayment], bool]]:
    """Chunks to post, each with whether its claims are done for this payment.

    File order, except the CLPs whose patient control number (may) repeat in the set:
    those are held back and come last, grouped as :func:`_posting_order` groups them.
    Each claim of a done chunk is the only CLP of its claim in this payment, so the
    poster may forget what it tracked for them.
    """
    held: list[ClaimPayment] = []
    chunk: list[ClaimPayment] = []
    for claim in claims:
        if checked.repeated(claim.patient_control_number):
            held.append(claim)
            continue
        chunk.append(claim)
        if len(chunk) >= CHUNK:
            yield chunk, True
            chunk = []
    if chunk:
        yield chunk, True
    for part in _chunks(_posting_order(held), CHUNK):
        yield part, False


def _chunks(items: Sequence[ClaimPayment], size: int) -> Iterator[Sequence[ClaimPayment]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _Poster:
    """Posts a remittance's claims chunk by chunk and keeps the tallies."""

    def __init__(self, tx: ResponseTx, doc: Remittance835, claims: int, remittance_id: int,
                 *, balanced: bool, note: str | None, now: dt.datetime) -> None:
        self.tx = tx
        self.doc = doc  # the payment; its ``claims`` are not read (may be empty)
        self.claims = claims
        self.remittance_id = remittance_id
        self.balanced = balanced
        self.note = note
        self.now = now
        self.applied = Applied()
        self.outcomes: Counter[str] = Counter()
        self.postings: Counter[str] = Counter()
        self.interchanges: set[int | None] = set()
        self.lines_matched = 0
        self.lines_total = 0
        # Per claim id, posted payments and reversals by (CLP07, |CLP04|), this payer.
        self.payments: dict[int, Counter[_ReversalKey]] = {}
        self.reversals: dict[int, Counter[_ReversalKey]] = {}
        self.latest: dict[int, dt.date] = {}
        self.pccns: list[dict[str, Any]] = []  # payer claim control numbers to store

    def post_chunk(self, chunk: Sequence[ClaimPayment]) -> None:
        found = self.tx.sent_claims_by_pcn(c.patient_control_number for c in chunk)
        ids = sorted({ref.id for ref in found.values()})
        ours = _our_lines(self.tx.conn, ids)
        self._load_history(ids)
        rows = []
        for claim in chunk:
            ref = found.get(claim.patient_control_number)
            claim_id = ref.id if ref is not None else None
            lines = _lines_json(claim, ours.get(claim_id, []) if claim_id else [])
            self.lines_total += len(lines)
            self.lines_matched += sum(1 for line in lines if line["line_index"] is not None)
            result = outcome(claim)
            self.outcomes[result] += 1
            if ref is None:
                posting = UNMATCHED
                self.applied.unmatched += 1
                self.applied.unmatched_items.append(_unmatched(claim))
            else:
                self.applied.matched += 1
                self.interchanges.add(ref.interchange_id)
                posting = self._post(ref, claim)
            self.postings[posting] += 1
            rows.append({
                "remittance_id": self.remittance_id, "claim_id": claim_id,
                "patient_control_number": claim.patient_control_number[:80],
                "status_code": claim.status_code[:4], "charge": claim.charge,
                "paid": claim.paid, "patient_responsibility": claim.patient_responsibility,
                "payer_claim_control_number": (claim.payer_claim_control_number or "")[:50]
                or None,
                "adjustments": [_adjustment_json(a) for a in claim.adjustments] or None,
                "outcome": result, "remarks": list(claim.remarks) or None,
                "lines": lines or None, "posting": posting,
            })
        if rows:
            self.tx.conn.execute(insert(remittance_claims_t), rows)
        if self.pccns:  # one executemany, in posting order (the last one wins)
            self.tx.conn.execute(
                update(claims_t).where(claims_t.c.id == bindparam("claim"))
                .values(payer_claim_control_number=bindparam("pccn")), self.pccns)
            self.pccns = []

    def forget(self) -> None:
        """Drop what is tracked per claim (its CLPs in this payment are all posted)."""
        self.payments.clear()
        self.reversals.clear()
        self.latest.clear()

    def _post(self, ref: ClaimRef, claim: ClaimPayment) -> str:
        words = posting_reason(self.doc, claim)
        code = f"CLP02 {claim.status_code}"
        if not self.balanced:
            self._said(ref, None, "835 UNBALANCED",
                       f"not posted: {self._payment()} does not balance, so the payer must "
                       f"correct it; it says: {words}", "remittance")
            return UNBALANCED
        key: _ReversalKey = (claim.payer_claim_control_number, abs(claim.paid))
        if claim.status_code == REVERSAL:
            done = self.reversals.setdefault(ref.id, Counter())
            if done[key] >= max(1, self.payments.get(ref.id, Counter())[key]):
                self._said(ref, None, f"{code} REPEATED",
                           f"not posted again: this reversal was already posted from an "
                           f"earlier payment; {words}", "remittance")
                return REPEATED_REVERSAL
            done[key] += 1
        else:
            self.payments.setdefault(ref.id, Counter())[key] += 1
        target = status_outcome(claim)
        new_status = _STATUS.get(target) if target else None
        latest = self.latest.get(ref.id)
        paid_on = self.doc.payment_date
        if new_status is not None and latest is not None and paid_on is not None \
                and paid_on < latest:
            words += (f"; this payment ({paid_on.isoformat()}) is older than one already "
                      f"posted ({latest.isoformat()}): status not changed")
            new_status = None
        after = self._said(ref, new_status, code, words, target or "remittance")
        if paid_on is not None and (latest is None or paid_on > latest):
            self.latest[ref.id] = paid_on
        if after.status != ref.status:
            self.applied.status_changes += 1
        pccn = claim.payer_claim_control_number
        if pccn and (new_status is not None or latest is None):
            # As ResponseTx.set_payer_claim_control_number does, batched per chunk.
            self.pccns.append({"claim": ref.id, "pccn": pccn[:50]})
        return POSTED

    def _said(self, ref: ClaimRef, new_status: ClaimStatus | None, code: str, reason: str,
              kind: str) -> ClaimRef:
        if len(reason) > _MAX_REASON:
            reason = reason[:_MAX_REASON - 1] + "…"
        return self.tx.claim_said(ref, self.now, source=SOURCE, new_status=new_status,
                                  code=code[:64], reason=reason, kind=kind[:32])

    def _payment(self) -> str:
        when = f" ({self.doc.payment_date.isoformat()})" if self.doc.payment_date else ""
        return (f"payment {self.doc.method_words} {self.doc.trace_number}{when} of "
                f"{money(self.doc.signed_payment)}")

    def _load_history(self, claim_ids: Sequence[int]) -> None:
        """Posted CLPs of these claims from earlier payments of the same payer, and the
        latest payment date per claim (any payer)."""
        wanted = [cid for cid in claim_ids if cid not in self.latest
                  and cid not in self.payments and cid not in self.reversals]
        if not wanted:
            return
        rc, r = remittance_claims_t.c, remittances_t.c
        query = (select(rc.claim_id, rc.status_code, rc.payer_claim_control_number, rc.paid,
                        r.payer_id, r.payment_date)
                 .join(remittances_t, r.id == rc.remittance_id)
                 .where(and_(rc.claim_id.in_(wanted), rc.posting == POSTED,
                             rc.remittance_id != self.remittance_id)))
        for row in self.tx.conn.execute(query):
            if row.payment_date is not None:
                seen = self.latest.get(row.claim_id)
                if seen is None or row.payment_date > seen:
                    self.latest[row.claim_id] = row.payment_date
            if row.payer_id != self.doc.payer_id[:80]:
                continue
            key: _ReversalKey = (row.payer_claim_control_number, abs(Decimal(row.paid)))
            book = self.reversals if row.status_code == REVERSAL else self.payments
            book.setdefault(row.claim_id, Counter())[key] += 1

    def result(self) -> Applied:
        if len(self.interchanges) == 1:
            self.applied.interchange_id = self.interchanges.pop()
        summary: dict[str, Any] = {
            "remittance_id": self.remittance_id, **_header(self.doc),
            "balanced": self.balanced, "claims": self.claims,
            "outcomes": dict(self.outcomes), "postings": dict(self.postings),
            "lines": self.lines_total, "lines_matched": self.lines_matched,
            "provider_adjustments": str(sum((p.amount for p in self.doc.plb), Decimal(0))),
        }
        if not self.balanced:
            summary["note"] = ("payment does not balance: stored and flagged, its claims "
                               "were not posted")
            summary["balance_note"] = self.note
        self.applied.summary = summary
        return self.applied


# --- our service lines and the 835's ----------------------------------------------------


_OurLine = tuple[int, str | None, str, str | None]  # index, control number, code, date


def _our_lines(conn: Connection, claim_ids: Sequence[int]) -> dict[int, list[_OurLine]]:
    """The service lines of the sent version of each claim (from its stored document)."""
    if not claim_ids:
        return {}
    query = (select(versions_t.c.claim_id, versions_t.c.document)
             .join(claims_t, and_(claims_t.c.id == versions_t.c.claim_id,
                                  claims_t.c.version_no == versions_t.c.version_no))
             .where(versions_t.c.claim_id.in_(claim_ids)))
    found: dict[int, list[_OurLine]] = {}
    for row in conn.execute(query):
        lines = (row.document or {}).get("service_lines") or []
        found[row.claim_id] = [
            (i, line.get("line_item_control_number"), str(line.get("procedure_code", "")),
             line.get("service_date")) for i, line in enumerate(lines)]
    return found


def _lines_json(claim: ClaimPayment, ours: list[_OurLine]) -> list[dict[str, Any]]:
    """Each SVC as stored, with the index of the line of ours it answers (or None)."""
    by_control = {control: i for i, control, _, _ in ours if control}
    used: set[int] = set()
    fallback_date = claim.statement_from
    out = []
    for line in claim.lines:
        index = _match_line(line, ours, by_control, used, fallback_date)
        if index is not None:
            used.add(index)
        out.append(_line_json(line, index))
    return out


def _match_line(line: LinePayment, ours: list[_OurLine], by_control: dict[str, int],
                used: set[int], fallback_date: dt.date | None) -> int | None:
    if line.control_number:
        index = by_control.get(line.control_number)
        if index is not None and index not in used:
            return index
    when = line.service_date or fallback_date
    day = when.isoformat() if when else None
    code = line.procedure_code
    for index, _, our_code, our_date in ours:
        if index in used or our_code != code:
            continue
        if day is None or our_date is None or our_date == day:
            return index
    return None


def _line_json(line: LinePayment, index: int | None) -> dict[str, Any]:
    return {
        "line_index": index, "procedure": line.procedure,
        "original_procedure": line.original_procedure, "charge": str(line.charge),
        "paid": str(line.paid), "units": str(line.units) if line.units is not None else None,
        "revenue_code": line.revenue_code,
        "service_date": line.service_date.isoformat() if line.service_date else None,
        "service_date_end": (line.service_date_end.isoformat()
                             if line.service_date_end else None),
        "control_number": line.control_number,
        "adjustments": [_adjustment_json(a) for a in line.adjustments],
        "remarks": list(line.remarks),
    }


def _adjustment_json(a: Adjustment) -> dict[str, Any]:
    return {"group": a.group, "reason": a.reason, "amount": str(a.amount),
            "quantity": str(a.quantity) if a.quantity is not None else None}


def _plb_json(p: Any) -> dict[str, Any]:
    return {"provider": p.provider_id,
            "fiscal_period_date": (p.fiscal_period_date.isoformat()
                                   if p.fiscal_period_date else None),
            "reason": p.reason, "reference": p.reference, "amount": str(p.amount)}


def _unmatched(claim: ClaimPayment) -> dict[str, Any]:
    return {"patient_control_number": claim.patient_control_number,
            "status_code": claim.status_code, "charge": str(claim.charge),
            "paid": str(claim.paid),
            "payer_claim_control_number": claim.payer_claim_control_number}


def posted_totals(conn: Connection, remittance_id: int) -> tuple[Decimal, Decimal]:
    """Σ CLP04 stored for a remittance and Σ of its PLB amounts (for checks and tests)."""
    paid = conn.execute(select(func.coalesce(func.sum(remittance_claims_t.c.paid), 0))
                        .where(remittance_claims_t.c.remittance_id == remittance_id)
                        ).scalar_one()
    plb = conn.execute(select(remittances_t.c.plb).where(remittances_t.c.id == remittance_id)
                       ).scalar_one()
    return Decimal(paid), _sum(Decimal(p["amount"]) for p in plb or [])


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
