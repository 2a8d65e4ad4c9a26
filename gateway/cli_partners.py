"""``gateway partners …`` (list, check, trust) and ``gateway upload`` / ``gateway poll``.

Hooked into the main command by :func:`register`. Exit codes follow gateway.cli
(0 done, 2 bad usage, 3 configuration or database) plus 4: the partner could not be
reached or a transfer failed (details on stderr; host-key and login failures need a
person, see docs/partners.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.errors import ConfigError, TransportError

if TYPE_CHECKING:
    from gateway.config import Settings
    from gateway.partners import PartnerDirectory, TradingPartner
    from gateway.service.app import App

TRANSPORT_FAILED = 4

partners_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                           help="Trading partners (clearinghouses): list, check, trust.")
transfer_app = typer.Typer(pretty_exceptions_enable=False,
                           help="Deliver the outbox and fetch responses.")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
PartnerOption = Annotated[str | None, typer.Option(
    "--partner", "-p", help="Only this partner (default: every configured partner).")]
# Given the open app, what to call with each uploaded file's id (claims batched → sent).
OnUploadedFactory = Callable[["App"], Callable[[int], None]]


class _Hooks:
    on_uploaded: OnUploadedFactory | None = None


def register(app: typer.Typer, *, on_uploaded: OnUploadedFactory | None = None) -> None:
    """Add ``partners`` and the ``upload`` / ``poll`` commands to the main app."""
    _Hooks.on_uploaded = on_uploaded
    app.add_typer(partners_app, name="partners")
    # Top-level commands, not a sub-group: copy them over (works on every typer version).
    app.registered_commands.extend(transfer_app.registered_commands)


def _settings() -> Settings:
    from gateway.cli import settings  # lazy: gateway.cli imports this module

    return settings()


def _directory(s: Settings) -> PartnerDirectory:
    from gateway.partners import load_partners

    directory = load_partners(s.partners_dir)
    if not len(directory):
        raise ConfigError(f"no trading partners configured in {s.partners_dir}")
    return directory


def _selected(s: Settings, name: str | None) -> list[TradingPartner]:
    directory = _directory(s)
    return [directory.get(name)] if name else list(directory)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(TRANSPORT_FAILED)


# --- partners list -----------------------------------------------------------------------


def _where(partner: TradingPartner) -> str:
    from gateway.partners import SftpTransport

    t = partner.transport
    if isinstance(t, SftpTransport):
        return f"sftp {t.username}@{t.host}:{t.port}"
    return f"local {t.root}"


@partners_app.command("list")
def partners_list(as_json: JsonOption = False) -> None:
    """List the configured trading partners."""
    partners = list(_directory(_settings()))
    rows: list[dict[str, Any]] = [{"name": p.name, "default": p.default, "payers": p.payer_ids,
             "transport": p.transport.kind, "where": _where(p),
             "usage": p.envelope.usage_indicator,
             "sender": f"{p.envelope.sender_qualifier}:{p.envelope.sender_id}",
             "receiver": f"{p.envelope.receiver_qualifier}:{p.envelope.receiver_id}",
             "after_download": p.folders.after_download} for p in partners]
    if as_json:
        _print_json(rows)
        return
    table = Table("name", "default", "payers", "transport", "usage", "ISA sender → receiver")
    for r in rows:
        payers = ", ".join(r["payers"]) or ("all others" if r["default"] else "none")
        table.add_row(escape(r["name"]), "yes" if r["default"] else "", escape(payers),
                      escape(r["where"]), "test" if r["usage"] == "T" else "PRODUCTION",
                      escape(f"{r['sender']} → {r['receiver']}"))
    out.print(table)


# --- partners check ----------------------------------------------------------------------

_STEPS = {"tcp": "TCP connect", "ssh": "SSH handshake", "host_key": "host key",
          "auth": "login", "sftp": "SFTP session"}


@partners_app.command("check")
def partners_check(name: Annotated[str, typer.Argument(help="Partner name.")],
                   as_json: JsonOption = False) -> None:
    """Connect, verify the host key, log in and list both folders; say what failed."""
    from gateway.transport.base import Side
    from gateway.transport.factory import open_transport
    from gateway.transport.retry import RetryPolicy

    partner = _directory(_settings()).get(name)
    steps: list[dict[str, Any]] = []

    def done(step: str, detail: str) -> None:
        steps.append({"step": step, "ok": True, "detail": detail})
        if not as_json:
            out.print(f"  [green]✓[/green] {_STEPS.get(step, step):<14} {escape(detail)}")

    if not as_json:
        out.print(f"partner {escape(partner.name)} ({escape(_where(partner))})")
    failure: tuple[str, Exception] | None = None
    with open_transport(partner, RetryPolicy.never()) as transport:
        connect = getattr(transport, "connect", None)  # SFTP only: step by step
        try:
            if connect is not None:
                connect(on_step=done)
            for side in (Side.OUTBOUND, Side.INBOUND):
                files = transport.list("*", side)
                done(str(side), f"{_folder(partner, side)}: {len(files)} file(s) waiting")
        except (TransportError, ConfigError) as exc:
            order = [*_STEPS, "outbound", "inbound"]
            passed = {s["step"] for s in steps}
            step = next((s for s in order if s not in passed), "?")
            if connect is None and step in _STEPS:
                step = "outbound" if "outbound" not in passed else "inbound"
            failure = (step, exc)
    if failure is not None:
        failed_step, problem = failure
        steps.append({"step": failed_step, "ok": False, "error": type(problem).__name__,
                      "detail": str(problem)})
    if as_json:
        _print_json({"partner": partner.name, "ok": failure is None, "steps": steps})
    elif failure is not None:
        out.print(f"  [red]✗[/red] {_STEPS.get(failed_step, failed_step):<14} "
                  f"{type(problem).__name__}: {escape(str(problem))}")
    if failure is not None:
        raise typer.Exit(TRANSPORT_FAILED)
    if not as_json:
        out.print("[green]ok[/green]")


def _folder(partner: TradingPartner, side: str) -> str:
    return partner.folders.outbound if side == "outbound" else partner.folders.inbound


# --- partners trust ----------------------------------------------------------------------


@partners_app.command("trust")
def partners_trust(
    name: Annotated[str, typer.Argument(help="Partner name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Record the key without asking "
                                      "(scripts; compare the fingerprint first!).")] = False,
) -> None:
    """Show the server's host key and, once you confirm, add it to known_hosts."""
    from gateway.partners import SftpTransport
    from gateway.transport.sftp import fetch_host_key, trusted_fingerprints

    partner = _directory(_settings()).get(name)
    config = partner.transport
    if not isinstance(config, SftpTransport):
        raise ConfigError(f"partner {name} uses a local folder: there is no host key")
    try:
        info = fetch_host_key(partner)
    except TransportError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"{escape(info.host_pattern)} offers host key\n"
              f"  type:        {info.key_type}\n  fingerprint: {info.sha256}")
    known = trusted_fingerprints(config)
    if f"{info.key_type} {info.sha256}" in known:
        out.print(f"already trusted in {config.known_hosts_file}")
        return
    if known:
        raise _fail(f"{config.known_hosts_file} already trusts a DIFFERENT key for "
                    f"{info.host_pattern} ({', '.join(known)}). If the clearinghouse confirms "
                    f"a key change out of band, remove the old line by hand and run trust "
                    f"again.")
    if config.known_hosts_file is None:
        raise ConfigError(f"partner {name} has no known_hosts_file; to pin this key put "
                          f'host_key_sha256 = "{info.sha256}" in its TOML file')
    out.print("Compare the fingerprint with the one the clearinghouse gave you "
              "(by phone or their portal — not by e-mail from an unknown sender).")
    if not yes and not typer.confirm(f"Trust this key for {partner.name}?", default=False):
        err.print("not trusted; nothing written")
        raise typer.Exit(1)
    _append_known_host(config.known_hosts_file, info.known_hosts_line())
    out.print(f"added to {config.known_hosts_file}")


def _append_known_host(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    with path.open("a", encoding="utf-8") as f:
        if existing and not existing.endswith("\n"):
            f.write("\n")
        f.write(line)


# --- upload / poll -----------------------------------------------------------------------


@transfer_app.command("upload")
def upload(partner: PartnerOption = None, as_json: JsonOption = False) -> None:
    """Upload the outbox (pending interchanges) to the partners' outbound folders."""
    from gateway.service.app import open_app
    from gateway.store.files import FileStore
    from gateway.transmission.upload import upload_pending
    from gateway.transport.factory import open_transport

    s = _settings()
    partners = _selected(s, partner)
    results: list[dict[str, Any]] = []
    with open_app(s) as gw:
        files = FileStore(gw.engine)
        hook = _Hooks.on_uploaded(gw) if _Hooks.on_uploaded else (lambda _file_id: None)
        for p in partners:
            try:
                with open_transport(p) as transport:
                    r = upload_pending(p, transport, files, gw.clock, hook)
            except TransportError as exc:
                results.append({"partner": p.name, "error": str(exc)})
                continue
            results.append({"partner": p.name, "uploaded": r.uploaded,
                            "recovered": r.recovered,
                            "skipped": [{"file_id": i, "reason": why} for i, why in r.skipped]})
    _report(results, as_json, lambda r: f"uploaded {len(r['uploaded'])}, found complete after "
            f"a crash {len(r['recovered'])}, skipped {len(r['skipped'])}")


@transfer_app.command("poll")
def poll(partner: PartnerOption = None, as_json: JsonOption = False) -> None:
    """Download new response files from the partners' inbound folders."""
    from gateway.service.app import open_app
    from gateway.store.files import FileStore
    from gateway.transmission.poll import poll_inbound
    from gateway.transport.factory import open_transport

    s = _settings()
    partners = _selected(s, partner)
    results: list[dict[str, Any]] = []
    with open_app(s) as gw:
        files = FileStore(gw.engine)
        for p in partners:
            try:
                with open_transport(p) as transport:
                    ids = poll_inbound(p, transport, files, s.data_dir, gw.clock)
            except TransportError as exc:
                results.append({"partner": p.name, "error": str(exc)})
                continue
            rows = [files.get(i) for i in ids]
            results.append({"partner": p.name, "files": [
                {"file_id": f.id, "name": f.name, "size": f.size, "sha256": f.sha256,
                 "status": f.status} for f in rows]})
    _report(results, as_json, lambda r: f"{len(r['files'])} new file(s)" + "".join(
        f"\n  {f['file_id']}  {f['name']}  {f['size']} bytes  {f['status']}"
        for f in r["files"]))


def _report(results: list[dict[str, Any]], as_json: bool,
            line: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        _print_json(results)
    else:
        for r in results:
            if "error" in r:
                err.print(f"[red]{escape(r['partner'])}: failed:[/red] {escape(r['error'])}",
                          highlight=False)
            else:
                out.print(f"{escape(r['partner'])}: {escape(line(r))}", highlight=False)
    if any("error" in r for r in results):
        raise typer.Exit(TRANSPORT_FAILED)
