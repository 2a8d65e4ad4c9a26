"""Composition root: settings → logging, engine, store, use cases. Nothing else wires."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gateway.clock import Clock, SystemClock
from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.intake.importer import ClaimImporter
from gateway.logging import get_logger
from gateway.store import migrate
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine, is_sqlite, make_engine, translate_errors

log = get_logger(__name__)


@dataclass
class App:
    settings: Settings
    engine: Engine
    claims: ClaimStore
    clock: Clock

    def importer(self) -> ClaimImporter:
        return ClaimImporter(self.claims, self.clock, self.settings.submitter.id,
                             chunk_size=self.settings.intake.chunk_size)


def ensure_schema(engine: Engine) -> None:
    """The embedded SQLite database migrates itself; PostgreSQL waits for an operator."""
    if migrate.is_up_to_date(engine):
        return
    if is_sqlite(engine):
        migrate.upgrade(engine)
        log.info("db.migrated", revision=migrate.head_revision())
        return
    raise ConfigError(
        f"database schema is at {migrate.current_revision(engine) or 'nothing'}, the code needs "
        f"{migrate.head_revision()}: run `gateway db upgrade`")


@contextmanager
def open_app(settings: Settings, clock: Clock | None = None, *, migrate_schema: bool = True
             ) -> Iterator[App]:
    engine = make_engine(settings.database_url, echo=settings.database.echo)
    try:
        with translate_errors(settings.database_url):
            if migrate_schema:
                ensure_schema(engine)
            yield App(settings, engine, ClaimStore(engine), clock or SystemClock())
    finally:
        engine.dispose()
