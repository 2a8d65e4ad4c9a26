"""Upload and poll use cases over both transports, with the real database: crash safety."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert

from gateway.clock import FixedClock
from gateway.domain.files import Direction, InboundStatus, OutboundStatus
from gateway.partners import TradingPartner
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.store.models import FileRow
from gateway.transmission.poll import poll_inbound
from gateway.transmission.upload import upload_pending
from gateway.transport.base import RemoteFile, Transport, temp_name
from gateway.transport.errors import ConnectionLost, RemoteFileError
from gateway.transport.sftp import SftpClientTransport
from tests.transport.conftest import Remote, SftpSite, quick_retry
from tests.transport.proxy import FaultyProxy

files_t = cast(Table, FileRow.__table__)


class Spy:
    """Wraps a transport: counts calls, and can fail chosen operations once."""

    def __init__(self, inner: Transport, fail_once: dict[str, Exception] | None = None,
                 listing: list[RemoteFile] | None = None) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}
        self.fail_once = dict(fail_once or {})
        self.listing = listing

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name in self.fail_once:
                raise self.fail_once.pop(name)
            if name == "list" and self.listing is not None:
                return self.listing
            return target(*args, **kwargs)
        return call


def add_outbound(engine: Engine, files: FileStore, clock: FixedClock, tmp_path: Path,
                 partner: TradingPartner, name: str, data: bytes) -> int:
    """An outbox row as submission leaves it: PENDING, bytes stored under data_dir."""
    stored = tmp_path / "var" / "outbox" / name
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(data)
    partner_id = files.ensure_partner(partner.name, clock.now())
    with engine.begin() as conn:
        return int(conn.execute(insert(files_t).returning(files_t.c.id).values(
            direction=Direction.OUTBOUND.value, partner_id=partner_id, name=name,
            sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            status=OutboundStatus.PENDING.value, stored_path=str(stored),
            created_at=clock.now(), updated_at=clock.now())).scalar_one())


def with_policy(partner: TradingPartner, policy: str) -> TradingPartner:
    folders = partner.folders.model_copy(update={"after_download": policy})
    return partner.model_copy(update={"folders": folders})


# --- upload -----------------------------------------------------------------------------


def test_upload_pending_delivers_and_records(remote: Remote, engine: Engine, files: FileStore,
                                             clock: FixedClock, tmp_path: Path) -> None:
    """PENDING → UPLOADED with remote name, size and time; the hook hears each file once."""
    data = b"ISA*00*...~" * 500
    file_id = add_outbound(engine, files, clock, tmp_path, remote.partner, "A_1.837", data)
    heard: list[int] = []
    report = upload_pending(remote.partner, remote.transport, files, clock, heard.append)
    assert report.uploaded == [file_id] and heard == [file_id]
    row = files.get(file_id)
    assert row.status == OutboundStatus.UPLOADED and row.size == len(data)
    assert row.remote_name is not None and row.remote_name.endswith("A_1.837")
    assert row.uploaded_at == clock.now() and row.attempts == 1
    assert (remote.dirs["outbound"] / "A_1.837").read_bytes() == data
    assert upload_pending(remote.partner, remote.transport, files, clock,
                          heard.append).uploaded == []


def test_crash_after_the_rename_is_resolved_without_a_second_put(
        remote: Remote, engine: Engine, files: FileStore, clock: FixedClock,
        tmp_path: Path) -> None:
    """UPLOADING + the final file on the server with the right size: marked uploaded,
    no put at all."""
    data = os.urandom(50_000)
    file_id = add_outbound(engine, files, clock, tmp_path, remote.partner, "B_2.837", data)
    files.mark_uploading(file_id, clock.now())
    remote.transport.put("B_2.837", data)  # the upload that finished before the crash
    spy = Spy(remote.transport)
    heard: list[int] = []
    report = upload_pending(remote.partner, cast(Transport, spy), files, clock, heard.append)
    assert spy.calls.get("put", 0) == 0
    assert report.recovered == [file_id] and heard == [file_id]
    assert files.get(file_id).status == OutboundStatus.UPLOADED
    assert remote.names("outbound") == {"B_2.837"}


def test_crash_before_the_rename_uploads_again_once(remote: Remote, engine: Engine,
                                                   files: FileStore, clock: FixedClock,
                                                   tmp_path: Path) -> None:
    """UPLOADING with only a half-written temp file on the server: one new put."""
    data = os.urandom(40_000)
    file_id = add_outbound(engine, files, clock, tmp_path, remote.partner, "C_3.837", data)
    files.mark_uploading(file_id, clock.now())
    remote.place("outbound", temp_name("C_3.837"), data[:1000])
    spy = Spy(remote.transport)
    report = upload_pending(remote.partner, cast(Transport, spy), files, clock, lambda _: None)
    assert spy.calls["put"] == 1 and report.uploaded == [file_id]
    assert files.get(file_id).attempts == 2
    assert remote.names("outbound") == {"C_3.837"}
    assert (remote.dirs["outbound"] / "C_3.837").read_bytes() == data


def test_an_altered_stored_copy_is_never_sent(remote: Remote, engine: Engine,
                                              files: FileStore, clock: FixedClock,
                                              tmp_path: Path) -> None:
    """Bytes that no longer match the recorded sha256 stay home, with the reason."""
    file_id = add_outbound(engine, files, clock, tmp_path, remote.partner, "D_4.837", b"good")
    (tmp_path / "var/outbox/D_4.837").write_bytes(b"evil")
    report = upload_pending(remote.partner, remote.transport, files, clock, lambda _: None)
    assert report.skipped and report.skipped[0][0] == file_id
    row = files.get(file_id)
    assert row.status == OutboundStatus.PENDING and row.error and "sha256" in row.error
    assert remote.names("outbound") == set()


def test_cut_mid_upload_then_next_cycle_sends_exactly_one_copy(
        site: SftpSite, engine: Engine, files: FileStore, clock: FixedClock,
        tmp_path: Path) -> None:
    """The cycle fails mid-transfer (row stays UPLOADING, error kept); the next cycle
    checks the server, uploads, and the hook fires once."""
    data = os.urandom(2 * 1024 * 1024)
    proxy = FaultyProxy(site.server.port, after_bytes=700_000)
    known = tmp_path / "known_hosts"
    known.write_text(site.server.known_hosts_line(proxy.port))
    partner = site.partner(port=proxy.port, known_hosts_file=str(known))
    file_id = add_outbound(engine, files, clock, tmp_path, partner, "E_5.837", data)
    heard: list[int] = []
    try:
        with SftpClientTransport(partner, quick_retry(attempts=1)) as t, \
                pytest.raises(ConnectionLost):
            upload_pending(partner, t, files, clock, heard.append)
        row = files.get(file_id)
        assert row.status == OutboundStatus.UPLOADING and row.error
        assert "E_5.837" not in os.listdir(site.folder("outbound"))
        with SftpClientTransport(partner, quick_retry()) as t:
            upload_pending(partner, t, files, clock, heard.append)
    finally:
        proxy.close()
    assert heard == [file_id] and files.get(file_id).status == OutboundStatus.UPLOADED
    assert os.listdir(site.folder("outbound")) == ["E_5.837"]
    assert (site.folder("outbound") / "E_5.837").read_bytes() == data


# --- poll -------------------------------------------------------------------------------


def test_poll_stores_privately_records_then_removes(remote: Remote, files: FileStore,
                                                    clock: FixedClock, tmp_path: Path) -> None:
    """Raw bytes under data_dir/inbound/<sha256> (0600, folder 0700), row STORED, and
    only then the remote file is deleted."""
    data = b"ISA*00*999 response~"
    remote.drop("resp1.999", data)
    partner = with_policy(remote.partner, "delete")
    data_dir = tmp_path / "var"
    (file_id,) = poll_inbound(partner, remote.transport, files, data_dir, clock)
    digest = hashlib.sha256(data).hexdigest()
    stored = data_dir / "inbound" / digest
    assert stored.read_bytes() == data
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    row = files.get(file_id)
    assert (row.status, row.sha256, row.size, row.name) == (InboundStatus.STORED, digest,
                                                            len(data), "resp1.999")
    assert row.stored_path == str(stored) and row.remote_name
    assert remote.names("inbound") == set()
    assert files.inbound_to_process() == [row]


def test_poll_archives_and_records_duplicates(remote: Remote, files: FileStore,
                                              clock: FixedClock, tmp_path: Path) -> None:
    """Archive policy moves files away; the same bytes again are recorded as DUPLICATE."""
    remote.drop("a.999", b"same bytes")
    remote.drop("b.999", b"same bytes")
    ids = poll_inbound(remote.partner, remote.transport, files, tmp_path / "var", clock)
    statuses = [files.get(i).status for i in ids]
    assert statuses == [InboundStatus.STORED, InboundStatus.DUPLICATE]
    assert remote.names("inbound") == set() and remote.names("archive") == {"a.999", "b.999"}
    assert len(os.listdir(tmp_path / "var" / "inbound")) == 1


def test_keep_policy_downloads_each_file_once(remote: Remote, files: FileStore,
                                              clock: FixedClock, tmp_path: Path) -> None:
    """Files left on the server are not downloaded again on the next poll."""
    remote.drop("k.835", b"remittance")
    partner = with_policy(remote.partner, "keep")
    assert len(poll_inbound(partner, remote.transport, files, tmp_path / "var", clock)) == 1
    assert poll_inbound(partner, remote.transport, files, tmp_path / "var", clock) == []
    assert remote.names("inbound") == {"k.835"}


def test_failed_removal_after_commit_is_finished_by_the_next_poll(
        remote: Remote, files: FileStore, clock: FixedClock, tmp_path: Path) -> None:
    """Stored and committed, but the remote delete fails: nothing is lost; the next poll
    records a duplicate and removes the file."""
    remote.drop("r.277", b"claim ack")
    partner = with_policy(remote.partner, "delete")
    spy = Spy(remote.transport, fail_once={"remove": RemoteFileError("permission denied")})
    first = poll_inbound(partner, cast(Transport, spy), files, tmp_path / "var", clock)
    assert remote.names("inbound") == {"r.277"}
    second = poll_inbound(partner, cast(Transport, spy), files, tmp_path / "var", clock)
    assert [files.get(i).status for i in first + second] == [InboundStatus.STORED,
                                                             InboundStatus.DUPLICATE]
    assert remote.names("inbound") == set()


def test_crash_before_commit_leaves_the_remote_file_for_the_next_poll(
        remote: Remote, files: FileStore, clock: FixedClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """If recording fails, the remote file stays; the next poll stores it once."""
    remote.drop("c.999", b"ack")
    partner = with_policy(remote.partner, "delete")

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("process killed")

    with monkeypatch.context() as m:
        m.setattr(files, "record_inbound", boom)
        with pytest.raises(RuntimeError):
            poll_inbound(partner, remote.transport, files, tmp_path / "var", clock)
    assert remote.names("inbound") == {"c.999"}
    (file_id,) = poll_inbound(partner, remote.transport, files, tmp_path / "var", clock)
    assert files.get(file_id).status == InboundStatus.STORED
    assert remote.names("inbound") == set()


def test_oversized_files_are_left_alone(remote: Remote, files: FileStore, clock: FixedClock,
                                        tmp_path: Path) -> None:
    """A file over max_file_size is neither downloaded nor removed; the rest go on."""
    remote.drop("big.835", b"x" * (remote.partner.max_file_size + 1))
    remote.drop("ok.999", b"fine")
    ids = poll_inbound(with_policy(remote.partner, "delete"), remote.transport, files,
                       tmp_path / "var", clock)
    assert [files.get(i).name for i in ids] == ["ok.999"]
    assert remote.names("inbound") == {"big.835"}


@pytest.mark.parametrize("hostile", ["../../x", "/etc/passwd", "a/b", "..", "x\x1b[2J"])
def test_hostile_names_from_a_server_cannot_escape_the_store(
        remote: Remote, files: FileStore, clock: FixedClock, tmp_path: Path,
        hostile: str) -> None:
    """A listing with a traversal name (as a malicious server could send) is refused:
    nothing is fetched, written or recorded."""
    spy = Spy(remote.transport, listing=[RemoteFile(hostile, 10, None, hostile)])
    data_dir = tmp_path / "deep" / "var"
    assert poll_inbound(remote.partner, cast(Transport, spy), files, data_dir, clock) == []
    assert spy.calls.get("get", 0) == 0 and spy.calls.get("remove", 0) == 0
    assert not data_dir.exists() and not (tmp_path / "x").exists()
    assert files.list_files() == []
