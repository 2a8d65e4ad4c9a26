"""835 ingestion: an N-claim remittance read, matched and posted, against pyx12 alone.

    python bench/ingest_835.py [--claims 10000] [--memory 1000,10000,50000]
                               [--postgres URL] [--runs 1]

Setup (not timed): N synthetic claims (3 lines each) are imported through the real
intake path into a fresh database and moved to SENT with one UPDATE (the 837P
generation is skipped: its pyx12 validation alone would take minutes at 50k, and the
835 side only needs claims that were sent). Then one 835 is written that pays every
claim — one payment, N CLPs, 3 SVC each with REF*6R, CO-45/PR-2 adjustments, a PLB.

Timed, on that file, in the same process:
- ``ingest``: ResponseIngestor.import_file with pyx12 off — decode, split, parse, match,
  post, one transaction: the gateway's own cost;
- ``pyx12``: gateway.x12.validate.validate alone on the same text;
- ``ingest+pyx12``: the full path as `gateway responses import` runs it.

Memory (``--memory``, SQLite): each size is set up once in this process, then ingested
(pyx12 off) in a fresh child process on a copy of that database; the child reports its
RSS before the ingest and its peak RSS during it (VmRSS / VmHWM from /proc, the peak
reset just before the ingest) and, in a second child, tracemalloc's peak of Python
allocations during the ingest.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import update
from sqlalchemy.engine import make_url

from gateway.clock import FixedClock
from gateway.intake.importer import ClaimImporter
from gateway.intake.records import InputFormat
from gateway.logging import configure as configure_logging
from gateway.responses.ingest import ResponseIngestor
from gateway.samples.factory import make_claim
from gateway.store import migrate
from gateway.store.claims import ClaimStore, claims_t
from gateway.store.db import make_engine
from gateway.store.files import FileStore
from gateway.store.partners_store import PartnerStore
from gateway.store.responses import ResponseStore
from gateway.x12.validate import validate

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parents[1]


# --- setup ------------------------------------------------------------------------------


def fresh_database(kind: str, tmp: Path, pg_url: str | None, tag: str) -> tuple[str, Any]:
    """A URL to a new empty database, and how to drop it afterwards."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/{tag}.db", lambda: None
    assert pg_url is not None
    server = make_url(pg_url).set(drivername="postgresql+psycopg")
    name = f"gw_bench_{uuid.uuid4().hex[:10]}"
    params = server.translate_connect_args(username="user", database="dbname")
    with psycopg.connect(autocommit=True, **params) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(autocommit=True, **params) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))

    return server.set(database=name).render_as_string(hide_password=False), drop


def sent_claims(url: str, n: int, tmp: Path) -> list[dict[str, Any]]:
    """N claims imported (real intake) and marked SENT; their documents."""
    docs = [make_claim(i, lines=3, today=NOW.date()) for i in range(n)]
    path = tmp / f"claims-{uuid.uuid4().hex[:6]}.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        list(ClaimImporter(ClaimStore(engine), FixedClock(NOW), "ACMEBILL01", 1000)
             .import_file(path, InputFormat.JSONL))
        with engine.begin() as conn:
            conn.execute(update(claims_t).values(status="sent"))
    finally:
        engine.dispose()
    return docs


def write_835(docs: list[dict[str, Any]], path: Path) -> int:
    """One payment paying every claim (CO-45 2.00 and PR-2 1.00 per line), with a PLB.
    Returns the segment count."""
    out: list[str] = []
    total = Decimal(0)
    for doc in docs:
        lines = []
        claim_paid = Decimal(0)
        for n, line in enumerate(doc["service_lines"]):
            charge = Decimal(line["charge"])
            paid = charge - Decimal("3.00")
            claim_paid += paid
            date = line["service_date"].replace("-", "")
            lines += [f"SVC*HC:{line['procedure_code']}*{charge:.2f}*{paid:.2f}**1",
                      f"DTM*472*{date}", "CAS*CO*45*2.00", "CAS*PR*2*1.00",
                      f"REF*6R*{line['line_item_control_number']}"]
            if n == 0:
                lines.append("LQ*HE*N130")
        total += claim_paid
        out += [f"CLP*{doc['patient_control_number']}*1*{doc['total_charge']}*{claim_paid:.2f}"
                f"*{Decimal(len(doc['service_lines'])):.2f}*12*PCCN{doc['patient_control_number']}"
                "*11*1", "NM1*QC*1*DOE*JANE****MI*M000000001", *lines]
    plb = Decimal("12.34")
    body = [f"BPR*I*{total - plb:.2f}*C*ACH*CCP*01*999999999*DA*123456*1591234567**01*"
            "888888888*DA*654321*20261204", "TRN*1*BENCH0001*1591234567", "DTM*405*20261204",
            "N1*PR*EXAMPLE HEALTH PLAN", "N3*1 PAYER WAY", "N4*NASHVILLE*TN*37203",
            "REF*2U*EXHP1", "PER*BL*EDI HELP DESK*TE*8005551212",
            "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893", "LX*1", *out,
            f"PLB*1234567893*20261231*WO:RECOUP1*{plb:.2f}"]
    st = ["ST*835*0001", *body, f"SE*{len(body) + 2}*0001"]
    isa = ("ISA*00*          *00*          *ZZ*EXHP1          *ZZ*ACMEBILL01     *261205*0815*"
           "^*00501*000000777*0*P*:")
    segments = [isa, "GS*HP*EXHP1*ACMEBILL01*20261205*0815*777*X*005010X221A1", *st,
                "GE*1*777", "IEA*1*000000777"]
    path.write_text("~\n".join(segments) + "~\n")
    return len(segments)


def ingestor(url: str, data_dir: Path, *, pyx12: bool) -> tuple[ResponseIngestor, Any]:
    engine = make_engine(url)
    return ResponseIngestor(FileStore(engine), ResponseStore(engine), PartnerStore(engine),
                            FixedClock(NOW), data_dir=data_dir, validate_with_pyx12=pyx12), engine


def ingest_once(url: str, path: Path, data_dir: Path, *, pyx12: bool) -> float:
    ing, engine = ingestor(url, data_dir, pyx12=pyx12)
    try:
        start = time.perf_counter()
        result = ing.import_file(path, partner="sandbox")
        elapsed = time.perf_counter() - start
    finally:
        engine.dispose()
    assert result.outcome == "applied", result.reason
    return elapsed


# --- throughput -------------------------------------------------------------------------


def throughput(kind: str, n: int, runs: int, pg_url: str | None, tmp: Path) -> dict[str, float]:
    times: dict[str, list[float]] = {"ingest": [], "ingest+pyx12": [], "pyx12": []}
    segments = 0
    for run in range(runs):
        for mode in ("ingest", "ingest+pyx12"):
            url, drop = fresh_database(kind, tmp, pg_url, f"{kind}-{mode}-{run}")
            try:
                docs = sent_claims(url, n, tmp)
                path = tmp / f"era-{kind}-{mode}-{run}.835"
                segments = write_835(docs, path)
                times[mode].append(ingest_once(url, path, tmp / f"data-{uuid.uuid4().hex[:6]}",
                                               pyx12=mode == "ingest+pyx12"))
            finally:
                drop()
        text = path.read_text()
        start = time.perf_counter()
        verdict = validate(text)
        times["pyx12"].append(time.perf_counter() - start)
        assert verdict.valid, verdict.findings[:3]
    med = {k: statistics.median(v) for k, v in times.items()}
    med["segments"] = float(segments)
    return med


# --- memory (child processes) -------------------------------------------------------------


def _status_mb(field: str) -> float | None:
    """VmRSS / VmHWM of this process from /proc (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux); elsewhere ru_maxrss is all there is."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def child(url: str, path: str, data_dir: str, trace: bool) -> None:
    """Ingest one file (pyx12 off) and print what it cost, as JSON."""
    configure_logging("WARNING", "json")
    ing, engine = ingestor(url, Path(data_dir), pyx12=False)
    _ = ing.kinds  # import every reader before measuring
    _reset_peak()
    before = _status_mb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = ing.import_file(Path(path), partner="sandbox")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    after = _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine.dispose()
    assert result.outcome == "applied", result.reason
    print(json.dumps({"seconds": elapsed, "rss_before_mb": before, "rss_peak_mb": after,
                      "traced_peak_mb": peak / 2**20, "matched": result.matched}))


def memory(sizes: list[int], tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        row: dict[str, Any] = {"claims": n}
        url, _ = fresh_database("sqlite", tmp, None, f"mem-{n}")
        docs = sent_claims(url, n, tmp)
        path = tmp / f"mem-{n}.835"
        write_835(docs, path)
        del docs
        row["file_mb"] = path.stat().st_size / 2**20
        database = Path(make_url(url).database or "")
        for trace in (False, True):
            copy = database.with_name(f"{database.stem}-{trace}.db")
            shutil.copyfile(database, copy)  # the same sent claims for both children
            out = subprocess.run(
                [sys.executable, __file__, "--child", f"sqlite:///{copy}", str(path),
                 str(tmp / f"mem-data-{n}-{trace}"), *(["--trace"] if trace else [])],
                capture_output=True, text=True, check=True, cwd=REPO)
            measured = json.loads(out.stdout.strip().splitlines()[-1])
            if trace:
                row["traced_peak_mb"] = measured["traced_peak_mb"]
            else:
                row.update({k: measured[k] for k in ("seconds", "rss_before_mb",
                                                     "rss_peak_mb", "matched")})
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--memory", default="1000,10000,50000",
                        help="claim counts for the memory comparison ('' to skip)")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a role with CREATEDB)")
    parser.add_argument("--child", nargs=3, metavar=("URL", "FILE", "DATA_DIR"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, trace=args.trace)
        return
    configure_logging("WARNING", "json")
    n = args.claims
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        kinds = ["sqlite", *(["postgresql"] if args.postgres else [])]
        for kind in kinds:
            med = throughput(kind, n, args.runs, args.postgres, tmp)
            print(f"{kind}: 835 with {n} claims x 3 lines ({med['segments']:.0f} segments), "
                  f"median of {args.runs} run(s)")
            print(f"  ingest, pyx12 off (decode, split, parse, match, post): "
                  f"{med['ingest']:.2f} s = {n / med['ingest']:,.0f} claims/s")
            print(f"  pyx12 validate only, same file:                        "
                  f"{med['pyx12']:.2f} s = {n / med['pyx12']:,.0f} claims/s")
            print(f"  ingest with pyx12 (what `responses import` does):      "
                  f"{med['ingest+pyx12']:.2f} s = {n / med['ingest+pyx12']:,.0f} claims/s")
        sizes = [int(s) for s in args.memory.split(",") if s.strip()]
        if sizes:
            print("memory, SQLite, pyx12 off, one child process per size:")
            print("  claims   file MB   ingest s   claims/s   RSS before MB   RSS peak MB   "
                  "growth MB   traced peak MB")
            for row in memory(sizes, tmp):
                print(f"  {row['claims']:>6}   {row['file_mb']:7.1f}   {row['seconds']:8.2f}"
                      f"   {row['claims'] / row['seconds']:8,.0f}"
                      f"   {row['rss_before_mb']:13.0f}   {row['rss_peak_mb']:11.0f}"
                      f"   {row['rss_peak_mb'] - row['rss_before_mb']:9.0f}"
                      f"   {row['traced_peak_mb']:14.0f}")


if __name__ == "__main__":
    main()
