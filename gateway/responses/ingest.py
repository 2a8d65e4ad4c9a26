"""The response use case: one received file in, claims moved along, exactly once.

1. The raw bytes are already kept (``files`` row STORED, content under its sha256);
   the same bytes received twice are recorded as DUPLICATE and never applied.
2. The whole file is decoded, split into interchanges, its envelopes checked, every
   document parsed — and, where pyx12 has a map, validated (findings kept as data:
   a response with guide-level findings is still applied, as payers send them).
3. Anything that cannot be understood (bad bytes, no envelope, wrong counts, unknown
   or unsupported type, a parse error) quarantines the file with its reason; no claim
   is touched and every other file is processed.
4. Otherwise all its documents are applied in one database transaction.

An 835 is read in two passes over the decoded text, so that memory does not grow with
its claims (only the text is held): pass 1 (step 2) tokenizes, checks the envelopes and
parses and balances every set with running totals, keeping a small summary per set
(:class:`~x12_maps.era835.Checked835`); pass 2 (step 4) tokenizes again and hands each
set's claims, read one by one, to the applier. TA1, 999 and 277CA interchanges are
small and read whole in pass 1.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.clock import Clock
from gateway.errors import GatewayError, X12Error
from gateway.logging import get_logger
from gateway.responses.kinds import Kind, registry
from gateway.store.files import FileStore
from gateway.store.partners_store import PartnerStore
from gateway.store.resp_835 import Streamed835
from gateway.store.responses import Applied, ApplyFn, DocumentToApply, ResponseStore
from gateway.transmission.rawstore import store_inbound
from gateway.x12.detect import Interchange, scan_interchanges
from gateway.x12.tokenizer import RawSegment, decode, segments
from gateway.x12.validate import validate
from x12_maps.era835 import Checked835, Checker835, RepeatFilter, stream_835_claims

log = get_logger(__name__)

# What arrives but is not a response we read, and why.
_NOT_RESPONSES = {
    "837": "an 837 claim file, not a response",
    "997": "a 997 (4010) acknowledgment; only 5010 999s are read",
    "277": "a 277 claim status response (276/277), not a 277CA acknowledgment",
    "empty": "an interchange without transaction sets or TA1",
}


@dataclass(slots=True)
class IngestResult:
    file_id: int
    file_name: str
    outcome: str  # applied / duplicate / quarantined
    reason: str | None = None
    kinds: list[str] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(a.matched for a in self.applied)

    @property
    def unmatched(self) -> int:
        return sum(a.unmatched for a in self.applied)


class ResponseIngestor:
    def __init__(self, files: FileStore, responses: ResponseStore, partners: PartnerStore,
                 clock: Clock, data_dir: Path, *, validate_with_pyx12: bool = True) -> None:
        self.files = files
        self.responses = responses
        self.partners = partners
        self.clock = clock
        self.data_dir = data_dir
        self.validate_with_pyx12 = validate_with_pyx12
        self._kinds: dict[str, Kind] | None = None

    @property
    def kinds(self) -> dict[str, Kind]:
        if self._kinds is None:
            self._kinds = registry()
        return self._kinds

    def import_file(self, path: Path, partner: str) -> IngestResult:
        """A response file loaded by hand: kept like a downloaded one, then ingested."""
        data = path.read_bytes()
        stored = store_inbound(self.data_dir, data)
        now = self.clock.now()
        partner_id = self.partners.ensure(partner, now)
        record = self.files.record_inbound(partner_id, path.name, path.name, stored.sha256,
                                           stored.size, stored.stored_path, now)
        if record.duplicate:
            log.info("response.duplicate", file_id=record.file_id, file=path.name)
            return IngestResult(record.file_id, path.name, "duplicate",
                                "the same file (sha256) was received before; ignored")
        return self.ingest(record.file_id, path.name, data)

    def process_stored(self, partner_id: int | None = None) -> list[IngestResult]:
        """Every STORED inbound file, oldest first; one bad file never stops the rest."""
        results = []
        for row in self.files.inbound_to_process(partner_id, limit=10_000):
            data = Path(row.stored_path or "").read_bytes()
            results.append(self.ingest(row.id, row.name, data))
        return results

    def retry(self, file_id: int) -> IngestResult:
        """Run a quarantined file again (after a fix in the gateway or its config)."""
        row = self.responses.file(file_id)
        if row is None or row["status"] != "quarantined":
            raise GatewayError(f"file {file_id} is not quarantined")
        data = Path(row["stored_path"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            raise GatewayError(f"file {file_id}: stored copy does not match its sha256")
        return self.ingest(file_id, row["name"], data)

    def ingest(self, file_id: int, name: str, data: bytes) -> IngestResult:
        now = self.clock.now()
        try:
            text, planned, kinds = self._understand(data)
        except X12Error as exc:
            reason = str(exc)
            self.responses.quarantine(file_id, None, reason, now)
            log.warning("response.quarantined", file_id=file_id, file=name, reason=reason)
            return IngestResult(file_id, name, "quarantined", reason)
        applied = self.responses.apply_file(file_id, name, self._documents(text, planned),
                                            now)
        result = IngestResult(file_id, name, "applied", kinds=kinds, applied=applied)
        log.info("response.applied", file_id=file_id, file=name, kinds=kinds,
                 matched=result.matched, unmatched=result.unmatched)
        return result

    def _understand(self, data: bytes) -> tuple[str, list[_Planned], list[str]]:
        """Pass 1: parse (and validate) everything before anything is applied."""
        text = decode(data)
        checkers: dict[int, Checker835] = {}
        repeats: list[RepeatFilter] = []

        def stream(ic: Interchange, kind: str) -> Callable[[RawSegment], None] | None:
            if kind != "835" or "835" not in self.kinds:
                return None
            if not repeats:
                repeats.append(RepeatFilter())
            checker = Checker835(ic.delimiters.component, ic.control_number, repeats[0])
            checkers[id(ic)] = checker
            return checker.add

        interchanges = scan_interchanges(text, stream)
        findings = self._pyx12_findings(text, interchanges)
        planned: list[_Planned] = []
        kinds: list[str] = []
        for ic in interchanges:
            wanted = ["TA1"] if ic.has_ta1 else []
            if ic.kind != "TA1":
                wanted.append(ic.kind)
            for kind_name in wanted:
                kind = self.kinds.get(kind_name)
                if kind is None:
                    why = _NOT_RESPONSES.get(kind_name, f"an unsupported type ({kind_name})")
                    raise X12Error(f"interchange {ic.control_number} is {why}")
                docs: list[Any]
                if ic.streamed and kind_name == ic.kind:
                    if ic.read_error is not None:
                        raise ic.read_error
                    docs = list(checkers[id(ic)].sets)
                else:
                    docs = list(kind.read(ic))
                for doc in docs:
                    number = (doc.remittance.control_number if isinstance(doc, Checked835)
                              else kind.control_number(doc))
                    planned.append(_Planned(kind.name, len(planned), number, doc,
                                            findings if kind.validate else [], kind.apply,
                                            ic))
                kinds.append(kind.name)
        if not planned:
            raise X12Error("the file holds no response document")
        return text, planned, kinds

    def _documents(self, text: str, planned: list[_Planned]) -> Iterator[DocumentToApply]:
        """Pass 2: the documents in order, each 835 set's claims read again from
        ``text`` as the applier consumes them (one tokenizer walks the file once)."""
        cursor: _Cursor | None = None
        for p in planned:
            parsed = p.parsed
            if isinstance(parsed, Checked835):
                cursor = cursor or _Cursor(text)
                parsed = Streamed835(parsed, stream_835_claims(
                    cursor.span(parsed.first, parsed.last),
                    p.interchange.delimiters.component, p.interchange.control_number))
            yield DocumentToApply(p.kind, p.index, p.control_number, parsed, p.findings,
                                  p.apply)

    def _pyx12_findings(self, text: str, interchanges: list[Interchange]
                        ) -> list[dict[str, object]]:
        if not self.validate_with_pyx12 or not any(
                self.kinds.get(ic.kind) and self.kinds[ic.kind].validate for ic in interchanges):
            return []
        try:
            verdict = validate(text)
        except X12Error:
            return [{"level": "document", "code": "PYX12-FAILED"}]
        found: list[dict[str, object]] = [
            {k: v for k, v in dataclasses.asdict(f).items() if v is not None}
            for f in verdict.findings]
        if not verdict.valid and not found:
            found.append({"level": "interchange", "code": "INVALID"})
        return found


@dataclass(frozen=True, slots=True)
class _Planned:
    """A document found by pass 1; an 835 set is its Checked835 summary."""

    kind: str
    index: int
    control_number: str | None
    parsed: Any
    findings: list[dict[str, Any]]
    apply: ApplyFn
    interchange: Interchange


class _Cursor:
    """One walk over the file's segments, handed out span by span in file order; a span
    not read to its end is skipped by the next one."""

    def __init__(self, text: str) -> None:
        self._segments = segments(text)

    def span(self, first: int, last: int) -> Iterator[RawSegment]:
        """Segments ``first``..``last`` (positions), once."""
        for _, seg in self._segments:
            if seg.position < first:
                continue
            yield seg
            if seg.position >= last:
                return
