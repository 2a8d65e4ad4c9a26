"""`gateway demo`: the whole loop on a laptop, against the sandbox clearinghouse.

Imports the bundled sample claims (good ones, some the scrubber refuses, some the
sandbox rejects or denies), then runs the real service steps — submit, upload, poll,
ingest — against an in-process sandbox until every claim is final (bounded), and
prints what happened. Running it again changes nothing: imports are idempotent and
nothing is sent twice.
"""

from __future__ import annotations

import time
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from gateway.cli_views import print_import_report
from gateway.domain.status import FINAL, ClaimStatus
from gateway.intake.importer import ImportSummary
from gateway.partners import PartnerDirectory, TradingPartner
from gateway.service.app import App
from gateway.service.runner import Service
from gateway.simulator.clearinghouse import Sandbox
from gateway.simulator.rules import load_rules
from gateway.store.claims import ClaimFilter
from gateway.store.service_store import ServiceStore

SAMPLES = "demo-claims.jsonl"
PARTNER = "sandbox"
TIME_LIMIT_SECONDS = 110.0


def sample_path() -> Path:
    return Path(str(resources.files("gateway.samples").joinpath(SAMPLES)))


def demo_partner(gw: App) -> TradingPartner:
    """The configured `sandbox` partner, or the bundled one rooted in the data dir."""
    configured = [p for p in gw.partners if p.name == PARTNER]
    if configured:
        return configured[0]
    data = tomllib.loads(resources.files("gateway.samples").joinpath("sandbox-partner.toml")
                         .read_text(encoding="utf-8"))
    data["transport"]["root"] = str(gw.settings.data_dir / "sandbox")
    return TradingPartner(**data)


def demo_rules_path(gw: App) -> Path:
    """config/sandbox.toml when present (editable), else the bundled copy."""
    local = Path("config/sandbox.toml")
    if local.is_file():
        return local
    return Path(str(resources.files("gateway.samples").joinpath("sandbox-rules.toml")))


def run_demo(gw: App, console: Console) -> dict[str, Any]:
    path = sample_path()
    console.print(f"[bold]1. Importing the bundled sample claims[/bold] ({path.name}) into "
                  f"{gw.settings.masked()['database']['url']}\n")
    summary = ImportSummary(path.name)
    reports = []
    for report in gw.importer().import_file(path):
        summary.add(report)
        reports.append(report)
    print_import_report(console, summary, reports, as_json=False, show_accepted=False)

    partner = demo_partner(gw)
    rules = load_rules(demo_rules_path(gw))
    console.print(f"\n[bold]2. Sending them to the sandbox clearinghouse[/bold] "
                  f"({partner.transport.kind} folders) and reading its answers\n")
    demo_app = gw.with_partners(PartnerDirectory([partner]))
    service = Service(demo_app, instance_id="demo")
    with Sandbox.for_partner(partner, rules, gw.clock) as sandbox:
        rounds = _loop(demo_app, service, sandbox, console)
    results = _summary(gw)
    _print_summary(console, results, rounds)
    example = next((r.patient_control_number for r in reports
                    if r.patient_control_number and r.verdict.value == "accepted"), None)
    console.print("\nSee for yourself:")
    console.print("  gateway claims list                      every claim and its status")
    if example:
        console.print(f"  gateway claims show {example:<20} one claim: its whole timeline, "
                      "payment and reasons")
    console.print("  gateway claims list --status rejected    what the payer refused")
    console.print("  gateway remits list                      payments received")
    console.print("  gateway status                           the service's view")
    console.print("  gateway demo                             again: nothing changes")
    return results


def _loop(gw: App, service: Service, sandbox: Sandbox, console: Console) -> int:
    """Service cycles and sandbox answers until every claim is final (or time is up)."""
    total = sum(gw.claims.counts_by_status().values())
    started = time.monotonic()
    rounds = 0
    with Progress(TextColumn("claims final"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("final", total=total)
        while True:
            service.cycle(force=True)
            sandbox.drain()
            rounds += 1
            counts = gw.claims.counts_by_status()
            final = sum(n for s, n in counts.items() if s in FINAL)
            progress.update(task, completed=final)
            if final == total or time.monotonic() - started > TIME_LIMIT_SECONDS:
                break
        service.cycle(force=True)  # read whatever the last answers said
    return rounds


def _summary(gw: App) -> dict[str, Any]:
    from gateway.store.remits import RemitStore

    claims = gw.claims.list_claims(ClaimFilter(limit=100_000))
    counts = gw.claims.counts_by_status()
    billed = sum((c.total_charge or Decimal(0) for c in claims
                  if c.status not in (ClaimStatus.INVALID, ClaimStatus.RECEIVED)),
                 Decimal(0))
    paid = Decimal(0)
    patient = Decimal(0)
    for c in claims:
        for p in RemitStore(gw.engine).payments_for_claim(c.id):
            paid += Decimal(str(p["paid"]))
            patient += Decimal(str(p.get("patient_responsibility") or 0))
    queues = ServiceStore(gw.engine).queue_depths()
    return {"claims": {s.value: n for s, n in sorted(counts.items())},
            "billed": billed, "paid": paid, "patient_responsibility": patient,
            "adjusted": billed - paid - patient, "files": _files(gw),
            "not_final": sum(n for s, n in counts.items() if s not in FINAL),
            "quarantined": queues["quarantined"]}


def _files(gw: App) -> dict[str, int]:
    from gateway.store.files import FileStore

    rows = FileStore(gw.engine).list_files(limit=100_000)
    return {"sent": sum(r.direction == "out" for r in rows),
            "received": sum(r.direction == "in" for r in rows)}


def _print_summary(console: Console, r: dict[str, Any], rounds: int) -> None:
    console.print(f"\n[bold]3. Where every claim ended[/bold] (after {rounds} rounds)")
    table = Table()
    table.add_column("status")
    table.add_column("claims", justify="right")
    for status, count in r["claims"].items():
        table.add_row(status, str(count))
    console.print(table)
    money = Table(title="amounts")
    for column in ("billed", "paid", "patient responsibility", "adjusted"):
        money.add_column(column, justify="right")
    money.add_row(*(f"{r[k]:.2f}" for k in ("billed", "paid", "patient_responsibility",
                                            "adjusted")))
    console.print(money)
    console.print(f"files exchanged: {r['files']['sent']} sent, {r['files']['received']} "
                  f"received; quarantined: {r['quarantined']}")
    if r["not_final"]:
        console.print(f"[yellow]{r['not_final']} claim(s) not final yet[/yellow]: run "
                      "`gateway demo` again to continue")
