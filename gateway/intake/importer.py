"""The intake use case: a file in, one verdict per claim out, the store updated.

Claims are parsed and scrubbed one by one and written in chunks (one transaction
each). A chunk is flushed early when a claim key repeats inside it, so a file that
holds the same claim twice is applied in file order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from gateway.clock import Clock
from gateway.domain.findings import Finding
from gateway.domain.status import ClaimStatus
from gateway.errors import IntakeError
from gateway.intake.parse import Parsed, parse_and_scrub, to_incoming
from gateway.intake.records import InputFormat, RawRecord, detect_format, read_records
from gateway.logging import get_logger
from gateway.store.claims import ClaimStore, ImportResult, IncomingClaim, Outcome

log = get_logger(__name__)

LOCKED_FINDING = Finding(
    "INT-001", "",
    "claim was already sent and its content changed: submit a replacement claim "
    "(frequency_code 7 with the payer's claim control number) instead",
)
UNSTORED_FINDING = Finding(
    "INT-002", "patient_control_number",
    "claim has no usable patient_control_number, so it cannot be stored or looked up",
)


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # new or replaced, ready to send
    REFUSED = "refused"  # scrubbing or parsing refused it (stored as invalid)
    UNCHANGED = "unchanged"  # imported before with the same content
    LOCKED = "locked"  # already sent and changed: refused


@dataclass(frozen=True, slots=True)
class ClaimReport:
    ref: str
    patient_control_number: str | None
    verdict: Verdict
    outcome: Outcome | None
    status: ClaimStatus | None
    claim_id: int | None
    findings: tuple[Finding, ...]


@dataclass(slots=True)
class ImportSummary:
    file: str
    counts: dict[Verdict, int] = field(default_factory=lambda: dict.fromkeys(Verdict, 0))
    replaced: int = 0

    def add(self, report: ClaimReport) -> None:
        self.counts[report.verdict] += 1
        if report.outcome is Outcome.REPLACED:
            self.replaced += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


ProgressFn = Callable[[int], None]


class ClaimImporter:
    def __init__(self, store: ClaimStore, clock: Clock, default_submitter: str,
                 chunk_size: int = 1000) -> None:
        self.store = store
        self.clock = clock
        self.default_submitter = default_submitter
        self.chunk_size = chunk_size

    def import_file(self, path: Path, fmt: InputFormat | None = None,
                    progress: ProgressFn | None = None) -> Iterator[ClaimReport]:
        """Yield one report per claim, in file order, as each chunk is committed."""
        fmt = fmt or detect_format(path)
        log.info("intake.started", file=path.name, format=fmt.value)
        counts = dict.fromkeys(Verdict, 0)
        try:
            for report in self._import_records(read_records(path, fmt), path.name, progress):
                counts[report.verdict] += 1
                yield report
        except UnicodeDecodeError as exc:
            raise IntakeError(f"{path.name}: not UTF-8 text (byte offset {exc.start})") from exc
        except OSError as exc:
            raise IntakeError(f"{path.name}: cannot read ({exc.strerror})") from exc
        log.info("intake.finished", file=path.name, **{v.value: n for v, n in counts.items()})

    def _import_records(self, records: Iterator[RawRecord], file_name: str,
                        progress: ProgressFn | None) -> Iterator[ClaimReport]:
        today = self.clock.now().date()
        pending: list[tuple[RawRecord, IncomingClaim]] = []
        keys: set[str] = set()
        for record in records:
            findings = list(record.findings)
            incoming = None
            if record.doc is not None:
                parsed = parse_and_scrub(record.doc, today)
                findings += parsed.findings
                incoming = to_incoming(record.doc, Parsed(parsed.claim, findings),
                                       self.default_submitter, source_file=file_name,
                                       source_ref=record.ref)
            if incoming is None:
                # Not storable: report it straight away, in order after what is pending.
                yield from self._flush(pending, progress)
                pending, keys = [], set()
                if progress:
                    progress(record.weight)
                yield ClaimReport(record.ref, None, Verdict.REFUSED, None, None, None,
                                  (*findings, UNSTORED_FINDING))
                continue
            if incoming.claim_key in keys or len(pending) >= self.chunk_size:
                yield from self._flush(pending, progress)
                pending, keys = [], set()
            pending.append((record, incoming))
            keys.add(incoming.claim_key)
        yield from self._flush(pending, progress)

    def _flush(self, pending: list[tuple[RawRecord, IncomingClaim]],
               progress: ProgressFn | None) -> Iterator[ClaimReport]:
        if not pending:
            return
        results = self.store.import_claims([inc for _, inc in pending], self.clock.now())
        for (record, incoming), result in zip(pending, results, strict=True):
            report = _report(record, incoming, result)
            log.debug("claim.imported", claim_id=result.claim_id, verdict=report.verdict.value,
                     outcome=result.outcome.value,
                     rules=sorted({f.rule for f in report.findings}) or None)
            yield report
        if progress:
            progress(sum(record.weight for record, _ in pending))


def _report(record: RawRecord, incoming: IncomingClaim, result: ImportResult) -> ClaimReport:
    findings: tuple[Finding, ...]
    if result.outcome is Outcome.LOCKED:
        verdict, findings = Verdict.LOCKED, (LOCKED_FINDING,)
    elif result.outcome is Outcome.UNCHANGED:
        verdict, findings = Verdict.UNCHANGED, tuple(incoming.findings)
    else:
        verdict = Verdict.ACCEPTED if incoming.accepted else Verdict.REFUSED
        findings = tuple(incoming.findings)
    return ClaimReport(record.ref, incoming.patient_control_number, verdict, result.outcome,
                       result.status, result.claim_id, findings)
