"""SFTP against a real OpenSSH server when things go wrong: keys, logins, outages, cuts."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import ConfigError
from gateway.partners import TradingPartner
from gateway.transport.base import Side
from gateway.transport.errors import (
    ConnectionLost,
    HostKeyMismatch,
    HostKeyUnknown,
    TransportAuthError,
    TransportConnectError,
    TransportTimeout,
)
from gateway.transport.sftp import SftpClientTransport, fetch_host_key
from tests.transport.conftest import RecordingSleep, SftpSite, quick_retry
from tests.transport.proxy import FaultyProxy
from tests.transport.sshd import free_port, keygen


def other_host_key_line(tmp_path: Path, port: int) -> str:
    key = keygen(tmp_path / "impostor_host_key")
    kind, blob = key.with_suffix(".pub").read_text().split()[:2]
    return f"[127.0.0.1]:{port} {kind} {blob}\n"


def through(proxy: FaultyProxy, site: SftpSite, tmp_path: Path, **settings: Any
            ) -> TradingPartner:
    """The site's partner, reached through ``proxy`` (its port trusted in a known_hosts)."""
    known = tmp_path / "known_hosts_proxy"
    known.write_text(site.server.known_hosts_line(proxy.port))
    return site.partner(port=proxy.port, known_hosts_file=str(known), **settings)


def test_connects_and_reports_the_verified_host_key(site: SftpSite) -> None:
    """A trusted server: connect verifies its ed25519 key and opens SFTP, first try."""
    steps: list[str] = []
    with SftpClientTransport(site.partner(), quick_retry()) as t:
        info = t.connect(on_step=lambda step, _detail: steps.append(step))
        assert info.key_type == "ssh-ed25519" and info.sha256.startswith("SHA256:")
        assert t.list() == []
        assert t.connect_attempts == 1
    assert steps == ["tcp", "ssh", "host_key", "auth", "sftp"]


def test_unknown_host_key_is_refused_and_not_retried(site: SftpSite, tmp_path: Path) -> None:
    """No known_hosts entry for the server: HostKeyUnknown, one attempt, no login tried."""
    empty = tmp_path / "known_hosts"
    empty.write_text("[other.example]:22 " + site.server.host_public_key() + "\n")
    sleep = RecordingSleep()
    with SftpClientTransport(site.partner(known_hosts_file=str(empty)),
                             quick_retry(sleep=sleep)) as t:
        with pytest.raises(HostKeyUnknown, match="partners trust"):
            t.connect()
        assert t.connect_attempts == 1 and sleep.waits == []


def test_changed_host_key_is_refused_before_any_login(site: SftpSite, tmp_path: Path) -> None:
    """A different key than the trusted one: HostKeyMismatch — even with a bad client key,
    because the host is checked before credentials are offered."""
    known = tmp_path / "known_hosts"
    known.write_text(other_host_key_line(tmp_path, site.server.port))
    wrong_client = keygen(tmp_path / "stranger")
    with SftpClientTransport(site.partner(known_hosts_file=str(known),
                                          key_file=str(wrong_client)), quick_retry()) as t:
        with pytest.raises(HostKeyMismatch, match="differs"):
            t.connect()
        assert t.connect_attempts == 1


def test_pinned_fingerprint_alone_is_enough_and_must_match(site: SftpSite) -> None:
    """host_key_sha256 without a known_hosts file: the right pin connects, a wrong one not."""
    right = fetch_host_key(site.partner()).sha256
    pinned = site.partner(known_hosts_file=None, host_key_sha256=right)
    with SftpClientTransport(pinned, quick_retry()) as t:
        assert t.connect().sha256 == right
    wrong = site.partner(known_hosts_file=None,
                         host_key_sha256="SHA256:" + "A" * 43)
    with SftpClientTransport(wrong, quick_retry()) as t, pytest.raises(HostKeyMismatch):
        t.connect()


def test_a_pin_that_disagrees_with_known_hosts_is_refused(site: SftpSite) -> None:
    """With both a known_hosts entry and a pin, both must match."""
    both = site.partner(host_key_sha256="SHA256:" + "B" * 43)
    with SftpClientTransport(both, quick_retry()) as t, pytest.raises(HostKeyMismatch):
        t.connect()


def test_wrong_client_key_is_an_auth_failure_never_retried(site: SftpSite,
                                                           tmp_path: Path) -> None:
    """The server refuses our key: TransportAuthError after exactly one attempt."""
    stranger = keygen(tmp_path / "stranger")
    sleep = RecordingSleep()
    with SftpClientTransport(site.partner(key_file=str(stranger)),
                             quick_retry(attempts=5, sleep=sleep)) as t:
        with pytest.raises(TransportAuthError) as caught:
            t.put("x.837", b"data")
        assert t.connect_attempts == 1 and sleep.waits == []
    assert not caught.value.retryable and caught.value.attempts == 1
    assert os.listdir(site.folder("outbound")) == []


def test_rsa_and_passphrase_protected_keys_log_in(site: SftpSite, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """RSA keys work, and an encrypted ed25519 key opens with the passphrase from env."""
    rsa = keygen(tmp_path / "client_rsa", "rsa")
    locked = keygen(tmp_path / "client_locked", passphrase="correct horse")
    site.server.authorize(rsa.with_suffix(".pub"))
    site.server.authorize(locked.with_suffix(".pub"))
    with SftpClientTransport(site.partner(key_file=str(rsa)), quick_retry()) as t:
        assert t.list() == []
    monkeypatch.setenv("ACME_KEY_PASSPHRASE", "correct horse")
    with SftpClientTransport(site.partner(key_file=str(locked),
                                          key_passphrase_env="ACME_KEY_PASSPHRASE"),
                             quick_retry()) as t:
        assert t.list() == []


def test_encrypted_key_without_its_passphrase_is_a_config_error(
        site: SftpSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A passphrase variable that is named but unset, or no passphrase at all, is said so."""
    locked = keygen(tmp_path / "client_locked", passphrase="secret")
    monkeypatch.delenv("ACME_KEY_PASSPHRASE", raising=False)
    named = site.partner(key_file=str(locked), key_passphrase_env="ACME_KEY_PASSPHRASE")
    with SftpClientTransport(named, quick_retry()) as t, \
            pytest.raises(ConfigError, match="ACME_KEY_PASSPHRASE"):
        t.connect()
    with SftpClientTransport(site.partner(key_file=str(locked)), quick_retry()) as t, \
            pytest.raises(ConfigError, match="encrypted"):
        t.connect()


def test_server_down_is_retried_with_backoff_then_reported(site: SftpSite) -> None:
    """Connection refused: retried with growing waits, then a clear error with the count."""
    sleep = RecordingSleep()
    dead = site.partner(port=free_port())
    with SftpClientTransport(dead, quick_retry(attempts=4, sleep=sleep)) as t:
        with pytest.raises(TransportConnectError) as caught:
            t.put("x.837", b"data")
        assert t.connect_attempts == 4
    assert len(sleep.waits) == 3
    assert sleep.waits == sorted(sleep.waits) and sleep.waits[0] < sleep.waits[-1]
    message = str(caught.value)
    assert "connection refused" in message and "after 4 attempts" in message


def test_connection_cut_mid_upload_leaves_no_file_under_the_final_name(
        site: SftpSite, tmp_path: Path) -> None:
    """The connection drops while the bytes flow: the final name never appears; a second
    put delivers one complete copy."""
    data = os.urandom(3 * 1024 * 1024)
    proxy = FaultyProxy(site.server.port, after_bytes=1024 * 1024)
    try:
        partner = through(proxy, site, tmp_path)
        with SftpClientTransport(partner, quick_retry(attempts=1)) as t:
            with pytest.raises(ConnectionLost) as caught:
                t.put("CUT_000000001.837", data)
            assert caught.value.retryable
            assert proxy.faults == 1
            assert "CUT_000000001.837" not in os.listdir(site.folder("outbound"))
            t.put("CUT_000000001.837", data)  # reconnects by itself
        assert os.listdir(site.folder("outbound")) == ["CUT_000000001.837"]
        assert (site.folder("outbound") / "CUT_000000001.837").read_bytes() == data
    finally:
        proxy.close()


def test_retry_after_a_cut_delivers_exactly_one_complete_copy(site: SftpSite,
                                                              tmp_path: Path) -> None:
    """With retries on, one put call survives the cut: reconnect, re-upload, one file."""
    data = os.urandom(2 * 1024 * 1024)
    proxy = FaultyProxy(site.server.port, after_bytes=600_000)
    try:
        with SftpClientTransport(through(proxy, site, tmp_path), quick_retry()) as t:
            remote = t.put("RETRY_000000002.837", data)
            assert t.connect_attempts == 2 and proxy.faults == 1
        assert remote.size == len(data)
        assert os.listdir(site.folder("outbound")) == ["RETRY_000000002.837"]
        assert (site.folder("outbound") / "RETRY_000000002.837").read_bytes() == data
    finally:
        proxy.close()


def test_a_hung_server_times_out_and_the_retry_completes(site: SftpSite,
                                                         tmp_path: Path) -> None:
    """The server stops answering mid-upload: operation_timeout fires (TransportTimeout),
    the retry reconnects and delivers."""
    data = os.urandom(4 * 1024 * 1024)
    proxy = FaultyProxy(site.server.port, after_bytes=500_000, mode="stall")
    try:
        partner = through(proxy, site, tmp_path, operation_timeout=0.5)
        with SftpClientTransport(partner, quick_retry(attempts=1)) as t, \
                pytest.raises(TransportTimeout) as caught:
            t.put("HUNG_000000003.837", data)
        assert caught.value.retryable
        with SftpClientTransport(partner, quick_retry()) as t:
            t.put("HUNG_000000003.837", data)
        assert (site.folder("outbound") / "HUNG_000000003.837").read_bytes() == data
    finally:
        proxy.close()


def test_one_connection_serves_the_whole_cycle(site: SftpSite) -> None:
    """Many operations, one TCP connection."""
    with SftpClientTransport(site.partner(), quick_retry()) as t:
        for i in range(5):
            t.put(f"f{i}.837", b"x" * i)
        t.list("*", Side.OUTBOUND)
        t.get("f3.837", Side.OUTBOUND)
        assert t.connect_attempts == 1


def test_fetch_host_key_needs_no_trust_and_no_login(site: SftpSite, tmp_path: Path) -> None:
    """`partners trust` sees the key of a server nothing trusts yet, without credentials."""
    nothing = site.partner(known_hosts_file=str(tmp_path / "absent"),
                           key_file=str(tmp_path / "no-such-key"))
    info = fetch_host_key(nothing)
    assert info.known_hosts_line() == site.server.known_hosts_line()


def test_a_silent_server_times_out_and_is_retried(site: SftpSite) -> None:
    """TCP accepted but no SSH banner: TransportTimeout after connect_timeout, retried."""
    silent = socket.create_server(("127.0.0.1", 0))  # never accepts, never speaks
    try:
        partner = site.partner(port=silent.getsockname()[1], connect_timeout=0.3)
        with SftpClientTransport(partner, quick_retry(attempts=2)) as t:
            with pytest.raises(TransportTimeout, match=r"banner|key exchange") as caught:
                t.connect()
            assert t.connect_attempts == 2
        assert caught.value.attempts == 2
    finally:
        silent.close()


def test_a_key_exchange_that_stalls_times_out(site: SftpSite, tmp_path: Path) -> None:
    """The server goes quiet during the handshake: a timeout, not a protocol error."""
    proxy = FaultyProxy(site.server.port, after_bytes=100, mode="stall")
    try:
        partner = through(proxy, site, tmp_path, connect_timeout=0.5)
        with SftpClientTransport(partner, quick_retry(attempts=1)) as t, \
                pytest.raises(TransportTimeout) as caught:
            t.connect()
        assert caught.value.retryable
    finally:
        proxy.close()
