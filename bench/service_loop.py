"""The whole loop for N claims through the sandbox clearinghouse, with time per step.

    python bench/service_loop.py [--claims 10000] [--postgres URL]

Imports N synthetic claims (1 line each), then runs the service's own steps — submit
(render + pyx12 validation), upload, the sandbox's answers (999, 277CAs, 835), poll,
ingest — until every claim is final, and reports claims/s end to end and each step's
share of the time. The sandbox validates what it receives with pyx12 too (as a real
clearinghouse would); its share is reported separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.domain.status import FINAL
from gateway.logging import configure as configure_logging
from gateway.partners import LocalTransport, PartnerDirectory, load_partners
from gateway.samples.factory import make_claim
from gateway.service.app import open_app
from gateway.service.runner import Service
from gateway.simulator.clearinghouse import Sandbox
from gateway.simulator.rules import load_rules

REPO = Path(__file__).resolve().parents[1]


def run(url: str, n: int, tmp: Path) -> dict[str, float]:
    settings = Settings(data_dir=tmp / "var", partners_dir=REPO / "config" / "partners",
                        database={"url": url},
                        submission={"max_claims_per_run": 5000})
    claims = tmp / "claims.jsonl"
    claims.write_text("".join(json.dumps(make_claim(i, lines=1, today=dt.date.today()))
                              + "\n" for i in range(n)))
    spent: dict[str, float] = defaultdict(float)
    with open_app(settings) as gw:
        from gateway.store import migrate
        migrate.upgrade(gw.engine)
        partner = load_partners(REPO / "config" / "partners").get("sandbox").model_copy(
            update={"transport": LocalTransport(root=tmp / "sandbox")})
        app = gw.with_partners(PartnerDirectory([partner]))
        service = Service(app, instance_id="bench")
        started = time.perf_counter()
        t = time.perf_counter()
        for _ in app.importer().import_file(claims):
            pass
        spent["intake"] += time.perf_counter() - t
        steps = {"submit": service._submit, "upload": service._upload,
                 "poll": service._poll, "ingest": service._ingest}
        with Sandbox.for_partner(partner, load_rules(None), SystemClock()) as sandbox:
            for _ in range(200):
                for name, fn in steps.items():
                    t = time.perf_counter()
                    fn(partner)
                    spent[name] += time.perf_counter() - t
                t = time.perf_counter()
                sandbox.drain()
                spent["sandbox (clearinghouse side)"] += time.perf_counter() - t
                counts = app.claims.counts_by_status()
                if sum(counts.values()) == n and set(counts) <= FINAL:
                    break
            service._close_transport(partner.name)
        spent["total"] = time.perf_counter() - started
    return dict(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--postgres", help="PostgreSQL server URL (role needs CREATEDB)")
    args = parser.parse_args()
    configure_logging("WARNING", "json")
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    for backend, server in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if server is None:
                spent = run(f"sqlite:///{tmp}/gateway.db", args.claims, Path(tmp))
            else:
                base = make_url(server)
                name = f"gw_bench_{uuid.uuid4().hex[:8]}"
                admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                try:
                    url = base.set(drivername="postgresql+psycopg", database=name)
                    spent = run(url.render_as_string(hide_password=False), args.claims,
                                Path(tmp))
                finally:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                                     .format(sql.Identifier(name)))
        total = spent.pop("total")
        print(f"{backend}: {args.claims} claims to a final state in {total:.1f} s "
              f"({args.claims / total:,.0f} claims/s end to end)")
        for step, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {step:<30} {seconds:7.2f} s  {seconds / total:5.1%}")


if __name__ == "__main__":
    main()
