"""Fixtures for the transport tests: a real OpenSSH sshd, partners, remotes, a database.

The sshd runs once per session (tests/transport/sshd.py); each test gets its own
outbound/inbound/archive folders under it. Tests skip only when sshd is not
installed here (CI installs it) or the process is not root.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.partners import TradingPartner
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.transport.base import Side, Transport
from gateway.transport.factory import open_transport
from gateway.transport.retry import RetryPolicy
from tests.transport.sshd import Sshd, start_sshd, unavailable_reason

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    """A throw-away OpenSSH server on a free loopback port, stopped after the session."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = start_sshd()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def partner_config(transport: dict[str, Any], folders: dict[str, Any], **extra: Any
                   ) -> TradingPartner:
    return TradingPartner(**{
        "name": "acme-ch", "envelope": {"sender_id": "ACMEBILL01", "receiver_id": "ACMECH"},
        "receiver": {"name": "ACME CLEARINGHOUSE", "id": "ACMECH"},
        "transport": transport, "folders": folders, **extra})


@dataclass
class SftpSite:
    """Per-test folders on the sshd, and partner configs pointing at them."""

    server: Sshd
    base: Path

    def folder(self, side: Side | str) -> Path:
        return self.base / str(side)

    def partner(self, *, port: int | None = None, after_download: str = "archive",
                **transport: Any) -> TradingPartner:
        settings: dict[str, Any] = {
            "kind": "sftp", "host": "127.0.0.1", "port": port or self.server.port,
            "username": self.server.user, "key_file": str(self.server.client_key),
            "known_hosts_file": str(self.server.known_hosts), "connect_timeout": 5,
            "operation_timeout": 5, "keepalive_seconds": 0}
        settings.update(transport)
        return partner_config(settings, {
            "outbound": str(self.folder("outbound")), "inbound": str(self.folder("inbound")),
            "archive": str(self.folder("archive")), "after_download": after_download},
            max_file_size=4 * 1024 * 1024)

    def drop(self, name: str, data: bytes) -> Path:
        """A response file, placed in the inbound folder as the clearinghouse would."""
        path = self.folder("inbound") / name
        path.write_bytes(data)
        self.server.chown(path)
        return path


@pytest.fixture
def site(sshd: Sshd) -> Iterator[SftpSite]:
    """Fresh outbound/inbound/archive folders on the sshd for one test."""
    base = Path(tempfile.mkdtemp(prefix="t-", dir=sshd.data))
    sshd.chown(base)
    for side in ("outbound", "inbound", "archive"):
        sshd.make_dir(f"{base.name}/{side}")
    yield SftpSite(sshd, base)
    shutil.rmtree(base, ignore_errors=True)


@dataclass
class Remote:
    """A transport under test and a look at its folders from the server's side."""

    kind: str
    transport: Transport
    partner: TradingPartner
    dirs: dict[str, Path]
    chown: Callable[[Path], None]

    def names(self, side: str) -> set[str]:
        return {p.name for p in self.dirs[side].iterdir()}

    def place(self, side: str, name: str, data: bytes) -> Path:
        """A file written on the server's side, owned as if the server wrote it."""
        path = self.dirs[side] / name
        path.write_bytes(data)
        self.chown(path)
        return path

    def drop(self, name: str, data: bytes) -> Path:
        """A response waiting in the inbound folder."""
        return self.place("inbound", name, data)


def local_partner(root: Path, after_download: str = "archive") -> TradingPartner:
    return partner_config({"kind": "local", "root": str(root)},
                          {"outbound": "to-ch", "inbound": "from-ch", "archive": "done",
                           "after_download": after_download},
                          max_file_size=4 * 1024 * 1024)


@pytest.fixture(params=["local", "sftp"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Remote]:
    """The same contract, once over a local folder and once over real OpenSSH SFTP."""
    if request.param == "local":
        partner = local_partner(tmp_path / "sandbox")
        dirs = {"outbound": tmp_path / "sandbox/to-ch", "inbound": tmp_path / "sandbox/from-ch",
                "archive": tmp_path / "sandbox/done"}
        for d in dirs.values():
            d.mkdir(parents=True)
        def chown(_path: Path) -> None:
            return None
    else:
        sftp_site: SftpSite = request.getfixturevalue("site")
        partner = sftp_site.partner()
        dirs = {s: sftp_site.folder(s) for s in ("outbound", "inbound", "archive")}
        chown = sftp_site.server.chown  # type: ignore[assignment]
    with open_transport(partner, quick_retry()) as transport:
        yield Remote(request.param, transport, partner, dirs, chown)


class RecordingSleep:
    """Stands in for time.sleep in retry policies: records the waits, sleeps briefly."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def quick_retry(attempts: int = 3, sleep: Callable[[float], None] | None = None
                ) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, initial_wait=0.01, max_wait=0.05, jitter=0.005,
                       max_time=30, sleep=sleep or (lambda _s: None))




@pytest.fixture
def files(engine: Engine) -> FileStore:
    return FileStore(engine)


