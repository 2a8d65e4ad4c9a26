"""`gateway demo`: the bundled sample claims through intake, with a guided summary.

Grows with the gateway: today it shows intake, scrubbing and look-up; the sandbox
clearinghouse round trip joins it when submission and responses land.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gateway.cli_views import print_import_report
from gateway.intake.importer import ImportSummary
from gateway.service.app import App

SAMPLES = "demo-claims.jsonl"


def sample_path() -> Path:
    return Path(str(resources.files("gateway.samples").joinpath(SAMPLES)))


def run_demo(gw: App, console: Console) -> ImportSummary:
    path = sample_path()
    console.print(f"[bold]Importing the bundled sample claims[/bold] ({path.name}) into "
                  f"{gw.settings.masked()['database']['url']}\n")
    summary = ImportSummary(path.name)
    reports = []
    for report in gw.importer().import_file(path):
        summary.add(report)
        reports.append(report)
    print_import_report(console, summary, reports, as_json=False, show_accepted=False)

    table = Table(title="claims in the database by status")
    table.add_column("status")
    table.add_column("claims", justify="right")
    for status, count in sorted(gw.claims.counts_by_status().items()):
        table.add_row(status.value, str(count))
    console.print(table)
    example = next((r for r in reports if r.patient_control_number), None)
    console.print("\nNext:")
    console.print("  gateway claims list                      every claim and its status")
    console.print("  gateway claims list --status invalid     the refused ones")
    if example:
        console.print(f"  gateway claims show {example.patient_control_number:<20} "
                      "one claim: status, reasons, timeline")
    console.print("  gateway demo                             again: nothing changes "
                  "(imports are idempotent)")
    return summary
