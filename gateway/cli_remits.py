"""``gateway remits list`` and ``gateway remits show ID``: payments (835) for staff.

Hooked into the main command by :func:`register`. Exit codes follow gateway.cli:
0 done, 1 no such remittance, 2 bad usage, 3 configuration or database.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from gateway.config import Settings

remits_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Payments (835 remittances): list them, show one.")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
_SHOWN_CLAIMS = 500


def register(app: typer.Typer) -> None:
    """Add ``remits`` to the main app."""
    app.add_typer(remits_app, name="remits")


def _settings() -> Settings:
    from gateway.cli import settings  # lazy: gateway.cli imports this module

    return settings()


def _print_json(data: Any) -> None:
    from gateway.cli_views import dumps

    sys.stdout.write(dumps(data))


@remits_app.command("list")
def remits_list(
    payer: Annotated[str | None, typer.Option(
        help="Payer id, or part of the payer's name.")] = None,
    date_from: Annotated[dt.datetime | None, typer.Option(
        "--from", formats=["%Y-%m-%d"], help="Payment date on or after.")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option(
        "--to", formats=["%Y-%m-%d"], help="Payment date on or before.")] = None,
    unbalanced: Annotated[bool, typer.Option(
        "--unbalanced", help="Only payments that do not balance.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """List payments (one per check/EFT), newest first."""
    from gateway.service.app import open_app
    from gateway.store.remits import RemitFilter, RemitStore

    flt = RemitFilter(payer=payer, date_from=date_from.date() if date_from else None,
                      date_to=date_to.date() if date_to else None,
                      unbalanced_only=unbalanced, limit=limit, offset=offset)
    with open_app(_settings()) as gw:
        rows = RemitStore(gw.engine).list_remittances(flt)
    if as_json:
        _print_json(rows)
        return
    print_remittance_list(out, rows)


@remits_app.command("show")
def remits_show(
    remittance_id: Annotated[int, typer.Argument(help="Remittance id (from remits list).")],
    as_json: JsonOption = False,
) -> None:
    """One payment: header, balancing verdict, per-claim breakdown, provider adjustments."""
    from gateway.service.app import open_app
    from gateway.store.remits import RemitStore

    with open_app(_settings()) as gw:
        detail = RemitStore(gw.engine).remittance(
            remittance_id, claims_limit=None if as_json else _SHOWN_CLAIMS)
    if detail is None:
        err.print(f"no remittance with id {remittance_id}")
        raise typer.Exit(1)
    if as_json:
        _print_json(detail)
        return
    print_remittance(out, detail)


# --- rendering (also used by `gateway claims show`) -------------------------------------


def _money(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"-{-value:,.2f}" if value < 0 else f"{value:,.2f}"


def _when(value: dt.date | None) -> str:
    return value.isoformat() if value else "-"


def print_remittance_list(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    table = Table(title=f"{len(rows)} payments")
    for column in ("id", "paid on", "payer", "method", "trace", "amount", "claims",
                   "unmatched", "balanced", "file"):
        table.add_column(column, overflow="fold")
    for r in rows:
        payer = r["payer_name"] or r["payer_id"]
        table.add_row(str(r["id"]), _when(r["payment_date"]),
                      escape(f"{payer} ({r['payer_id']})"), r["payment_method_words"],
                      escape(r["trace_number"]), _money(r["payment_amount"]),
                      str(r["claims"]), str(r["unmatched"]),
                      "yes" if r["balanced"] else "[red]NO[/red]", escape(r["file"]))
    console.print(table)


def print_remittance(console: Console, d: dict[str, Any]) -> None:
    payer = escape(d["payer_name"] or "-")
    console.print(f"[bold]payment {d['id']}[/bold]: {_money(d['payment_amount'])} by "
                  f"{d['payment_method_words']} {escape(d['trace_number'])} on "
                  f"{_when(d['payment_date'])}")
    console.print(f"  payer    {payer} (id {escape(d['payer_id'])})")
    console.print(f"  file     {escape(d['file'])} (file id {d['file_id']}, response "
                  f"{d['response_id']})")
    b = d["balance"]
    verdict = "[green]balances[/green]" if b["balanced"] else "[red]DOES NOT BALANCE[/red]"
    console.print(f"  balance  {verdict}: claims paid {_money(b['claims_paid'])} − provider "
                  f"adjustments {_money(b['provider_adjustments'])} = "
                  f"{_money(b['expected_payment'])}; payment {_money(d['payment_amount'])}")
    if b["note"]:
        console.print(f"  [red]{escape(b['note'])}[/red]")
        console.print("  its claims were not posted; ask the payer for a corrected remittance")
    console.print(f"  claims   {d['claim_count']} ({d['matched']} ours, "
                  f"{d['claim_count'] - d['matched']} unmatched)")
    if d["claims"]:
        print_claim_payments(console, d["claims"], title="claims")
        if len(d["claims"]) < d["claim_count"]:
            console.print(f"  (first {len(d['claims'])} of {d['claim_count']} claims shown; "
                          "--json lists them all)")
    if d["plb"]:
        table = Table(title="provider-level adjustments (PLB)")
        for column in ("provider", "fiscal period", "reason", "reference", "amount"):
            table.add_column(column, overflow="fold")
        for p in d["plb"]:
            table.add_row(escape(p["provider"] or "-"), p["fiscal_period_date"] or "-",
                          escape(f"{p['reason']} {p['description']}"),
                          escape(p["reference"] or "-"), _money(p["amount"]))
        console.print(table)
        console.print("  (a positive PLB amount reduced the payment, a negative one added "
                      "to it)")


def print_claim_payments(console: Console, claims: Sequence[dict[str, Any]], *,
                         title: str = "payments") -> None:
    """A claim-by-claim (or payment-by-payment) breakdown with codes in words."""
    table = Table(title=title, show_lines=True)
    first = "payment" if any(c.get("trace_number") for c in claims) else "claim"
    for column in (first, "status", "charge", "paid", "patient", "outcome",
                   "adjustments", "remarks"):
        table.add_column(column, overflow="fold")
    for c in claims:
        head = escape(c["patient_control_number"])
        if c.get("trace_number"):
            head = (f"{_when(c.get('payment_date'))} {c['payment_method_words']} "
                    f"{escape(c['trace_number'])}")
        elif c["claim_id"] is None:
            head += " [yellow](not ours)[/yellow]"
        outcome = c["outcome"] or "-"
        if c["posting"] != "posted":
            outcome += f" [yellow]({escape(c['posting_words'])})[/yellow]"
        table.add_row(
            head, escape(f"{c['status_code']} {c['status_description']}"),
            _money(c["charge"]), _money(c["paid"]), _money(c["patient_responsibility"]),
            outcome,
            "\n".join(escape(f"{a['level']}: {a['group']}-{a['reason']} "
                             f"{_money(a['amount'])} {a['description']}")
                      for a in c["adjustments"]),
            "\n".join(escape(f"{r['code']} {r['description']}") for r in c["remarks"]))
    console.print(table)
