"""``gateway sandbox run`` / ``gateway sandbox ledger``: the sandbox clearinghouse.

Hooked into the main command by :func:`register`. The sandbox serves the folders of a
trading partner whose transport is local (the embedded ``sandbox`` partner by default)
and answers with the rules of ``config/sandbox.toml``. Exit codes follow gateway.cli:
0 done, 2 bad usage, 3 configuration.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.errors import ConfigError

if TYPE_CHECKING:
    from gateway.partners import TradingPartner
    from gateway.simulator import Sandbox, StepReport

sandbox_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                          help="The sandbox clearinghouse: answers 837P files locally.")

DEFAULT_RULES = Path("config/sandbox.toml")

PartnerOption = Annotated[str, typer.Option(
    "--partner", "-p", help="The trading partner whose folders the sandbox serves.")]
RulesOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Sandbox rules (TOML; default: config/sandbox.toml when it "
    "exists, else built-in defaults).", dir_okay=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    """Add ``sandbox`` (``run``, ``ledger``) to the main app."""
    app.add_typer(sandbox_app, name="sandbox")


def _partner(name: str) -> TradingPartner:
    from gateway.cli import settings  # lazy: gateway.cli imports this module
    from gateway.partners import load_partners

    return load_partners(settings().partners_dir).get(name)


def _open(partner_name: str, config: Path | None) -> Sandbox:
    from gateway.clock import SystemClock
    from gateway.simulator import Sandbox, load_rules

    partner = _partner(partner_name)
    if config is None and DEFAULT_RULES.is_file():
        config = DEFAULT_RULES
    rules = load_rules(config)
    return Sandbox.for_partner(partner, rules, SystemClock())


@sandbox_app.command("run")
def run(
    partner: PartnerOption = "sandbox",
    config: RulesOption = None,
    once: Annotated[bool, typer.Option("--once", help="One step, then exit.")] = False,
    drain: Annotated[bool, typer.Option(
        "--drain", help="Answer everything at once, ignoring the configured delays.")] = False,
    poll_interval: Annotated[float, typer.Option(
        "--poll-interval", min=0.05, help="Seconds between steps.")] = 1.0,
) -> None:
    """Answer the 837P files the gateway puts in the partner's outbound folder, until
    SIGTERM/SIGINT (or after one step with --once)."""
    out = Console(soft_wrap=True)
    with _open(partner, config) as sandbox:
        out.print(f"sandbox: reading {escape(str(sandbox.incoming))}, answering into "
                  f"{escape(str(sandbox.answers))}", highlight=False)
        if once:
            report = sandbox.drain() if drain else sandbox.step()
            _print_step(out, report)
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set())
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stop.is_set():
                report = sandbox.drain() if drain else sandbox.step()
                if report.received or report.written:
                    _print_step(out, report)
                stop.wait(poll_interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    out.print("sandbox: stopped")


def _print_step(out: Console, report: StepReport) -> None:
    due = report.next_due.isoformat() if report.next_due else "-"
    out.print(f"sandbox: {len(report.received)} file(s) received, "
              f"{len(report.redelivered)} re-delivered, {len(report.written)} answer(s) "
              f"written, {report.waiting} waiting (next due {due})", highlight=False)


@sandbox_app.command("ledger")
def ledger(
    partner: PartnerOption = "sandbox",
    as_json: JsonOption = False,
) -> None:
    """What the sandbox received (interchanges, claims) and what it answered."""
    from gateway.partners import LocalTransport
    from gateway.simulator import Ledger
    from gateway.simulator.clearinghouse import STATE_DIR

    p = _partner(partner)
    if not isinstance(p.transport, LocalTransport):
        raise ConfigError(f"partner {p.name} does not use local folders: no sandbox ledger")
    path = p.transport.root / STATE_DIR / "ledger.sqlite3"
    if not path.is_file():
        raise ConfigError(f"no sandbox ledger at {path}: run `gateway sandbox run` first")
    with Ledger(path) as book:
        data = {"interchanges": [_plain(i) for i in book.interchanges()],
                "claims": [_plain(c) for c in book.claims()],
                "responses": [_plain(r) for r in book.responses()]}
    if as_json:
        from gateway.cli_views import dumps

        sys.stdout.write(dumps(data))
        return
    _print_ledger(Console(soft_wrap=True), data)


def _plain(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in row.__dataclass_fields__}


def _print_ledger(out: Console, data: dict[str, list[dict[str, Any]]]) -> None:
    table = Table(title="interchanges received")
    for column in ("ISA13", "sender", "file", "status", "TA1 note", "claims", "received"):
        table.add_column(column, overflow="fold")
    for i in data["interchanges"]:
        style = {"accepted": "green", "duplicate": "yellow"}.get(i["status"], "red")
        table.add_row(i["isa13"], escape(i["sender"]), escape(i["file_name"]),
                      f"[{style}]{i['status']}[/{style}]", i["note"] or "", str(i["claims"]),
                      i["received_at"].strftime("%Y-%m-%d %H:%M:%S"))
    out.print(table)
    table = Table(title="claims received")
    for column in ("CLM01", "payer", "charge", "999", "clearinghouse", "payer 277CA",
                   "payer claim no.", "835", "paid", "patient", "reversed"):
        table.add_column(column, overflow="fold")
    for c in data["claims"]:
        table.add_row(escape(c["pcn"]), escape(c["payer_id"]), c["charge"], c["ack999"] or "",
                      c["clearinghouse_status"] or "", c["payer_status"] or "",
                      c["payer_claim_number"] or "", c["era_status"] or "", c["paid"] or "",
                      c["patient_responsibility"] or "", "yes" if c["reversed"] else "")
    out.print(table)
    written = sum(r["state"] == "written" for r in data["responses"])
    out.print(f"{len(data['claims'])} claim(s) in {len(data['interchanges'])} interchange(s); "
              f"{written} answer file(s) written", highlight=False)
