"""Shared test fixtures: which database the tests run against.

A test that needs a database asks for the ``database_url`` fixture (a SQLAlchemy URL
string). The environment variable ``GATEWAY_TEST_DATABASE_URL`` picks the backend:

- unset or empty: SQLite. Each test gets a fresh file in its own ``tmp_path``,
  ``sqlite:///<tmp_path>/gateway.db``.
- a PostgreSQL URL, for example
  ``postgresql+psycopg://gateway_test:gateway_test@127.0.0.1:5432/gateway_test``:
  each test gets a database of its own, ``gw_test_<12 hex digits>``, created on that
  server through the URL's database and dropped (``WITH (FORCE)``) after the test,
  whether it passed or not. The URL's role needs CREATEDB. The URL handed to the test
  always uses the psycopg 3 driver.

``.ci/run`` creates that role and database and runs the suite both ways. The fixture
creates no tables: the application's migrations do.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from gateway.clock import FixedClock
from gateway.responses.ingest import IngestResult, ResponseIngestor
from gateway.store import migrate
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine, make_engine
from gateway.store.files import FileStore
from gateway.store.partners_store import PartnerStore
from gateway.store.responses import ResponseStore

pytest_plugins = ["pytester"]

DATABASE_URL_ENV = "GATEWAY_TEST_DATABASE_URL"


def _server_url() -> URL | None:
    """The PostgreSQL server URL from the environment, or None for SQLite."""
    raw = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not raw:
        return None
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(
            f"{DATABASE_URL_ENV} must be a PostgreSQL URL, got backend {url.get_backend_name()!r}"
        )
    return url.set(drivername="postgresql+psycopg")


def _admin_connection(server: URL) -> psycopg.Connection[Any]:
    """An autocommit psycopg connection to the database named in the server URL."""
    params: dict[str, Any] = server.translate_connect_args(username="user", database="dbname")
    params.update({key: value for key, value in server.query.items() if isinstance(value, str)})
    return psycopg.connect(autocommit=True, **params)


@pytest.fixture(scope="session")
def backend_name() -> str:
    """The database backend the tests run against: "sqlite" or "postgresql"."""
    return "sqlite" if _server_url() is None else "postgresql"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to a fresh, empty database that belongs to this test alone."""
    server = _server_url()
    if server is None:
        yield f"sqlite:///{tmp_path}/gateway.db"
        return

    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection(server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connection(server) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the latest revision."""
    eng = make_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine: Engine) -> ClaimStore:
    return ClaimStore(engine)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing still at NOW until a test advances it."""
    return FixedClock(NOW)


@pytest.fixture
def ingestor(engine: Engine, clock: FixedClock, tmp_path: Path) -> ResponseIngestor:
    """Response ingestion on the test's database, keeping files under tmp_path/data."""
    return ResponseIngestor(FileStore(engine), ResponseStore(engine), PartnerStore(engine),
                            clock, data_dir=tmp_path / "data")


class IngestFn(Protocol):
    def __call__(self, text: str, name: str | None = None) -> IngestResult: ...


@pytest.fixture
def response_file_name() -> str:
    """The default name pattern of files written by ``ingest`` ({n} counts them)."""
    return "response-{n}.x12"


@pytest.fixture
def ingest(ingestor: ResponseIngestor, clock: FixedClock, tmp_path: Path,
           response_file_name: str) -> IngestFn:
    """Write a response file and import it by hand, an hour after the previous one."""
    count = 0

    def run(text: str, name: str | None = None) -> IngestResult:
        nonlocal count
        count += 1
        clock.advance(dt.timedelta(hours=1))
        path = tmp_path / "in" / (name or response_file_name.format(n=count))
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return ingestor.import_file(path, partner="sandbox")

    return run
