"""What staff see of payments: read-only queries over ``remittances`` and
``remittance_claims``, with CARC/RARC/group/PLB codes described in words.

- :meth:`RemitStore.list_remittances` — one row per payment (check/EFT), filtered;
- :meth:`RemitStore.remittance` — one payment with its balancing verdict, PLB and a
  breakdown per claim (and per line);
- :meth:`RemitStore.payments_for_claim` — every 835 line that spoke about one claim,
  for ``gateway claims show``.

Amounts are returned as :class:`~decimal.Decimal` (JSON output prints them exactly).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, func, or_, select

from gateway.domain.remittance import (
    PAYMENT_METHODS,
    carc_description,
    claim_status_description,
    group_description,
    plb_reason_description,
    rarc_description,
)
from gateway.store.models import FileRow, Remittance, RemittanceClaim, ResponseRow

remittances_t = cast(Table, Remittance.__table__)
remittance_claims_t = cast(Table, RemittanceClaim.__table__)
responses_t = cast(Table, ResponseRow.__table__)
files_t = cast(Table, FileRow.__table__)

# remittance_claims.posting in words.
POSTING_WORDS = {
    "posted": "posted",
    "unmatched": "not posted: matches no claim we sent",
    "unbalanced": "not posted: the payment does not balance",
    "repeated_reversal": "not posted: reversal already posted from an earlier payment",
}


@dataclass(frozen=True, slots=True)
class RemitFilter:
    """``payer`` matches the payer id exactly or the payer name in part (any case);
    dates bound the payment date (BPR16)."""

    payer: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    unbalanced_only: bool = False
    limit: int = 100
    offset: int = 0


class RemitStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_remittances(self, flt: RemitFilter | None = None) -> list[dict[str, Any]]:
        """Payments, newest payment date first."""
        flt = flt or RemitFilter()
        r, rc = remittances_t.c, remittance_claims_t.c
        counts = (select(rc.remittance_id,
                         func.count().label("claims"),
                         func.count(rc.claim_id).label("matched"),
                         func.coalesce(func.sum(rc.paid), 0).label("claims_paid"))
                  .group_by(rc.remittance_id).subquery())
        query = (select(r.id, r.payer_id, r.payer_name, r.trace_number, r.payment_method,
                        r.payment_amount, r.payment_date, r.balanced, r.created_at,
                        files_t.c.name.label("file"),
                        func.coalesce(counts.c.claims, 0).label("claims"),
                        func.coalesce(counts.c.matched, 0).label("matched"),
                        func.coalesce(counts.c.claims_paid, 0).label("claims_paid"))
                 .join(responses_t, responses_t.c.id == r.response_id)
                 .join(files_t, files_t.c.id == responses_t.c.file_id)
                 .outerjoin(counts, counts.c.remittance_id == r.id))
        if flt.payer:
            query = query.where(or_(r.payer_id == flt.payer,
                                    func.lower(r.payer_name).contains(flt.payer.lower())))
        if flt.date_from:
            query = query.where(r.payment_date >= flt.date_from)
        if flt.date_to:
            query = query.where(r.payment_date <= flt.date_to)
        if flt.unbalanced_only:
            query = query.where(r.balanced.is_(False))
        query = (query.order_by(r.payment_date.desc(), r.id.desc())
                 .limit(flt.limit).offset(flt.offset))
        with self.engine.connect() as conn:
            return [_list_row(row._mapping) for row in conn.execute(query)]

    def remittance(self, remittance_id: int, *, claims_limit: int | None = None
                   ) -> dict[str, Any] | None:
        """One payment: header, balancing verdict, PLB, and each claim in file order."""
        r, rc = remittances_t.c, remittance_claims_t.c
        with self.engine.connect() as conn:
            head = conn.execute(
                select(remittances_t, files_t.c.name.label("file"),
                       files_t.c.id.label("file_id"))
                .join(responses_t, responses_t.c.id == r.response_id)
                .join(files_t, files_t.c.id == responses_t.c.file_id)
                .where(r.id == remittance_id)).first()
            if head is None:
                return None
            totals = conn.execute(
                select(func.count(), func.count(rc.claim_id), func.coalesce(func.sum(rc.paid), 0))
                .where(rc.remittance_id == remittance_id)).one()
            query = select(remittance_claims_t).where(rc.remittance_id == remittance_id) \
                .order_by(rc.id)
            if claims_limit is not None:
                query = query.limit(claims_limit)
            claims = [_claim_row(row._mapping) for row in conn.execute(query)]
        data = dict(head._mapping)
        plb = [_plb_row(p) for p in data.pop("plb") or []]
        plb_total = sum((p["amount"] for p in plb), Decimal(0))
        claims_paid = Decimal(totals[2])
        data.update({
            "payment_method_words": PAYMENT_METHODS.get(data["payment_method"],
                                                        data["payment_method"]),
            "balance": {
                "balanced": data["balanced"], "note": data.pop("balance_note"),
                "claims_paid": claims_paid, "provider_adjustments": plb_total,
                "expected_payment": claims_paid - plb_total,
            },
            "claim_count": totals[0], "matched": totals[1], "plb": plb, "claims": claims,
        })
        return data

    def payments_for_claim(self, claim_id: int) -> list[dict[str, Any]]:
        """Every CLP that answered this claim, oldest payment first."""
        r, rc = remittances_t.c, remittance_claims_t.c
        query = (select(remittance_claims_t, r.payer_id, r.payer_name, r.trace_number,
                        r.payment_method, r.payment_date, r.balanced,
                        files_t.c.name.label("file"))
                 .join(remittances_t, r.id == rc.remittance_id)
                 .join(responses_t, responses_t.c.id == r.response_id)
                 .join(files_t, files_t.c.id == responses_t.c.file_id)
                 .where(and_(rc.claim_id == claim_id))
                 .order_by(r.payment_date, rc.remittance_id, rc.id))
        with self.engine.connect() as conn:
            rows = [row._mapping for row in conn.execute(query)]
        out = []
        for row in rows:
            item = _claim_row(row)
            item.update({
                "payer_id": row["payer_id"], "payer_name": row["payer_name"],
                "trace_number": row["trace_number"], "payment_method": row["payment_method"],
                "payment_method_words": PAYMENT_METHODS.get(row["payment_method"],
                                                            row["payment_method"]),
                "payment_date": row["payment_date"], "balanced": row["balanced"],
                "file": row["file"],
            })
            out.append(item)
        return out


# --- rows in words ----------------------------------------------------------------------


def _list_row(row: Any) -> dict[str, Any]:
    data = dict(row)
    data["claims_paid"] = Decimal(data["claims_paid"])
    data["unmatched"] = data["claims"] - data["matched"]
    data["payment_method_words"] = PAYMENT_METHODS.get(data["payment_method"],
                                                       data["payment_method"])
    return data


def _claim_row(row: Any) -> dict[str, Any]:
    lines = [_line_row(n, line) for n, line in enumerate(row["lines"] or [], start=1)]
    adjustments = [_adjustment(a, "claim") for a in row["adjustments"] or []]
    for line in lines:
        adjustments.extend(_adjustment(a, f"line {line['number']}") for a in
                           line["adjustments"])
    remarks: dict[str, None] = dict.fromkeys(row["remarks"] or [])
    for line in lines:
        remarks.update(dict.fromkeys(r["code"] for r in line["remarks"]))
    return {
        "remittance_claim_id": row["id"], "remittance_id": row["remittance_id"],
        "claim_id": row["claim_id"], "patient_control_number": row["patient_control_number"],
        "status_code": row["status_code"],
        "status_description": claim_status_description(row["status_code"]),
        "charge": row["charge"], "paid": row["paid"],
        "patient_responsibility": row["patient_responsibility"],
        "payer_claim_control_number": row["payer_claim_control_number"],
        "outcome": row["outcome"], "posting": row["posting"],
        "posting_words": POSTING_WORDS.get(row["posting"], row["posting"]),
        "adjustments": adjustments,
        "remarks": [_remark(code) for code in remarks],
        "lines": lines,
    }


def _line_row(number: int, line: dict[str, Any]) -> dict[str, Any]:
    index = line.get("line_index")
    return {
        "number": number,
        "our_line": index + 1 if index is not None else None,
        "procedure": line.get("procedure"),
        "original_procedure": line.get("original_procedure"),
        "service_date": line.get("service_date"),
        "charge": Decimal(line["charge"]), "paid": Decimal(line["paid"]),
        "units": Decimal(line["units"]) if line.get("units") is not None else None,
        "control_number": line.get("control_number"),
        "adjustments": [_adjustment(a, f"line {number}") for a in line.get("adjustments") or []],
        "remarks": [_remark(code) for code in line.get("remarks") or []],
    }


def _adjustment(a: dict[str, Any], level: str) -> dict[str, Any]:
    if "description" in a:  # already described (a line's, re-listed at claim level)
        return {**a, "level": level}
    return {
        "level": level, "group": a["group"], "group_description": group_description(a["group"]),
        "reason": a["reason"], "description": carc_description(a["reason"]),
        "amount": Decimal(a["amount"]),
        "quantity": Decimal(a["quantity"]) if a.get("quantity") is not None else None,
    }


def _remark(code: str) -> dict[str, str]:
    return {"code": code, "description": rarc_description(code)}


def _plb_row(p: dict[str, Any]) -> dict[str, Any]:
    return {**p, "amount": Decimal(p["amount"]),
            "description": plb_reason_description(p.get("reason") or "")}
