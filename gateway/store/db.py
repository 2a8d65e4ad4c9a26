"""Engines: SQLite (WAL, foreign keys on) by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import StoreError

__all__ = ["DatabaseError", "Engine", "is_sqlite", "make_engine", "translate_errors"]


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, echo=echo)
    event.listen(engine, "connect", _sqlite_pragmas)
    # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that a
    # read-then-write transaction holds its lock from the start (no lost updates).
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" listener issue BEGIN
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class DatabaseError(StoreError):
    """The database could not be reached or refused an operation."""


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """SQLAlchemy's exceptions become :class:`DatabaseError` (no SQL, no parameters)."""
    try:
        yield
    except SQLAlchemyError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise DatabaseError(f"database {shown}: {type(exc).__name__}: "
                            f"{_first_line(exc)}") from exc


def _first_line(exc: SQLAlchemyError) -> str:
    # The driver's own message, without the SQL statement and bound values
    # SQLAlchemy appends (those may carry claim data).
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc.args[0] if exc.args else exc)
    return text.strip().splitlines()[0] if text.strip() else "no detail"
