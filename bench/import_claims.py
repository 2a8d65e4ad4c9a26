"""Import throughput: N synthetic claims (3 lines each) into SQLite and PostgreSQL.

    python bench/import_claims.py [--claims 100000] [--runs 3] [--postgres URL]

The claim file is generated first (not timed). Each run imports it into a fresh,
migrated database through the same code path as `gateway claims import` and prints
claims/s; the median of the runs is the figure quoted in docs/benchmarks.md. A
baseline in the same process — parse + scrub only, no database — shows what the
store adds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from gateway.clock import FixedClock
from gateway.intake.importer import ClaimImporter, Verdict
from gateway.intake.parse import parse_and_scrub
from gateway.intake.records import InputFormat, read_records
from gateway.logging import configure as configure_logging
from gateway.samples.factory import make_claim
from gateway.store import migrate
from gateway.store.claims import ClaimStore
from gateway.store.db import make_engine

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def generate(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(make_claim(i, lines=3, today=NOW.date())) + "\n")


def import_into(url: str, path: Path, chunk: int) -> float:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        importer = ClaimImporter(ClaimStore(engine), FixedClock(NOW), "BENCH", chunk_size=chunk)
        start = time.perf_counter()
        verdicts = [r.verdict for r in importer.import_file(path, InputFormat.JSONL)]
        elapsed = time.perf_counter() - start
    finally:
        engine.dispose()
    assert verdicts.count(Verdict.ACCEPTED) == len(verdicts), "benchmark claims must be clean"
    return len(verdicts) / elapsed


def parse_only(path: Path) -> float:
    start = time.perf_counter()
    n = 0
    for record in read_records(path, InputFormat.JSONL):
        assert record.doc is not None
        parse_and_scrub(record.doc, NOW.date())
        n += 1
    return n / (time.perf_counter() - start)


def fresh_postgres(server_url: str) -> tuple[str, str]:
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"gw_bench_{uuid.uuid4().hex[:10]}"
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False), name


def drop_postgres(server_url: str, name: str) -> None:
    conninfo = make_url(server_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--postgres", help="PostgreSQL server URL (role needs CREATEDB)")
    args = parser.parse_args()
    configure_logging("WARNING", "json")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.jsonl"
        generate(path, args.claims)
        print(f"{args.claims} claims x 3 lines, {path.stat().st_size / 1e6:.1f} MB JSONL, "
              f"chunk {args.chunk}, {args.runs} runs each")
        baseline = statistics.median(parse_only(path) for _ in range(args.runs))
        print(f"parse + scrub only (no database): {baseline:,.0f} claims/s")
        results: dict[str, list[float]] = {"sqlite": []}
        for run in range(args.runs):
            results["sqlite"].append(
                import_into(f"sqlite:///{tmp}/run{run}.db", path, args.chunk))
        if args.postgres:
            results["postgresql"] = []
            for _ in range(args.runs):
                url, name = fresh_postgres(args.postgres)
                try:
                    results["postgresql"].append(import_into(url, path, args.chunk))
                finally:
                    drop_postgres(args.postgres, name)
        for backend, rates in results.items():
            median = statistics.median(rates)
            runs = ", ".join(f"{r:,.0f}" for r in rates)
            print(f"{backend:>10}: median {median:,.0f} claims/s  (runs: {runs}); "
                  f"{median / baseline:.0%} of parse-only")


if __name__ == "__main__":
    main()
