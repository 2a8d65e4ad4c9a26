"""Raw document → validated :class:`Claim` + findings → what the store keeps.

Parse errors become findings too (FMT-xxx codes, field paths from pydantic's error
locations; pydantic's messages describe the expectation, never the input value).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from gateway.domain.claim import Claim
from gateway.domain.findings import Finding
from gateway.domain.rules import scrub
from gateway.store.claims import IncomingClaim

_PARSE_CODES = {"missing": "FMT-001", "extra_forbidden": "FMT-003"}


@dataclass(frozen=True, slots=True)
class Parsed:
    claim: Claim | None
    findings: list[Finding]


def parse_and_scrub(doc: dict[str, Any], today: dt.date) -> Parsed:
    try:
        claim = Claim.model_validate(doc)
    except ValidationError as exc:
        return Parsed(None, [_finding(err) for err in exc.errors(include_input=False,
                                                                  include_url=False)])
    return Parsed(claim, scrub(claim, today=today))


def _finding(err: Any) -> Finding:
    code = _PARSE_CODES.get(err["type"], "FMT-002")
    return Finding(code, json_path(err["loc"]), err["msg"])


def json_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def content_hash(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def claim_key(submitter_id: str, pcn: str, frequency: str, payer_ccn: str | None) -> str:
    return "|".join((submitter_id, pcn, frequency, payer_ccn or ""))


def to_incoming(raw_doc: dict[str, Any], parsed: Parsed, default_submitter: str, *,
                source_file: str | None, source_ref: str | None) -> IncomingClaim | None:
    """What the store keeps; None when the claim has no identity to store it under."""
    claim = parsed.claim
    if claim is not None:
        document = claim.model_dump(mode="json", exclude_none=True)
        if not document.get("other_payers"):
            # A claim without other payers stores (and hashes) as it did before the
            # field existed, so re-importing an unchanged claim stays a no-op.
            document.pop("other_payers", None)
        submitter = claim.submitter.id if claim.submitter else default_submitter
        start, end = claim.service_period()
        return IncomingClaim(
            claim_key=claim_key(submitter, claim.patient_control_number,
                                claim.frequency_code.value, claim.payer_claim_control_number),
            submitter_id=submitter,
            patient_control_number=claim.patient_control_number,
            frequency_code=claim.frequency_code.value,
            content_hash=content_hash(document),
            document=document,
            findings=parsed.findings,
            payer_id=claim.payer.payer_id,
            billing_npi=claim.billing_provider.npi,
            total_charge=claim.total_charge,
            service_date_from=start,
            service_date_to=end,
            payer_claim_control_number=claim.payer_claim_control_number,
            source_file=source_file,
            source_ref=source_ref,
        )
    # Unparseable, but identifiable: keep it as invalid so staff can look it up.
    pcn = _text(raw_doc.get("patient_control_number"))
    if pcn is None:
        return None
    submitter_doc = raw_doc.get("submitter")
    submitter = (_text(submitter_doc.get("id")) if isinstance(submitter_doc, dict) else None
                 ) or default_submitter
    frequency = _text(raw_doc.get("frequency_code")) or "1"
    payer_ccn = _text(raw_doc.get("payer_claim_control_number"))
    payer = raw_doc.get("payer")
    return IncomingClaim(
        claim_key=claim_key(submitter, pcn, frequency[:1], payer_ccn),
        submitter_id=submitter[:80],
        patient_control_number=pcn,
        frequency_code=frequency[:1],
        content_hash=content_hash(raw_doc),
        document=raw_doc,
        findings=parsed.findings,
        payer_id=_text(payer.get("payer_id")) if isinstance(payer, dict) else None,
        payer_claim_control_number=_text(payer_ccn, 50),
        source_file=source_file,
        source_ref=source_ref,
    )


def _text(value: Any, limit: int = 80) -> str | None:
    """A short identifier taken from an unvalidated document, or None."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()[:limit]
        return text or None
    return None
