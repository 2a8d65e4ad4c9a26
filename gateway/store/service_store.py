"""Heartbeats, step bookkeeping and per-partner step locks for `gateway run`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select, text, update

from gateway.domain.files import Direction, InboundStatus, OutboundStatus
from gateway.store.claims import claims_t
from gateway.store.models import FileRow, ServiceInstance, StepStatus

instances_t = cast(Table, ServiceInstance.__table__)
steps_t = cast(Table, StepStatus.__table__)
files_t = cast(Table, FileRow.__table__)


class ServiceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- heartbeat --------------------------------------------------------------------

    def started(self, instance_id: str, host: str, pid: int, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(instances_t), {"instance_id": instance_id, "host": host,
                                               "pid": pid, "started_at": now,
                                               "last_beat_at": now})

    def beat(self, instance_id: str, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(instances_t).where(instances_t.c.instance_id == instance_id)
                         .values(last_beat_at=now))

    def stopped(self, instance_id: str, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(instances_t).where(instances_t.c.instance_id == instance_id)
                         .values(last_beat_at=now, stopped_at=now))

    def instances(self, since: dt.datetime) -> list[dict[str, Any]]:
        query = (select(instances_t).where(instances_t.c.last_beat_at >= since)
                 .order_by(instances_t.c.started_at))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # --- steps ------------------------------------------------------------------------

    def step_done(self, partner: str, step: str, now: dt.datetime,
                  error: str | None = None) -> None:
        values: dict[str, Any] = ({"last_success_at": now} if error is None else
                                  {"last_failure_at": now, "last_error": error[:1000]})
        with self.engine.begin() as conn:
            found = conn.execute(select(steps_t.c.runs).where(
                steps_t.c.partner == partner, steps_t.c.step == step)).first()
            if found is None:
                conn.execute(insert(steps_t), {"partner": partner, "step": step, "runs": 1,
                                               "failures": int(error is not None), **values})
                return
            conn.execute(update(steps_t).where(steps_t.c.partner == partner,
                                               steps_t.c.step == step)
                         .values(runs=steps_t.c.runs + 1,
                                 failures=steps_t.c.failures + int(error is not None),
                                 **values))

    def steps(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(steps_t).order_by(steps_t.c.partner, steps_t.c.step))]

    @contextmanager
    def step_lock(self, partner: str, step: str) -> Iterator[bool]:
        """PostgreSQL: a session advisory lock per partner and step, so that several
        instances never run the same step for the same partner at once (yields False
        when another instance holds it). SQLite: one instance per database (documented),
        so the lock is always granted."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(f"{partner}/{step}".encode()).digest()[:8],
                             "big", signed=True)
        with self.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    # --- queue depths for `gateway status` ------------------------------------------

    def queue_depths(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            claims = {s: n for s, n in conn.execute(
                select(claims_t.c.status, func.count()).group_by(claims_t.c.status))}
            files = {f"{d}:{s}": n for d, s, n in conn.execute(
                select(files_t.c.direction, files_t.c.status, func.count())
                .group_by(files_t.c.direction, files_t.c.status))}
        return {
            "claims": claims,
            "awaiting_upload": sum(files.get(f"{Direction.OUTBOUND.value}:{s.value}", 0)
                                   for s in (OutboundStatus.PENDING, OutboundStatus.UPLOADING)),
            "awaiting_ingest": files.get(f"{Direction.INBOUND.value}:"
                                         f"{InboundStatus.STORED.value}", 0),
            "quarantined": files.get(f"{Direction.INBOUND.value}:"
                                     f"{InboundStatus.QUARANTINED.value}", 0),
        }
