"""`gateway run`: the service loop.

Each cycle runs every step that is due, for every trading partner: intake (the drop
folder), submit, upload, poll and ingest. Every step is a state transition committed
before and after its side effect, so the loop can die anywhere and the next cycle —
in this process or after a restart — continues without losing or repeating anything.
A failing step is logged with its context and tried again next cycle; other partners
and steps go on. SIGTERM/SIGINT finish the current step, then the loop exits 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from gateway.errors import GatewayError, IntakeError
from gateway.logging import get_logger
from gateway.partners import TradingPartner
from gateway.service.app import App
from gateway.store.files import FileStore
from gateway.store.service_store import ServiceStore
from gateway.store.submission import SubmissionStore
from gateway.transmission.poll import poll_inbound
from gateway.transmission.upload import upload_pending
from gateway.transport.base import Transport
from gateway.transport.factory import open_transport

log = get_logger(__name__)

STEPS = ("intake", "submit", "upload", "poll", "ingest")
INTAKE_SUFFIXES = {".json", ".jsonl", ".ndjson", ".csv", ".837", ".x12", ".edi"}


@dataclass(slots=True)
class CycleReport:
    ran: list[tuple[str, str]] = field(default_factory=list)  # (partner, step)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (partner, step, why)
    skipped_locked: list[tuple[str, str]] = field(default_factory=list)


class Service:
    def __init__(self, app: App, *, instance_id: str | None = None) -> None:
        self.app = app
        self.settings = app.settings
        self.instance_id = instance_id or f"{socket.gethostname()}-{os.getpid()}-" \
                                          f"{uuid.uuid4().hex[:6]}"
        self.store = ServiceStore(app.engine)
        self.files = FileStore(app.engine)
        self.stop = threading.Event()
        self._last_run: dict[tuple[str, str], float] = {}
        self._transports: dict[str, Transport] = {}
        self._last_beat = 0.0

    # --- the loop ---------------------------------------------------------------------

    def run(self, *, once: bool = False, max_cycles: int | None = None) -> int:
        """Run until stopped (or one cycle with ``once``); returns the exit code."""
        self._install_signal_handlers()
        self.store.started(self.instance_id, socket.gethostname(), os.getpid(),
                           self.app.clock.now())
        log.info("service.started", instance=self.instance_id,
                 partners=[p.name for p in self.app.partners])
        cycles = 0
        try:
            while not self.stop.is_set():
                self.cycle(force=once)
                cycles += 1
                if once or (max_cycles is not None and cycles >= max_cycles):
                    break
                self.stop.wait(self.settings.service.cycle_seconds)
        finally:
            self.store.stopped(self.instance_id, self.app.clock.now())
            log.info("service.stopped", instance=self.instance_id, cycles=cycles)
        return 0

    def cycle(self, *, force: bool = False) -> CycleReport:
        """One pass over every due step of every partner (all of them with ``force``)."""
        report = CycleReport()
        self._heartbeat()
        if self._due("*", "intake", self.settings.service.intake_interval_seconds, force):
            self._run(report, "*", "intake", self._intake)
        for partner in self.app.partners:
            try:
                for step, interval, fn in self._partner_steps(partner):
                    if self.stop.is_set():
                        return report
                    if self._due(partner.name, step, interval, force):
                        self._run(report, partner.name, step, fn)
            finally:
                self._close_transport(partner.name)
        return report

    def _transport(self, partner: TradingPartner) -> Transport:
        """One connection per partner per cycle, shared by upload and poll."""
        if partner.name not in self._transports:
            self._transports[partner.name] = open_transport(partner)
        return self._transports[partner.name]

    def _close_transport(self, name: str) -> None:
        transport = self._transports.pop(name, None)
        if transport is not None:
            try:
                transport.close()
            except Exception:  # closing a broken connection must not hide the cycle
                log.warning("transport.close_failed", partner=name)

    def _partner_steps(self, partner: TradingPartner
                       ) -> list[tuple[str, float, Callable[[], object]]]:
        s = self.settings.service
        return [
            ("submit", s.submit_interval_seconds, lambda: self._submit(partner)),
            ("upload", s.upload_interval_seconds, lambda: self._upload(partner)),
            ("poll", partner.poll_interval_seconds, lambda: self._poll(partner)),
            ("ingest", s.ingest_interval_seconds, lambda: self._ingest(partner)),
        ]

    def _due(self, partner: str, step: str, interval: float, force: bool) -> bool:
        last = self._last_run.get((partner, step))
        return force or last is None or time.monotonic() - last >= interval

    def _run(self, report: CycleReport, partner: str, step: str,
             fn: Callable[[], object]) -> None:
        self._last_run[(partner, step)] = time.monotonic()
        bound = log.bind(instance=self.instance_id, partner=partner, step=step)
        with self.store.step_lock(partner, step) as granted:
            if not granted:
                report.skipped_locked.append((partner, step))
                return
            started = time.monotonic()
            try:
                outcome = fn()
            except Exception as exc:  # one step's failure must not stop the others
                why = f"{type(exc).__name__}: {exc}" if isinstance(exc, GatewayError) \
                    else type(exc).__name__
                bound.error("step.failed", error=why, exc_info=not isinstance(
                    exc, GatewayError))
                self.store.step_done(partner, step, self.app.clock.now(), error=why)
                report.failed.append((partner, step, why))
                return
            self.store.step_done(partner, step, self.app.clock.now())
            report.ran.append((partner, step))
            bound.info("step.done", seconds=round(time.monotonic() - started, 3),
                       **_describe(outcome))

    def _heartbeat(self) -> None:
        if time.monotonic() - self._last_beat >= self.settings.service.heartbeat_seconds:
            self.store.beat(self.instance_id, self.app.clock.now())
            self._last_beat = time.monotonic()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("service.stopping", signal=signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    # --- the steps --------------------------------------------------------------------

    def _intake(self) -> dict[str, int]:
        """Import every claim file in the drop folder, then move it to processed/failed.

        A file is first renamed into a private working folder, so that two instances
        never import the same file and a crash leaves it where the next run finds it.
        """
        drop = self.settings.intake.drop_dir or self.settings.data_dir / "drop"
        working = drop / ".working"
        for folder in (drop, working, drop / "processed", drop / "failed"):
            folder.mkdir(parents=True, exist_ok=True)
        counts = {"files": 0, "failed": 0}
        leftovers = sorted(working.iterdir())  # a previous run stopped mid-import
        fresh = sorted(p for p in drop.iterdir()
                       if p.is_file() and p.suffix.lower() in INTAKE_SUFFIXES)
        for path in [*leftovers, *fresh]:
            if self.stop.is_set():
                break
            mine = working / path.name
            if path != mine:
                try:
                    path.rename(mine)
                except FileNotFoundError:
                    continue  # another instance took it
            try:
                for _ in self.app.importer().import_file(mine):
                    pass
            except IntakeError as exc:
                counts["failed"] += 1
                shutil.move(mine, _unique(drop / "failed" / path.name))
                (drop / "failed" / f"{path.name}.reason.txt").write_text(str(exc) + "\n")
                log.error("intake.file_failed", file=path.name, reason=str(exc))
                continue
            shutil.move(mine, _unique(drop / "processed" / path.name))
            counts["files"] += 1
        return counts

    def _submit(self, partner: TradingPartner) -> dict[str, object]:
        result = self.app.submitter().submit(partner.name)
        return {"claims": result.claims_sent_to_outbox, "held": result.held,
                "interchange": result.control_number,
                "validation_failed": len(result.validation_failed)}

    def _upload(self, partner: TradingPartner) -> dict[str, int]:
        submission = SubmissionStore(self.app.engine)
        clock = self.app.clock

        def sent(file_id: int) -> None:
            submission.mark_file_sent(file_id, clock.now())

        # Uploaded files whose claims a stopped run left batched are finished first.
        finished = submission.reconcile_uploaded(clock.now())
        report = upload_pending(partner, self._transport(partner), self.files, clock, sent)
        return {"uploaded": len(report.uploaded), "recovered": len(report.recovered),
                "skipped": len(report.skipped), "reconciled": len(finished)}

    def _poll(self, partner: TradingPartner) -> dict[str, int]:
        new = poll_inbound(partner, self._transport(partner), self.files,
                           self.settings.data_dir, self.app.clock)
        return {"downloaded": len(new)}

    def _ingest(self, partner: TradingPartner) -> dict[str, int]:
        partner_id = self.files.ensure_partner(partner.name, self.app.clock.now())
        results = self.app.ingestor().process_stored(partner_id)
        return {"files": len(results),
                "quarantined": sum(r.outcome == "quarantined" for r in results),
                "claims_matched": sum(r.matched for r in results)}


def _describe(outcome: object) -> dict[str, object]:
    return dict(outcome) if isinstance(outcome, dict) else {}


def _unique(path: Path) -> Path:
    """``path``, or ``path`` with a counter when the name is taken."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    return candidate
