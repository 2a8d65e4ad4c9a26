"""The shared ``database_url`` fixture gives each test a working, empty database of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_backend_name_follows_the_environment(backend_name: str) -> None:
    """backend_name is "postgresql" when GATEWAY_TEST_DATABASE_URL is set, else "sqlite"."""
    selected = os.environ.get("GATEWAY_TEST_DATABASE_URL", "").strip()
    assert backend_name == ("postgresql" if selected else "sqlite")


def test_url_points_at_a_database_of_this_test(
    database_url: str, backend_name: str, tmp_path: Path
) -> None:
    """The URL uses the selected backend and names a database made for this test."""
    url = make_url(database_url)
    assert url.get_backend_name() == backend_name
    assert url.database is not None
    if backend_name == "sqlite":
        assert Path(url.database) == tmp_path / "gateway.db"
    else:
        assert url.drivername == "postgresql+psycopg"
        assert url.database.startswith("gw_test_")


def test_database_is_empty_and_keeps_committed_rows(database_url: str) -> None:
    """A new database has no tables; rows committed through one engine are read by another."""
    with _engine(database_url) as engine:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, note VARCHAR(20))"))
            conn.execute(text("INSERT INTO probe (id, note) VALUES (1, 'first'), (2, 'second')"))

    with _engine(database_url) as engine, engine.connect() as conn:
        rows = conn.execute(text("SELECT id, note FROM probe ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "first"), (2, "second")]


@pytest.mark.parametrize("run", ["first", "second"])
def test_tests_do_not_share_a_database(database_url: str, run: str) -> None:
    """Each of two tests finds its database empty and creates the same table in it."""
    with _engine(database_url) as engine:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE same_name (run VARCHAR(10))"))
            conn.execute(text("INSERT INTO same_name (run) VALUES (:run)"), {"run": run})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT run FROM same_name")).scalars().all() == [run]


# Run by an inner pytest session with the real conftest. The first test leaves a
# connection open (as a forgotten engine would), the second fails on purpose: both
# databases must still be separate, and dropped afterwards.
_INNER_TESTS = """
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

FORGOTTEN = []


def _record(database_url):
    with Path(__file__).with_name("urls.txt").open("a") as f:
        f.write(database_url + "\\n")


def test_leaves_a_connection_open(database_url):
    _record(database_url)
    engine = create_engine(database_url)
    conn = engine.connect()
    conn.execute(text("CREATE TABLE from_first (x INTEGER)"))
    conn.commit()
    FORGOTTEN.append((engine, conn))


def test_fails_after_checking_it_is_alone(database_url):
    _record(database_url)
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    raise AssertionError("deliberate failure")
"""


def test_each_fixture_instance_is_separate_and_dropped_afterwards(
    pytester: pytest.Pytester, database_url: str, backend_name: str
) -> None:
    """Two fixture instances are separate, and PostgreSQL ones are dropped even after a failure."""
    pytester.makeconftest(Path(__file__).with_name("conftest.py").read_text())
    pytester.makepyfile(test_inner=_INNER_TESTS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: deliberate failure*"])
    urls = (pytester.path / "urls.txt").read_text().split()
    names = [make_url(url).database for url in urls]
    assert len(names) == 2
    assert names[0] != names[1]
    if backend_name == "postgresql":
        # pg_database lists every database on the server, whichever one we are connected to.
        with _engine(database_url) as engine, engine.connect() as conn:
            left = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                {"names": names},
            ).scalars()
            assert list(left) == []
