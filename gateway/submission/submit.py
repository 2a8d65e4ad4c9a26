"""The submission use case: ready claims → one validated 837P interchange in the outbox.

A run for one partner: re-queue what a dead run left half-built, hold claims nobody
carries, reserve this partner's claims (control numbers allocated, claims BATCHED,
committed), render, validate with pyx12, then either write the file and record it
PENDING for upload, or charge each pyx12 finding to the claims it falls in and
re-queue the others. Nothing that fails validation can reach the outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from gateway.clock import Clock
from gateway.domain.claim import Claim
from gateway.domain.findings import Finding
from gateway.errors import X12Error
from gateway.faults import fault_point
from gateway.logging import get_logger
from gateway.partners import PartnerDirectory, TradingPartner
from gateway.store.submission import (
    Candidate,
    EnvelopeIds,
    OutboxFile,
    Reservation,
    SetRecord,
    SubmissionStore,
)
from gateway.submission.interchange import BuiltInterchange, build_interchange
from gateway.transmission.rawstore import write_private
from gateway.x12.codes import describe
from gateway.x12.validate import ValidationResult, validate
from x12_maps.p837_writer import ClaimToSend, Party

log = get_logger(__name__)


@dataclass(slots=True)
class SubmitResult:
    partner: str
    held: int = 0
    requeued_stale: int = 0
    control_number: int | None = None
    claims_sent_to_outbox: int = 0
    file_path: Path | None = None
    file_id: int | None = None
    validation_failed: dict[int, list[Finding]] = field(default_factory=dict)
    requeued: int = 0


class Submitter:
    def __init__(self, store: SubmissionStore, partners: PartnerDirectory, clock: Clock, *,
                 outbox_dir: Path, default_submitter: Party, max_claims: int,
                 stale_after: dt.timedelta) -> None:
        self.store = store
        self.partners = partners
        self.clock = clock
        self.outbox_dir = outbox_dir
        self.default_submitter = default_submitter
        self.max_claims = max_claims
        self.stale_after = stale_after

    def submit(self, partner_name: str) -> SubmitResult:
        partner = self.partners.get(partner_name)
        result = SubmitResult(partner.name)
        now = self.clock.now()
        stale = self.store.abandon_stale(partner.name, now - self.stale_after, now)
        result.requeued_stale = len(stale)

        candidates = self.store.candidates()
        unroutable = [c for c in candidates if self._route(c) is None]
        result.held = len(self.store.hold(
            unroutable, now, "no trading partner carries this payer id and no default "
                             "partner is configured"))
        mine = [c for c in candidates if self._route(c) is partner][:self.max_claims]
        if not mine:
            return result
        reservation = self.store.reserve(partner.name, _envelope_ids(partner), mine, now)
        if reservation is None:
            return result
        fault_point("submit.after_reserve")
        result.control_number = reservation.control_number
        self._build(partner, reservation, result)
        return result

    def _route(self, c: Candidate) -> TradingPartner | None:
        return self.partners.route(c.payer_id) if c.payer_id else None

    def _build(self, partner: TradingPartner, reservation: Reservation,
               result: SubmitResult) -> None:
        now = self.clock.now()
        claims: list[ClaimToSend] = []
        unreadable: dict[int, list[Finding]] = {}
        for claim_id, _version, document in reservation.claims:
            try:
                claims.append(ClaimToSend(claim_id, Claim.model_validate(document)))
            except ValidationError:
                unreadable[claim_id] = [Finding(
                    "INT-003", "", "stored claim no longer matches the claim model; "
                                   "import it again")]
        if unreadable:
            self._reject(reservation, unreadable, result)
            return
        try:
            built = build_interchange(self._by_submitter(claims), partner=partner,
                                      control_number=reservation.control_number,
                                      group_control_number=reservation.group_control_number,
                                      created=now)
        except X12Error:
            # A value holds one of this partner's separators (scrubbing knows only the
            # usual ones): find the claims that cannot be written, re-queue the rest.
            self._reject(reservation, self._unwritable(partner, claims, now), result)
            return
        verdict = validate(built.text)
        if not verdict.clean:
            self._reject(reservation, charge_findings(verdict, built), result)
            return
        outbox = self._write_outbox(partner, built, now)
        fault_point("submit.after_outbox_write")
        result.file_id = self.store.complete(
            reservation, partner.name, outbox,
            [SetRecord(s.control_number, s.claim_ids, s.clm_lines, s.owner_runs)
             for s in built.sets], now)
        result.file_path = Path(outbox.stored_path)
        result.claims_sent_to_outbox = len(built.claim_ids)
        log.info("batch.validated", partner=partner.name,
                 interchange=f"{reservation.control_number:09d}",
                 claims=len(built.claim_ids), sets=len(built.sets), file_id=result.file_id)

    def _unwritable(self, partner: TradingPartner, claims: Sequence[ClaimToSend],
                    now: dt.datetime) -> dict[int, list[Finding]]:
        bad: dict[int, list[Finding]] = {}
        for item in claims:
            try:
                build_interchange([(self._submitter_of(item.claim), [item])], partner=partner,
                                  control_number=1, group_control_number=1, created=now)
            except X12Error:
                bad[item.claim_id] = [Finding(
                    "X12-SEP", "", "a value contains a separator character of this trading "
                                   "partner's X12 configuration; correct and re-import")]
        return bad

    def _by_submitter(self, claims: Sequence[ClaimToSend]
                      ) -> list[tuple[Party, list[ClaimToSend]]]:
        groups: dict[Party, list[ClaimToSend]] = {}
        for item in claims:
            groups.setdefault(self._submitter_of(item.claim), []).append(item)
        return list(groups.items())

    def _submitter_of(self, claim: Claim) -> Party:
        s = claim.submitter
        if s is None:
            return self.default_submitter
        contact = s.contact
        if contact is None or not (contact.phone or contact.email):
            # 1000A PER needs a number: fall back to the configured desk.
            return Party(s.name, s.id, self.default_submitter.contact_name,
                         self.default_submitter.contact_phone)
        return Party(s.name, s.id, contact.name, contact.phone, contact.email)

    def _reject(self, reservation: Reservation, failed: dict[int, list[Finding]],
                result: SubmitResult) -> None:
        self.store.reject(reservation, failed, self.clock.now())
        result.validation_failed = failed
        result.requeued = len(reservation.claims) - len(failed)
        log.error("batch.validation_failed", interchange=f"{reservation.control_number:09d}",
                  claims_failed=len(failed), claims_requeued=result.requeued,
                  rules=sorted({f.rule for fs in failed.values() for f in fs}))

    def _write_outbox(self, partner: TradingPartner, built: BuiltInterchange,
                      now: dt.datetime) -> OutboxFile:
        name = partner.file_name(built.control_number, now.strftime("%Y%m%dT%H%M%S"))
        data = built.text.encode("ascii")
        target = self.outbox_dir / partner.name / name
        # Synced under a temporary name, then renamed: the outbox never holds a partial
        # interchange under its real name.
        write_private(target, data)
        return OutboxFile(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                          stored_path=str(target))


def _envelope_ids(partner: TradingPartner) -> EnvelopeIds:
    env = partner.envelope
    return EnvelopeIds(env.sender_qualifier, env.sender_id, env.receiver_qualifier,
                       env.receiver_id, env.usage_indicator)


def charge_findings(verdict: ValidationResult, built: BuiltInterchange
                    ) -> dict[int, list[Finding]]:
    """Each pyx12 finding goes to the claims owning its segment; envelope findings to
    every claim of the set (or interchange) they concern."""
    charged: dict[int, list[Finding]] = {}
    every = built.claim_ids
    by_set = {s.control_number: s.claim_ids for s in built.sets}
    for f in verdict.findings:
        owners: tuple[int, ...] = ()
        if f.line is not None and 0 < f.line <= len(built.owners):
            owners = built.owners[f.line - 1]
        if not owners:
            owners = by_set.get(f.control_number or "", every) if f.level == "set" else every
        where = f"{f.segment_id or f.level}"
        if f.element:
            where = f.element
        if f.set_position is not None:
            where += f" (segment {f.set_position} of its transaction set)"
        finding = Finding(f"X12-{f.code}", where, f"pyx12: {describe(f.level, f.code)}")
        for claim_id in owners:
            charged.setdefault(claim_id, []).append(finding)
    if not verdict.valid and not charged:
        # pyx12 said no without a finding (it leaves out some envelope errors).
        for claim_id in every:
            charged[claim_id] = [Finding("X12-ENV", "interchange",
                                         "pyx12 rejected the interchange envelope")]
    return charged
