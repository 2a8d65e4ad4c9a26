"""Composition root: settings → logging, engine, store, use cases. Nothing else wires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from gateway.clock import Clock, SystemClock
from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.intake.importer import ClaimImporter
from gateway.logging import get_logger
from gateway.partners import PartnerDirectory, load_partners
from gateway.responses.ingest import ResponseIngestor
from gateway.store import migrate
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine, is_sqlite, make_engine, translate_errors
from gateway.store.files import FileStore
from gateway.store.partners_store import PartnerStore
from gateway.store.responses import ResponseStore
from gateway.store.submission import SubmissionStore
from gateway.submission.submit import Submitter
from x12_maps.p837_writer import Party

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

    partners_override: PartnerDirectory | None = None

    @cached_property
    def partners(self) -> PartnerDirectory:
        if self.partners_override is not None:
            return self.partners_override
        return load_partners(self.settings.partners_dir)

    def with_partners(self, partners: PartnerDirectory) -> App:
        """The same app serving only ``partners`` (the demo's sandbox)."""
        return App(self.settings, self.engine, self.claims, self.clock, partners)

    def ingestor(self) -> ResponseIngestor:
        return ResponseIngestor(FileStore(self.engine), ResponseStore(self.engine),
                                PartnerStore(self.engine), self.clock, self.settings.data_dir,
                                validate_with_pyx12=self.settings.responses.validate_with_pyx12)

    def submitter(self) -> Submitter:
        s = self.settings
        party = Party(s.submitter.name, s.submitter.id, s.submitter.contact_name,
                      s.submitter.contact_phone)
        return Submitter(SubmissionStore(self.engine), self.partners, self.clock,
                         outbox_dir=s.data_dir / "outbox", default_submitter=party,
                         max_claims=s.submission.max_claims_per_run,
                         stale_after=dt.timedelta(seconds=s.submission.stale_after_seconds))


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
