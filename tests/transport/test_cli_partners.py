"""`gateway partners list|check|trust`, `gateway upload` and `gateway poll`, in process."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, cast

import pytest
import structlog
import typer
from sqlalchemy import Table, insert
from typer.testing import CliRunner

from gateway import cli_partners
from gateway.config import Settings
from gateway.store.db import Engine
from gateway.store.models import FileRow
from gateway.store.partners_store import PartnerStore
from tests.transport.conftest import NOW, SftpSite

files_t = cast(Table, FileRow.__table__)

SANDBOX = """
name = "sandbox"
default = true
[envelope]
sender_id = "ACMEBILL01"
receiver_id = "SANDBOXCH"
[receiver]
name = "SANDBOX CLEARINGHOUSE"
id = "SANDBOXCH"
[transport]
kind = "local"
root = "{root}"
[folders]
outbound = "to-ch"
inbound = "from-ch"
"""

SFTP = """
name = "acme-ch"
payer_ids = ["60054", "87726"]
[envelope]
sender_id = "ACMEBILL01"
receiver_id = "ACMECH"
usage_indicator = "P"
[receiver]
name = "ACME CLEARINGHOUSE"
id = "ACMECH"
[transport]
kind = "sftp"
host = "127.0.0.1"
port = {port}
username = "{user}"
key_file = "{key}"
known_hosts_file = "{known_hosts}"
connect_timeout = 5
[folders]
outbound = "{base}/outbound"
inbound = "{base}/inbound"
archive = "{base}/archive"
after_download = "archive"
"""


class Cli:
    """The partner commands on a typer app of their own, with test settings."""

    def __init__(self, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
                 ) -> None:
        self.partners = tmp_path / "partners"
        self.partners.mkdir()
        self.sandbox = tmp_path / "sandbox"
        (self.partners / "sandbox.toml").write_text(SANDBOX.format(root=self.sandbox))
        self.settings = Settings(data_dir=tmp_path / "var", partners_dir=self.partners,
                                 database={"url": database_url})
        monkeypatch.setattr(cli_partners, "_settings", lambda: self.settings)
        self.app = typer.Typer()
        cli_partners.register(self.app)

        @self.app.callback()
        def _root() -> None:
            """Keeps the sub-commands named."""

    def add_sftp(self, site: SftpSite, known_hosts: Path | None = None) -> None:
        server = site.server
        (self.partners / "acme-ch.toml").write_text(SFTP.format(
            port=server.port, user=server.user, key=server.client_key, base=site.base,
            known_hosts=known_hosts or server.known_hosts))

    def __call__(self, *args: str, expect: int = 0, input: str | None = None) -> Any:
        with structlog.testing.capture_logs():  # log lines stay out of the output
            result = CliRunner().invoke(self.app, list(args), input=input)
        assert result.exit_code == expect, (result.output, result.exception)
        return result


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path, database_url, monkeypatch)


def test_partners_list(cli: Cli, site: SftpSite) -> None:
    """Name, default, payers, where it points and test/production usage."""
    cli.add_sftp(site)
    rows = json.loads(cli("partners", "list", "--json").stdout)
    assert [(r["name"], r["default"], r["payers"], r["transport"], r["usage"]) for r in rows] == [
        ("acme-ch", False, ["60054", "87726"], "sftp", "P"),
        ("sandbox", True, [], "local", "T")]
    table = cli("partners", "list").stdout
    assert "PRODUCTION" in table and "all others" in table


def test_partners_check_reports_each_step(cli: Cli, site: SftpSite) -> None:
    """A reachable, trusted partner: every step ticked, exit 0."""
    cli.add_sftp(site)
    site.drop("waiting.999", b"ack")
    report = json.loads(cli("partners", "check", "acme-ch", "--json").stdout)
    assert report["ok"] is True
    assert [s["step"] for s in report["steps"]] == ["tcp", "ssh", "host_key", "auth", "sftp",
                                                     "outbound", "inbound"]
    assert "1 file(s)" in report["steps"][-1]["detail"]
    assert "✓" in cli("partners", "check", "sandbox").stdout


def test_partners_check_names_the_failed_step(cli: Cli, site: SftpSite,
                                               tmp_path: Path) -> None:
    """An untrusted host key: exit 4, the failure pinned on the host-key step."""
    cli.add_sftp(site, known_hosts=tmp_path / "nothing_trusted")
    report = json.loads(cli("partners", "check", "acme-ch", "--json", expect=4).stdout)
    assert report["ok"] is False
    failed = report["steps"][-1]
    assert (failed["step"], failed["error"]) == ("host_key", "HostKeyUnknown")
    assert "host key" in cli("partners", "check", "acme-ch", expect=4).stdout


def test_partners_trust_records_only_after_confirmation(cli: Cli, site: SftpSite,
                                                        tmp_path: Path) -> None:
    """Shows the fingerprint; "no" writes nothing; --yes appends the key; check passes."""
    known = tmp_path / "ssh" / "known_hosts"
    cli.add_sftp(site, known_hosts=known)
    refused = cli("partners", "trust", "acme-ch", input="n\n", expect=1)
    assert "SHA256:" in refused.stdout and not known.exists()
    cli("partners", "trust", "acme-ch", "--yes")
    assert known.read_text() == site.server.known_hosts_line()
    assert "already trusted" in cli("partners", "trust", "acme-ch", "--yes").stdout
    assert json.loads(cli("partners", "check", "acme-ch", "--json").stdout)["ok"] is True


def test_partners_trust_never_replaces_a_different_key(cli: Cli, site: SftpSite,
                                                       tmp_path: Path) -> None:
    """A known_hosts that trusts another key for the host: refused, file untouched."""
    known = tmp_path / "known_hosts"
    other = site.server.known_hosts_line().rsplit(" ", 1)[0] + " " + \
        "AAAAC3NzaC1lZDI1NTE5AAAAIHhn1tAiGGVh6CQl8vGSlCEhEKzprd6pNlp7p2F3fXUq\n"
    known.write_text(other)
    cli.add_sftp(site, known_hosts=known)
    result = cli("partners", "trust", "acme-ch", "--yes", expect=4)
    assert "DIFFERENT" in result.output and known.read_text() == other


def test_upload_and_poll_commands(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    """`upload` delivers the outbox to the sandbox folder; `poll` stores what came back."""
    data = b"ISA*00*interchange~"
    stored = tmp_path / "var" / "outbox" / "A_000000001.837"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(data)
    pid = PartnerStore(engine).ensure("sandbox", NOW)
    with engine.begin() as conn:
        conn.execute(insert(files_t).values(
            direction="out", partner_id=pid, name="A_000000001.837",
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), status="pending",
            stored_path=str(stored), created_at=NOW, updated_at=NOW))
    (uploaded,) = json.loads(cli("upload", "--partner", "sandbox", "--json").stdout)
    assert len(uploaded["uploaded"]) == 1
    assert (cli.sandbox / "to-ch" / "A_000000001.837").read_bytes() == data
    (cli.sandbox / "from-ch").mkdir()
    (cli.sandbox / "from-ch" / "resp.999").write_bytes(b"ISA*999~")
    (polled,) = json.loads(cli("poll", "--json").stdout)
    assert [(f["name"], f["status"]) for f in polled["files"]] == [("resp.999", "stored")]
    assert "0 new file(s)" in cli("poll").stdout
