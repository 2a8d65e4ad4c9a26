"""A staged response → its X12 text and what it tells each claim.

Deterministic: everything comes from the ledger (the events grouped into the response,
the claims' received data and decisions, the response's id and creation time), so a
response rendered again after a crash is the same file, byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from gateway.simulator.adjudicate import Adjustment, Decision, corrected
from gateway.simulator.inbound import Identity
from gateway.simulator.ledger import Ledger, LedgerResponse, unstamp
from gateway.simulator.received import Name, ReceivedClaim
from gateway.simulator.rules import SandboxRules
from gateway.simulator.writers import (
    Ack277,
    ClaimPayment,
    ClaimStatus,
    ElementNote,
    Envelope,
    GroupAnswer,
    LinePayment,
    PayerParty,
    Payment,
    ProviderStatus,
    SegmentNote,
    SetAnswer,
    SourceBlock,
    Ta1Answer,
    write_277ca,
    write_835,
    write_999,
    write_ta1,
)
from gateway.x12.delimiters import Delimiters

# CLP06 takes a shorter list than the 837P's SBR09.
_CLP06 = frozenset(("12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA",
                    "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"))
_CLP06_FROM_837 = {"CI": "12", "BL": "12"}

Answers = dict[int, dict[str, Any]]


def payer_claim_number(claim_id: int) -> str:
    """REF*1K / CLP07: the payer's number for a claim, stable for the ledger's claim."""
    return f"SBX{claim_id:011d}"


def render(response: LedgerResponse, ledger: Ledger, rules: SandboxRules,
           identity: Identity) -> tuple[str, Answers]:
    events = ledger.events_of(response.id)
    envelope = _envelope(ledger.envelope_of(events[0].interchange_id), response, identity)
    if response.kind == "TA1":
        payload = events[0].payload or {}
        return write_ta1(envelope, [Ta1Answer(**payload["ta1"])]), {}
    if response.kind == "999":
        payload = events[0].payload or {}
        ta1 = Ta1Answer(**payload["ta1"]) if payload.get("ta1") else None
        return write_999(envelope, [_group(g) for g in payload["groups"]], ta1), {}
    claim_ids = [e.claim_id for e in events if e.claim_id is not None]
    docs = ledger.claim_documents(claim_ids)
    claims = [(cid, ReceivedClaim.from_json(docs[cid][0]), Decision.from_json(docs[cid][1]))
              for cid in claim_ids]
    received_at = unstamp(ledger.envelope_of(events[0].interchange_id)["received_at"])
    if response.kind == "277CA-CLEARINGHOUSE":
        return _clearinghouse_277(envelope, claims, rules, identity, received_at)
    if response.kind == "277CA-PAYER":
        return _payer_277(envelope, claims, rules, received_at)
    return _remittance(envelope, response, claims, rules)


def _envelope(received: dict[str, Any], response: LedgerResponse,
              identity: Identity) -> Envelope:
    isa = received["isa"]
    gs = received.get("gs") or [isa[3], isa[1]]
    try:
        d = Delimiters(*received["separators"])
    except (TypeError, ValueError):
        d = Delimiters()
    usage = received.get("usage") if received.get("usage") in ("T", "P") else "T"
    return Envelope((identity.qualifier, identity.id), (isa[0] or "ZZ", isa[1] or "UNKNOWN"),
                    gs[1] or identity.id, gs[0] or isa[1] or "UNKNOWN", str(usage), d,
                    response.id, response.id, response.created_at)


def _group(data: dict[str, Any]) -> GroupAnswer:
    sets = tuple(SetAnswer(
        s["set_id"], s["control_number"], s["version"], s["code"], tuple(s["codes"]),
        tuple(SegmentNote(n["segment_id"], n["position"], n["loop_id"], n["code"], n["claim"],
                          tuple(ElementNote(**e) for e in n["elements"]))
              for n in s["notes"])) for s in data["sets"])
    return GroupAnswer(data["functional_id"], data["control_number"], data["version"],
                       data["included"], sets, tuple(data["codes"]))


# ---------------------------------------------------------------------------- 277CA

_Claims = Sequence[tuple[int, ReceivedClaim, Decision]]


def _status(claim: ReceivedClaim, status: str, number: str | None) -> ClaimStatus:
    patient = claim.patient or claim.subscriber
    return ClaimStatus(claim.pcn, patient, claim.subscriber.id, status, claim.charge,
                       claim.service_from, claim.service_to, number)


def _blocks(claims: _Claims, statuses: dict[int, ClaimStatus],
            source: tuple[str, str, str, str], trace: str, received: dt.datetime
            ) -> list[SourceBlock]:
    """2000A/B per (submitter, 837 reference), 2000C per billing provider, in order."""
    blocks: dict[tuple[str, str], dict[tuple[str, str], list[ClaimStatus]]] = {}
    submitters: dict[tuple[str, str], Name] = {}
    providers: dict[tuple[str, str], Name] = {}
    for cid, claim, _ in claims:
        key = (claim.submitter.id, claim.reference)
        provider = (claim.billing.id, claim.billing.last)
        submitters.setdefault(key, claim.submitter)
        providers.setdefault(provider, claim.billing)
        blocks.setdefault(key, {}).setdefault(provider, []).append(statuses[cid])
    return [SourceBlock(*source, trace, submitters[key], key[1], received.date(),
                        tuple(ProviderStatus(providers[p], tuple(cs))
                              for p, cs in block.items()))
            for key, block in blocks.items()]


def _clearinghouse_277(env: Envelope, claims: _Claims, rules: SandboxRules,
                       identity: Identity, received: dt.datetime) -> tuple[str, Answers]:
    accepted = rules.acknowledgments.clearinghouse_status
    statuses = {cid: _status(c, d.rejection if d.rejected_by == "clearinghouse" else accepted,
                             None) for cid, c, d in claims}
    source = ("AY", identity.name, "46", identity.id)
    doc = Ack277(f"{env.control_number:09d}", env.created,
                 tuple(_blocks(claims, statuses, source, f"{env.control_number:09d}",
                               received)))
    return write_277ca(env, doc), {cid: {"clearinghouse_status": s.status}
                                   for cid, s in statuses.items()}


def _payer_277(env: Envelope, claims: _Claims, rules: SandboxRules,
               received: dt.datetime) -> tuple[str, Answers]:
    statuses: dict[int, ClaimStatus] = {}
    answers: Answers = {}
    for cid, claim, decision in claims:
        if decision.rejected_by == "payer":
            statuses[cid] = _status(claim, decision.rejection, None)
            answers[cid] = {"payer_status": decision.rejection}
        else:
            number = payer_claim_number(cid)
            statuses[cid] = _status(claim, "A2:20", number)
            answers[cid] = {"payer_status": "A2:20", "payer_claim_number": number}
    payer = _payer(claims[0][1], rules)
    source = ("PR", payer.name, "PI", payer.payer_id)
    doc = Ack277(f"{env.control_number:09d}", env.created,
                 tuple(_blocks(claims, statuses, source, f"{env.control_number:09d}",
                               received)))
    return write_277ca(env, doc), answers


# ---------------------------------------------------------------------------- 835


def _payer(claim: ReceivedClaim, rules: SandboxRules) -> PayerParty:
    info = rules.payer(claim.payer_id)
    tax_id = info.tax_id or str(int(hashlib.sha256(claim.payer_id.encode()).hexdigest(), 16)
                                % 10**9).zfill(9)
    return PayerParty(info.name or claim.payer_name or "SANDBOX PAYER",
                      claim.payer_id or "SANDBOX", tax_id, info.address, info.city, info.state,
                      info.zip, info.contact_phone)


def _remittance(env: Envelope, response: LedgerResponse, claims: _Claims,
                rules: SandboxRules) -> tuple[str, Answers]:
    reversal = response.kind == "835-REVERSAL"
    by_payee: dict[tuple[str, str], list[ClaimPayment]] = {}
    payees: dict[tuple[str, str], ReceivedClaim] = {}
    answers: Answers = {}
    for cid, claim, decision in claims:
        key = (claim.billing.id, claim.billing_tax_id)
        payees.setdefault(key, claim)
        number = payer_claim_number(cid)
        if not reversal:
            by_payee.setdefault(key, []).append(_claim_payment(claim, decision, number))
            answers[cid] = {"era_status": decision.status, "paid": str(decision.paid),
                            "patient_responsibility": str(decision.patient_responsibility)}
            continue
        original = _claim_payment(claim, decision, number)
        by_payee.setdefault(key, []).append(_negated(original))
        settings = decision.reversal or {}
        if settings.get("correct"):
            again = corrected(decision)
            by_payee[key].append(_claim_payment(claim, again, number + "C"))
            answers[cid] = {"reversed": 1, "era_status": again.status, "paid": str(again.paid),
                            "patient_responsibility": str(again.patient_responsibility)}
        else:
            answers[cid] = {"reversed": 1, "era_status": "22", "paid": "0.00",
                            "patient_responsibility": "0.00"}
    payer = _payer(claims[0][1], rules)
    paid_on = env.created.date()
    payments = []
    for n, (key, claim_payments) in enumerate(by_payee.items(), start=1):
        trace = f"SBX{response.id:09d}{n:03d}"
        payee = payees[key]
        adjustments: list[tuple[str, str, str]] = []
        interest = rules.interest.amount_per_payment
        if interest and not reversal and any(Decimal(c.paid) > 0 for c in claim_payments):
            adjustments.append(("L6", trace, str(-interest)))
        payment = Payment(payer, payee.billing, payee.billing_tax_id, trace, paid_on,
                          tuple(claim_payments), tuple(adjustments))
        if payment.total < 0:  # a reversal bigger than the payment: carried forward
            payment = dataclasses.replace(payment, provider_adjustments=(
                *adjustments, ("FB", trace, str(payment.total))))
        payments.append(payment)
    return write_835(env, payments), answers


def _claim_payment(claim: ReceivedClaim, decision: Decision, number: str) -> ClaimPayment:
    outcomes = {o.number: o for o in decision.lines}
    lines = []
    for line in claim.lines:
        o = outcomes.get(line.number)
        if o is None:
            continue
        lines.append(LinePayment(line.qualifier, line.procedure, tuple(line.modifiers),
                                 o.charge, o.paid, line.units, line.date_from,
                                 line.date_to or line.date_from, tuple(o.adjustments),
                                 line.control_number, tuple(o.remarks)))
    filing = claim.filing_indicator if claim.filing_indicator in _CLP06 \
        else _CLP06_FROM_837.get(claim.filing_indicator, "ZZ")
    return ClaimPayment(claim.pcn, decision.status, claim.charge, str(decision.paid),
                        str(decision.patient_responsibility), filing, number,
                        claim.patient or claim.subscriber, claim.subscriber.id,
                        claim.subscriber if claim.patient is not None else None,
                        claim.service_from, claim.service_to,
                        tuple(decision.claim_adjustments), tuple(lines))


def _negated(c: ClaimPayment) -> ClaimPayment:
    """The reversal of a payment (CLP02 22): every amount with the opposite sign."""
    def neg(value: str) -> str:
        return str(-Decimal(value))

    def adj(items: Sequence[Adjustment]) -> tuple[Adjustment, ...]:
        return tuple(Adjustment(a.group, a.carc, neg(a.amount)) for a in items)

    return dataclasses.replace(
        c, status="22", charge=neg(c.charge), paid=neg(c.paid),
        patient_responsibility=neg(c.patient_responsibility), adjustments=adj(c.adjustments),
        lines=tuple(dataclasses.replace(ln, charge=neg(ln.charge), paid=neg(ln.paid),
                                        adjustments=adj(ln.adjustments)) for ln in c.lines))
