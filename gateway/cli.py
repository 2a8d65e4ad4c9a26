"""The ``gateway`` command. Thin: parse arguments, open the app, call a use case, print.

Output for people goes to stdout as tables (rich); ``--json`` gives the same data for
scripts. Logs go to stderr. Exit codes: 0 done, 1 done but claims were refused,
2 bad usage or unreadable input, 3 configuration or database problem, 4 a trading
partner could not be reached (the partner commands).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from gateway import __version__
from gateway.config import Settings, load_settings
from gateway.errors import ConfigError, GatewayError, IntakeError, StoreError
from gateway.logging import configure as configure_logging
from gateway.service.app import open_app

# No pretty exceptions: they print local variables, which may hold claim data.
app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="EDI claim gateway: claims in, 837P out, responses tracked.")
claims_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Import, look up and list claims.")
db_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                     help="Database schema.")
config_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Configuration.")
app.add_typer(claims_app, name="claims")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")

out = Console(soft_wrap=True)
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (default: config/gateway.toml "
                 "or $GATEWAY_CONFIG)", envvar="GATEWAY_CONFIG"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


class _State:
    config: Path | None = None


def settings() -> Settings:
    loaded = load_settings(_State.config)
    configure_logging(loaded.logging.level, loaded.logging.format)
    return loaded


@app.callback(invoke_without_command=True)
def _main(ctx: typer.Context, config: ConfigOption = None,
          version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False
          ) -> None:
    _State.config = config
    if version:
        out.print(__version__)
        raise typer.Exit
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit


def print_json(data: Any) -> None:
    from gateway.cli_views import dumps

    sys.stdout.write(dumps(data))


# --- db ----------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest revision."""
    from gateway.store import migrate
    from gateway.store.db import make_engine, translate_errors

    s = settings()
    engine = make_engine(s.database_url)
    try:
        with translate_errors(s.database_url):
            before = migrate.current_revision(engine)
            migrate.upgrade(engine)
            after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    out.print(f"database schema: {before or 'empty'} -> {after}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and of the code."""
    from gateway.store import migrate
    from gateway.store.db import make_engine, translate_errors

    s = settings()
    engine = make_engine(s.database_url)
    try:
        with translate_errors(s.database_url):
            current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs `gateway db upgrade`"
    out.print(f"database: {current or 'empty'}  code: {head}  ({state})")


# --- config ------------------------------------------------------------------------------


@config_app.command("check")
def config_check(as_json: JsonOption = False) -> None:
    """Validate the configuration, print it with secrets masked, and test the database."""
    from gateway.store import migrate
    from gateway.store.db import make_engine, translate_errors

    s = settings()
    engine = make_engine(s.database_url)
    try:
        with translate_errors(s.database_url):
            revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    report = {"settings": s.masked(), "database": {"reachable": True,
                                                   "schema_revision": revision,
                                                   "code_revision": migrate.head_revision()}}
    if as_json:
        print_json(report)
        return
    out.print_json(data=report["settings"])
    out.print(f"database reachable; schema {revision or 'empty'}, "
              f"code {migrate.head_revision()}")


# --- claims ------------------------------------------------------------------------------


@claims_app.command("schema")
def claims_schema() -> None:
    """Print the JSON Schema of one claim (the input format of `claims import`)."""
    from gateway.domain.claim import Claim

    print_json(Claim.model_json_schema())


@claims_app.command("import")
def claims_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[str | None, typer.Option("--format", "-f",
                                            help="json, jsonl, csv or x12 (default: from the "
                                                 "file name)")] = None,
    as_json: JsonOption = False,
    show_accepted: Annotated[bool, typer.Option("--all", help="List accepted claims too.")
                             ] = False,
) -> None:
    """Import claims; report each as accepted, refused (with rule codes) or unchanged."""
    from gateway.cli_views import import_progress, print_import_report
    from gateway.intake.importer import ImportSummary, Verdict
    from gateway.intake.records import InputFormat, count_units, detect_format

    s = settings()
    try:
        input_format = InputFormat(fmt) if fmt else detect_format(file)
    except ValueError as exc:
        raise IntakeError(f"unknown format {fmt!r}: use json, jsonl, csv or x12") from exc
    summary = ImportSummary(file.name)
    reports = []
    with open_app(s) as gw, import_progress(
            enabled=err.is_terminal and not as_json, console=err,
            total=count_units(file, input_format)) as advance:
        for report in gw.importer().import_file(file, input_format, progress=advance):
            summary.add(report)
            reports.append(report)
    print_import_report(out, summary, reports, as_json=as_json, show_accepted=show_accepted)
    if summary.counts[Verdict.REFUSED] or summary.counts[Verdict.LOCKED]:
        raise typer.Exit(1)


@claims_app.command("show")
def claims_show(
    patient_control_number: Annotated[str, typer.Argument(help="CLM01 of the claim.")],
    submitter: Annotated[str | None, typer.Option(help="Submitter id, when several "
                                                  "submitters share the number.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a claim's current status, why it was refused (if so) and its timeline."""
    from gateway.cli_views import claim_detail, print_claim_detail

    with open_app(settings()) as gw:
        found = gw.claims.find_by_pcn(patient_control_number, submitter)
        details = [claim_detail(gw.claims, summary) for summary in found]
    if not details:
        err.print(f"no claim with patient control number {patient_control_number!r}")
        raise typer.Exit(1)
    if as_json:
        print_json(details)
        return
    for detail in details:
        print_claim_detail(out, detail)


@claims_app.command("list")
def claims_list(
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="Only these statuses (repeatable).")] = None,
    payer: Annotated[str | None, typer.Option(help="Only this payer id.")] = None,
    date_from: Annotated[dt.datetime | None, typer.Option(
        "--from", formats=["%Y-%m-%d"], help="First service date on or after.")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option(
        "--to", formats=["%Y-%m-%d"], help="First service date on or before.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """List claims, filtered by status, payer and service dates."""
    from gateway.cli_views import print_claim_list
    from gateway.domain.status import ClaimStatus
    from gateway.store.claims import ClaimFilter

    try:
        statuses = [ClaimStatus(s) for s in status or []]
    except ValueError as exc:
        valid = ", ".join(s.value for s in ClaimStatus)
        raise IntakeError(f"unknown status; use one of: {valid}") from exc
    flt = ClaimFilter(statuses=statuses, payer_id=payer,
                      service_from=date_from.date() if date_from else None,
                      service_to=date_to.date() if date_to else None,
                      limit=limit, offset=offset)
    with open_app(settings()) as gw:
        rows = gw.claims.list_claims(flt)
    print_claim_list(out, rows, as_json=as_json)


# --- submission --------------------------------------------------------------------------


@app.command("submit")
def submit(
    partner: Annotated[str, typer.Option("--partner", "-p", help="Trading partner name "
                                         "(config/partners/NAME.toml).")],
    as_json: JsonOption = False,
) -> None:
    """Build, validate (pyx12) and place in the outbox one 837P interchange of ready claims."""
    from gateway.cli_views import print_submit_result

    with open_app(settings()) as gw:
        result = gw.submitter().submit(partner)
    print_submit_result(out, result, as_json=as_json)
    if result.validation_failed:
        raise typer.Exit(1)


# --- service ------------------------------------------------------------------------------


@app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Run every step once, then exit.")
                    ] = False,
    cycles: Annotated[int | None, typer.Option(help="Stop after this many cycles.")] = None,
) -> None:
    """The service: intake, submit, upload, poll and ingest on their schedules, for every
    trading partner, until SIGTERM/SIGINT (the current step finishes first)."""
    from gateway.service.runner import Service

    with open_app(settings()) as gw:
        code = Service(gw).run(once=once, max_cycles=cycles)
    raise typer.Exit(code)


@app.command("status")
def status(as_json: JsonOption = False) -> None:
    """Per partner: last successful step times, queue depths, claims per status,
    files awaiting upload or ingest, quarantined files, live instances."""
    from gateway.cli_views import print_status
    from gateway.store.service_store import ServiceStore

    with open_app(settings()) as gw:
        store = ServiceStore(gw.engine)
        since = gw.clock.now() - dt.timedelta(seconds=3 * gw.settings.service.heartbeat_seconds)
        data = {"partners": [p.name for p in gw.partners], "steps": store.steps(),
                "queues": store.queue_depths(), "instances": store.instances(since)}
    print_status(out, data, as_json=as_json)


@app.command("health")
def health() -> None:
    """Exit 0 when the database answers and a `gateway run` instance has a recent
    heartbeat (the container health check); 1 otherwise."""
    from gateway.store.service_store import ServiceStore

    with open_app(settings()) as gw:
        beat = gw.settings.service.heartbeat_seconds
        since = gw.clock.now() - dt.timedelta(seconds=3 * beat)
        live = [i for i in ServiceStore(gw.engine).instances(since) if i["stopped_at"] is None]
    if not live:
        err.print("no `gateway run` instance has sent a heartbeat recently")
        raise typer.Exit(1)
    out.print(f"ok: {len(live)} instance(s) alive")


# --- demo --------------------------------------------------------------------------------


@app.command("demo")
def demo() -> None:
    """Import the bundled sample claims and show what the gateway made of them."""
    from gateway.service.demo import run_demo

    with open_app(settings()) as gw:
        run_demo(gw, out)


def _register_subcommands() -> None:
    from gateway import cli_partners, cli_remits, cli_responses, cli_sandbox

    cli_responses.register(app)
    cli_remits.register(app)
    cli_sandbox.register(app)
    cli_partners.register(app, on_uploaded=_mark_sent)


def _mark_sent(gw: Any) -> Any:
    """After `gateway upload` records a file uploaded: its claims become SENT."""
    from gateway.store.submission import SubmissionStore

    store = SubmissionStore(gw.engine)
    store.reconcile_uploaded(gw.clock.now())
    return lambda file_id: store.mark_file_sent(file_id, gw.clock.now())


_register_subcommands()


def main() -> None:
    try:
        app()
    except (ConfigError, StoreError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(3)
    except GatewayError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(2)
