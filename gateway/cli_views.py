"""How the CLI shows things: tables for people, plain dicts for ``--json``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.intake.importer import ClaimReport, ImportSummary, ProgressFn, Verdict
from gateway.store.claims import ClaimStore, ClaimSummary
from gateway.submission.submit import SubmitResult

_VERDICT_STYLE = {Verdict.ACCEPTED: "green", Verdict.REFUSED: "red",
                  Verdict.UNCHANGED: "dim", Verdict.LOCKED: "yellow"}


@contextmanager
def import_progress(*, enabled: bool, console: Console, total: int | None
                    ) -> Iterator[ProgressFn | None]:
    """A progress bar on a terminal; nothing when output is piped."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("import", total=total)
        yield lambda n: progress.advance(task, n)


def report_dict(report: ClaimReport) -> dict[str, Any]:
    return {
        "ref": report.ref, "patient_control_number": report.patient_control_number,
        "verdict": report.verdict.value,
        "outcome": report.outcome.value if report.outcome else None,
        "status": report.status.value if report.status else None,
        "claim_id": report.claim_id,
        "findings": [f.as_dict() for f in report.findings],
    }


def print_import_report(console: Console, summary: ImportSummary,
                        reports: Sequence[ClaimReport], *, as_json: bool,
                        show_accepted: bool) -> None:
    counts = {v.value: n for v, n in summary.counts.items()}
    if as_json:
        console.file.write(dumps({"file": summary.file, "total": summary.total,
                                   "counts": counts, "replaced": summary.replaced,
                                   "claims": [report_dict(r) for r in reports]}))
        return
    shown = [r for r in reports if show_accepted or r.verdict in (Verdict.REFUSED,
                                                                  Verdict.LOCKED)]
    if shown:
        table = Table(title=f"claims in {escape(summary.file)}", show_lines=False)
        for column in ("where", "claim", "verdict", "rule", "field", "reason"):
            table.add_column(column, overflow="fold")
        for r in shown:
            style = _VERDICT_STYLE[r.verdict]
            first = True
            for f in r.findings or (None,):
                table.add_row(
                    r.ref if first else "", escape(r.patient_control_number or "-")
                    if first else "", f"[{style}]{r.verdict.value}[/{style}]" if first else "",
                    f.rule if f else "", escape(f.path) if f else "",
                    escape(f.message) if f else "")
                first = False
        console.print(table)
    console.print(
        f"{summary.file}: {summary.total} claims — "
        f"[green]{counts['accepted']} accepted[/green] ({summary.replaced} replacing an "
        f"earlier version), [red]{counts['refused']} refused[/red], "
        f"{counts['unchanged']} unchanged, [yellow]{counts['locked']} already sent[/yellow]")


def summary_dict(s: ClaimSummary) -> dict[str, Any]:
    data = asdict(s)
    data["status"] = s.status.value
    return data


def claim_detail(store: ClaimStore, summary: ClaimSummary) -> dict[str, Any]:
    from gateway.store.remits import RemitStore

    return {
        "claim": summary_dict(summary),
        "findings": [f.as_dict() for f in store.findings(summary.id, summary.version_no)],
        "timeline": [asdict(e) for e in store.timeline(summary.id)],
        "payments": RemitStore(store.engine).payments_for_claim(summary.id),
    }


def print_claim_detail(console: Console, detail: dict[str, Any]) -> None:
    c = detail["claim"]
    dates = str(c["service_date_from"] or "-")
    if c["service_date_to"] and c["service_date_to"] != c["service_date_from"]:
        dates += f" to {c['service_date_to']}"
    console.print(f"[bold]claim {escape(c['patient_control_number'])}[/bold] "
                  f"(id {c['id']}, submitter {escape(c['submitter_id'])}, "
                  f"frequency {c['frequency_code']}, version {c['version_no']})")
    since = f"{c['status_changed_at']:%Y-%m-%d %H:%M:%S}"
    console.print(f"  status   [bold]{c['status']}[/bold] since {since} UTC")
    console.print(f"  payer    {escape(c['payer_id'] or '-')}    charge {c['total_charge'] or '-'}"
                  f"    service {dates}")
    if c["payer_claim_control_number"]:
        console.print(f"  payer claim control number {escape(c['payer_claim_control_number'])}")
    if c.get("original_claim_id"):
        kind = "replacement" if c["frequency_code"] == "7" else "void"
        console.print(f"  corrects claim id {c['original_claim_id']} ({kind})")
    if detail["findings"]:
        table = Table(title="why it was refused")
        for column in ("rule", "field", "reason"):
            table.add_column(column, overflow="fold")
        for f in detail["findings"]:
            table.add_row(f["rule"], escape(f["path"]), escape(f["message"]))
        console.print(table)
    timeline = Table(title="timeline")
    for column in ("when (UTC)", "event", "status", "source", "detail"):
        timeline.add_column(column, overflow="fold")
    for e in detail["timeline"]:
        move = f"{e['from_status'] or '—'} → {e['to_status']}" if e["to_status"] else ""
        source = e["source"] + (f" ({escape(e['source_ref'])})" if e["source_ref"] else "")
        reason = " ".join(x for x in (e["code"], e["reason"]) if x)
        timeline.add_row(f"{e['at']:%Y-%m-%d %H:%M:%S}", e["kind"], move, source,
                         escape(reason))
    console.print(timeline)
    if detail.get("payments"):
        from gateway.cli_remits import print_claim_payments

        print_claim_payments(console, detail["payments"], title="payments (835)")


def print_claim_list(console: Console, rows: Sequence[ClaimSummary], *, as_json: bool
                     ) -> None:
    if as_json:
        console.file.write(dumps([summary_dict(r) for r in rows]))
        return
    table = Table(title=f"{len(rows)} claims")
    for column in ("id", "claim", "status", "payer", "charge", "service from", "updated (UTC)"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(str(r.id), escape(r.patient_control_number), r.status.value,
                      escape(r.payer_id or "-"), str(r.total_charge or "-"),
                      str(r.service_date_from or "-"), f"{r.status_changed_at:%Y-%m-%d %H:%M}")
    console.print(table)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)  # Decimal and enums: exact text, no float rounding


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default) + "\n"


def print_submit_result(console: Console, r: SubmitResult, *, as_json: bool) -> None:
    if as_json:
        console.file.write(dumps({
            "partner": r.partner, "held": r.held, "requeued_stale": r.requeued_stale,
            "control_number": r.control_number, "claims": r.claims_sent_to_outbox,
            "file": str(r.file_path) if r.file_path else None, "file_id": r.file_id,
            "requeued": r.requeued,
            "validation_failed": {str(cid): [f.as_dict() for f in fs]
                                  for cid, fs in r.validation_failed.items()},
        }))
        return
    if r.requeued_stale:
        console.print(f"re-queued the claims of {r.requeued_stale} interchange(s) a stopped "
                      "run left half-built")
    if r.held:
        console.print(f"[yellow]{r.held} claim(s) held[/yellow]: no trading partner carries "
                      "their payer (gateway claims list --status held)")
    if r.control_number is None:
        console.print(f"{r.partner}: no claims ready to send")
        return
    if r.validation_failed:
        console.print(f"[red]interchange {r.control_number:09d} failed pyx12 validation; "
                      "nothing was placed in the outbox[/red]")
        table = Table(title="claims charged with the errors")
        for column in ("claim id", "code", "where", "what"):
            table.add_column(column, overflow="fold")
        for cid, findings in r.validation_failed.items():
            for f in findings:
                table.add_row(str(cid), f.rule, escape(f.path), escape(f.message))
        console.print(table)
        console.print(f"{len(r.validation_failed)} claim(s) → validation_failed, "
                      f"{r.requeued} re-queued for the next run")
        return
    console.print(f"[green]{r.partner}: interchange {r.control_number:09d} with "
                  f"{r.claims_sent_to_outbox} claim(s) validated (0 pyx12 errors) and placed in "
                  f"the outbox[/green]: {escape(str(r.file_path))}")


def print_status(console: Console, data: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        console.file.write(dumps(data))
        return
    queues = data["queues"]
    live = [i for i in data["instances"] if i["stopped_at"] is None]
    console.print(f"instances running: {len(live)}"
                  + "".join(f"\n  {escape(i['instance_id'])} (last heartbeat "
                            f"{i['last_beat_at']:%Y-%m-%d %H:%M:%S})" for i in live))
    table = Table(title="steps")
    for column in ("partner", "step", "last success (UTC)", "last failure (UTC)", "runs",
                   "failures", "last error"):
        table.add_column(column, overflow="fold")
    for s in data["steps"]:
        table.add_row(escape(s["partner"]), s["step"], _when(s["last_success_at"]),
                      _when(s["last_failure_at"]), str(s["runs"]), str(s["failures"]),
                      escape(s["last_error"] or ""))
    console.print(table)
    claims = Table(title="claims per status")
    claims.add_column("status")
    claims.add_column("claims", justify="right")
    for status, count in sorted(queues["claims"].items()):
        claims.add_row(status, str(count))
    console.print(claims)
    console.print(f"files awaiting upload: {queues['awaiting_upload']}   "
                  f"responses awaiting ingest: {queues['awaiting_ingest']}   "
                  f"quarantined responses: {queues['quarantined']}")


def _when(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"
