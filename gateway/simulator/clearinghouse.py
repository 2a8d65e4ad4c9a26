"""The sandbox clearinghouse: a folder peer that answers 837P files like a clearinghouse
and its payers would — TA1, 999, a clearinghouse 277CA, a payer 277CA, then 835s.

``root/<outbound>`` is where the gateway puts files (the sandbox's input) and
``root/<inbound>`` where it reads answers (the sandbox's output), with the folder names
of the trading partner. The sandbox keeps its ledger and the files it took under
``root/.sandbox/`` (a hidden folder: the gateway never lists it).

One sandbox process serves a root at a time (a lock file under ``.sandbox/``); every
step is restartable. A file is recorded (by sha256) before it is answered and
moved away after; a file seen before is not processed again. An answer is staged in
the ledger, written under a temp name, marked ``placing``, renamed into place, then
marked ``written`` — so a crash anywhere leaves either no file or exactly one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gateway.clock import Clock
from gateway.errors import ConfigError, X12Error
from gateway.logging import get_logger
from gateway.partners import LocalTransport, TradingPartner
from gateway.simulator.inbound import Identity, plan_file
from gateway.simulator.ledger import Ledger, LedgerResponse
from gateway.simulator.outbound import render
from gateway.simulator.rules import SandboxRules
from gateway.transport.base import is_listable, temp_name

log = get_logger(__name__)

STATE_DIR = ".sandbox"


@dataclass(slots=True)
class StepReport:
    received: list[str] = field(default_factory=list)  # files picked up and recorded
    redelivered: list[str] = field(default_factory=list)  # same bytes as a file before
    written: list[str] = field(default_factory=list)  # answer files put in place
    waiting: int = 0  # answers scheduled, not yet due
    next_due: dt.datetime | None = None

    def add(self, other: StepReport) -> None:
        self.received += other.received
        self.redelivered += other.redelivered
        self.written += other.written
        self.waiting, self.next_due = other.waiting, other.next_due


class Sandbox:
    def __init__(self, root: Path, rules: SandboxRules, clock: Clock, *,
                 outbound: str = "to-clearinghouse", inbound: str = "from-clearinghouse",
                 identity: Identity | None = None, ledger_path: Path | None = None) -> None:
        self.root = root
        self.rules = rules
        self.clock = clock
        self.identity = identity or Identity()
        self.incoming = root / outbound
        self.answers = root / inbound
        self.taken = root / STATE_DIR / "received"
        for folder in (self.incoming, self.answers, self.taken):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock: int | None = _lock(root / STATE_DIR / "lock")
        try:
            self.ledger = Ledger(ledger_path or root / STATE_DIR / "ledger.sqlite3")
        except BaseException:
            self.close()
            raise

    @classmethod
    def for_partner(cls, partner: TradingPartner, rules: SandboxRules, clock: Clock, *,
                    root: Path | None = None) -> Sandbox:
        """The sandbox on the other side of ``partner``: its folders and ISA identities."""
        if root is None:
            if not isinstance(partner.transport, LocalTransport):
                raise ConfigError(f"partner {partner.name} does not use local folders: "
                                  "give the sandbox a root folder")
            root = partner.transport.root
        env = partner.envelope
        identity = Identity(env.receiver_qualifier, env.receiver_id, partner.receiver.name,
                            env.sender_id)
        return cls(root, rules, clock, outbound=partner.folders.outbound,
                   inbound=partner.folders.inbound, identity=identity)

    def close(self) -> None:
        """Close the ledger and release the root (idempotent)."""
        if self._lock is None:
            return
        if hasattr(self, "ledger"):
            self.ledger.close()
        os.close(self._lock)
        self._lock = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the loop

    def step(self) -> StepReport:
        """Take new files, then write every answer that is due."""
        return self._cycle(everything=False)

    def drain(self) -> StepReport:
        """Take new files, then write every answer now, whatever the delays say."""
        return self._cycle(everything=True)

    def run(self, until: dt.datetime | Callable[[], bool] | None = None,
            poll_interval: float = 1.0, stop: threading.Event | None = None) -> StepReport:
        """Step every ``poll_interval`` seconds until ``until`` (a clock time or a
        predicate) or until ``stop`` is set."""
        stop = stop or threading.Event()
        total = StepReport()
        while not stop.is_set():
            total.add(self.step())
            if until is not None and (until() if callable(until)
                                      else self.clock.now() >= until):
                break
            stop.wait(poll_interval)
        return total

    def _cycle(self, *, everything: bool) -> StepReport:
        report = StepReport()
        self._take_files(report)
        self.ledger.stage(self.clock.now(), everything=everything)
        for response in self.ledger.unwritten():
            if self._place(response):
                report.written.append(response.file_name)
        report.waiting, report.next_due = self.ledger.waiting(), self.ledger.next_due()
        return report

    # ---------------------------------------------------------------- input

    def _take_files(self, report: StepReport) -> None:
        with os.scandir(self.incoming) as entries:
            names = sorted(e.name for e in entries
                           if e.is_file(follow_symlinks=False) and is_listable(e.name))
        for name in names:
            path = self.incoming / name
            try:
                data = path.read_bytes()
            except OSError as exc:
                log.warning("sandbox.file_unreadable", file=name, error=type(exc).__name__)
                continue
            sha256 = hashlib.sha256(data).hexdigest()
            if self.ledger.seen(sha256):
                self.ledger.note_redelivery(sha256)
                report.redelivered.append(name)
                log.info("sandbox.redelivered", file=name, sha256=sha256)
            else:
                now = self.clock.now()
                try:
                    outcome, plans = plan_file(data, sha256[:16], now, self.rules,
                                               self.identity)
                except Exception as exc:  # a file the sandbox cannot take must not wedge it
                    log.error("sandbox.file_unprocessable", file=name,
                              error=type(exc).__name__)
                    outcome, plans = "unprocessable", []
                statuses = self.ledger.record(name, sha256, len(data), now, outcome, plans)
                if statuses is None:  # recorded first by another process: not ours
                    continue
                report.received.append(name)
                log.info("sandbox.received", file=name, sha256=sha256, outcome=outcome,
                         interchanges=statuses,
                         claims=sum(len(p.claims) for p in plans))
            self._set_aside(path)

    def _set_aside(self, path: Path) -> None:
        target = self.taken / path.name
        n = 0
        while target.exists():
            n += 1
            target = self.taken / f"{path.name}.{n}"
        with contextlib.suppress(FileNotFoundError):  # taken by another sandbox process
            os.replace(path, target)

    # ---------------------------------------------------------------- output

    def _place(self, response: LedgerResponse) -> bool:
        """Write one staged answer into place; False if it cannot be rendered."""
        try:
            text, answers = render(response, self.ledger, self.rules, self.identity)
        except X12Error as exc:  # e.g. a received value holding a separator
            log.error("sandbox.answer_failed", file=response.file_name, kind=response.kind,
                      reason=str(exc))
            self.ledger.mark_failed(response.id)
            return False
        final = self.answers / response.file_name
        temp = self.answers / temp_name(response.file_name)
        if response.state == "staged":
            data = text.encode("ascii", errors="replace")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            self.ledger.mark_placing(response.id)
        if temp.exists():
            os.replace(temp, final)
            _fsync_dir(self.answers)
        # else: renamed before a crash (the gateway may even have fetched it already).
        self.ledger.mark_written(response.id, self.clock.now(), answers)
        log.info("sandbox.answered", file=response.file_name, kind=response.kind,
                 claims=len(answers))
        return True


def _lock(path: Path) -> int:
    """One sandbox per root: an exclusive lock held while the Sandbox is open."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigError(f"another sandbox is already serving {path.parent.parent}") from None
    return fd


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
