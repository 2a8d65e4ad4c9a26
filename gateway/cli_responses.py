"""`gateway responses …`: load response files by hand, see and retry quarantined ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

responses_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                            help="TA1 / 999 / 277CA / 835 response files.")
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    app.add_typer(responses_app, name="responses")


def _console() -> Console:
    return Console(soft_wrap=True)


def result_dict(r: Any) -> dict[str, Any]:
    return {"file_id": r.file_id, "file": r.file_name, "outcome": r.outcome,
            "reason": r.reason, "kinds": r.kinds, "matched": r.matched,
            "unmatched": r.unmatched,
            "documents": [{"summary": a.summary, "matched": a.matched,
                           "unmatched": a.unmatched, "unmatched_items": a.unmatched_items,
                           "status_changes": a.status_changes} for a in r.applied]}


def print_results(results: list[Any], as_json: bool) -> None:
    from gateway.cli_views import dumps

    out = _console()
    if as_json:
        out.file.write(dumps([result_dict(r) for r in results]))
        return
    table = Table(title="response files")
    for column in ("file id", "file", "kinds", "outcome", "claims matched", "unmatched",
                   "status changes", "reason"):
        table.add_column(column, overflow="fold")
    for r in results:
        style = {"applied": "green", "quarantined": "red"}.get(r.outcome, "dim")
        table.add_row(str(r.file_id), escape(r.file_name), ", ".join(r.kinds),
                      f"[{style}]{r.outcome}[/{style}]", str(r.matched), str(r.unmatched),
                      str(sum(a.status_changes for a in r.applied)), escape(r.reason or ""))
    out.print(table)


@responses_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    partner: Annotated[str | None, typer.Option(
        "--partner", "-p", help="Which clearinghouse sent it (default: the default partner).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load response files by hand (type read from the content, never the name)."""
    from gateway.cli import settings
    from gateway.errors import ConfigError
    from gateway.service.app import open_app

    with open_app(settings()) as gw:
        name = partner or next((p.name for p in gw.partners if p.default), None)
        if name is None:
            raise ConfigError("no default trading partner: pass --partner NAME")
        gw.partners.get(name)
        ingestor = gw.ingestor()
        results = [ingestor.import_file(path, name) for path in files]
    print_results(results, as_json)
    if any(r.outcome == "quarantined" for r in results):
        raise typer.Exit(1)


@responses_app.command("process")
def process(as_json: JsonOption = False) -> None:
    """Read every downloaded response file not processed yet."""
    from gateway.cli import settings
    from gateway.service.app import open_app

    with open_app(settings()) as gw:
        results = gw.ingestor().process_stored()
    print_results(results, as_json)


@responses_app.command("quarantine")
def quarantine(as_json: JsonOption = False) -> None:
    """Response files that could not be understood, with the reason."""
    from gateway.cli import settings
    from gateway.cli_views import dumps
    from gateway.service.app import open_app
    from gateway.store.responses import ResponseStore

    with open_app(settings()) as gw:
        rows = ResponseStore(gw.engine).quarantined()
    out = _console()
    if as_json:
        out.file.write(dumps(rows))
        return
    table = Table(title=f"{len(rows)} quarantined response file(s)")
    for column in ("file id", "file", "size", "received (UTC)", "reason"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), escape(r["name"]), str(r["size"]),
                      f"{r['created_at']:%Y-%m-%d %H:%M}", escape(r["error"] or ""))
    out.print(table)
    if rows:
        out.print("After a fix: gateway responses retry FILE_ID")


@responses_app.command("retry")
def retry(file_id: Annotated[int, typer.Argument(help="Id from `responses quarantine`.")],
          as_json: JsonOption = False) -> None:
    """Run a quarantined file again."""
    from gateway.cli import settings
    from gateway.service.app import open_app

    with open_app(settings()) as gw:
        result = gw.ingestor().retry(file_id)
    print_results([result], as_json)
    if result.outcome == "quarantined":
        raise typer.Exit(1)


@responses_app.command("unmatched")
def unmatched(as_json: JsonOption = False) -> None:
    """Parts of responses that matched nothing we sent (kept for staff, never dropped)."""
    from gateway.cli import settings
    from gateway.cli_views import dumps
    from gateway.service.app import open_app
    from gateway.store.responses import ResponseStore

    with open_app(settings()) as gw:
        rows = ResponseStore(gw.engine).unmatched()
    out = _console()
    if as_json:
        out.file.write(dumps(rows))
        return
    table = Table(title=f"{len(rows)} response(s) with unmatched parts")
    for column in ("response id", "kind", "file", "unmatched", "what"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), r["kind"], escape(r["file"]), str(r["unmatched"]),
                      escape(dumps(r["unmatched_items"]).strip()))
    out.print(table)
