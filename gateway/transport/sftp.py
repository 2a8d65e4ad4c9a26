"""SFTP to a clearinghouse over paramiko — the only module that imports paramiko.

How a careful operator's client behaves, and why:

- We open the TCP socket ourselves, with ``TCP_NODELAY`` (paramiko never sets it:
  ~3× slower for many small files) and the connect timeout, then hand it to
  ``paramiko.Transport``. Banner, handshake and auth timeouts are the partner's
  ``connect_timeout``; every SFTP request waits at most ``operation_timeout``.
- The server's host key is checked before any credential is sent, against the
  partner's known_hosts file and/or pinned SHA256 fingerprint. There is no
  "missing host key policy" to get wrong: an unknown key raises ``HostKeyUnknown``,
  a different one ``HostKeyMismatch`` — the behaviour of paramiko's ``RejectPolicy``;
  nothing is ever added automatically (``gateway partners trust`` asks a person).
- Key authentication (ed25519/RSA/ECDSA, passphrase from the environment); a
  password only if the partner config names an environment variable for it.
- ``put`` writes ``.<name>.part``, confirms every write, checks the size the server
  reports, then ``posix-rename``s into place (plain ``rename`` if the server lacks
  the extension).
- Requests of ~255 KiB instead of paramiko's 32 KiB, a larger channel window and
  larger SSH packets: several times paramiko's default big-file throughput (see
  docs/benchmarks.md).
- One connection per transport object: opened on first use, reused for every file
  of the cycle, re-opened only after a transient fault.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import hashlib
import posixpath
import socket
import stat as stat_mode
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import paramiko
from paramiko.sftp import (
    CMD_ATTRS,
    CMD_CLOSE,
    CMD_FSTAT,
    CMD_HANDLE,
    CMD_OPEN,
    CMD_WRITE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)

from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.partners import SftpTransport as SftpConfig
from gateway.partners import TradingPartner
from gateway.transport.base import (
    RemoteFile,
    Side,
    TransportBase,
    archived_name,
    is_listable,
    matches,
    safe_name,
    temp_name,
)
from gateway.transport.errors import (
    ConnectionLost,
    HostKeyMismatch,
    HostKeyUnknown,
    RemoteFileError,
    TransportAuthError,
    TransportConnectError,
    TransportFault,
    TransportProtocolError,
    TransportTimeout,
    from_os_error,
    is_transient_errno,
)
from gateway.transport.retry import RetryPolicy

T = TypeVar("T")
log = get_logger(__name__)

# OpenSSH's sftp-server accepts reads and writes up to 255 KiB (its "limits" extension
# says 261120); larger requests would be cut short or refused.
REQUEST_SIZE = 255 * 1024
WINDOW_SIZE = 8 * 1024 * 1024
# The largest SSH packet we accept: 4× paramiko's default means 4× fewer packets to
# decrypt in Python per download (~+35% measured); well under OpenSSH's 256 KiB limit.
MAX_PACKET_SIZE = 128 * 1024
# SSH channel-open failure reasons worth another try (RFC 4254 §5.1).
_CHANNEL_RESOURCE_SHORTAGE = 4

# Called as each connection step succeeds: (step, detail). For `partners check`.
StepCallback = Callable[[str, str], None]


# --- host keys ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HostKeyInfo:
    """A server's host key as people compare it: type and SHA256 fingerprint."""

    host_pattern: str  # "host" for port 22, else "[host]:port" (known_hosts syntax)
    key_type: str
    base64: str
    sha256: str  # "SHA256:…" as `ssh-keygen -lf` prints it

    def known_hosts_line(self) -> str:
        return f"{self.host_pattern} {self.key_type} {self.base64}\n"


def host_pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _normal_fingerprint(value: str) -> str:
    value = value.strip()
    body = value[7:] if value.upper().startswith("SHA256:") else value
    return "SHA256:" + body.rstrip("=")


def key_info(config: SftpConfig, key: paramiko.PKey) -> HostKeyInfo:
    return HostKeyInfo(host_pattern(config.host, config.port), key.get_name(),
                       key.get_base64(), fingerprint(key))


def trusted_keys(config: SftpConfig) -> list[paramiko.PKey]:
    """The keys the partner's known_hosts file lists for this host (a missing file: none)."""
    path = config.known_hosts_file
    if path is None or not path.exists():
        return []
    try:
        keys = paramiko.HostKeys(str(path))
    except (OSError, paramiko.SSHException) as exc:
        raise ConfigError(f"known_hosts file {path} cannot be read: {exc}") from exc
    found = keys.lookup(host_pattern(config.host, config.port))
    return list(found.values()) if found else []


def trusted_fingerprints(config: SftpConfig) -> list[str]:
    """"type SHA256:…" of each key the known_hosts file trusts for this partner's host."""
    return [f"{k.get_name()} {fingerprint(k)}" for k in trusted_keys(config)]


def verify_host_key(config: SftpConfig, key: paramiko.PKey) -> HostKeyInfo:
    """The key's description if the partner trusts it; HostKeyUnknown/-Mismatch if not.

    With both a known_hosts entry and a pin configured, both must agree.
    """
    info = key_info(config, key)
    trusted = trusted_keys(config)
    where = f"{info.host_pattern}"
    if config.host_key_sha256 is not None and \
            _normal_fingerprint(config.host_key_sha256) != info.sha256:
        raise HostKeyMismatch(f"{where}: host key {info.key_type} {info.sha256} does not "
                              f"match the pinned host_key_sha256")
    if trusted:
        if not any(k.asbytes() == key.asbytes() for k in trusted):
            known = ", ".join(sorted({f"{k.get_name()} {fingerprint(k)}" for k in trusted}))
            raise HostKeyMismatch(f"{where}: host key {info.key_type} {info.sha256} differs "
                                  f"from the trusted {known} in {config.known_hosts_file} — "
                                  f"possible man-in-the-middle, or the server's key changed")
        return info
    if config.host_key_sha256 is None:
        raise HostKeyUnknown(f"{where}: host key {info.key_type} {info.sha256} is not in "
                             f"{config.known_hosts_file}; verify it with the clearinghouse, "
                             f"then run `gateway partners trust`")
    return info


def _prefer_trusted_key_types(transport: paramiko.Transport, config: SftpConfig) -> None:
    """Ask for the key type we hold a trusted copy of, so a server with several keys
    shows the one we can check (as OpenSSH's client does)."""
    types: list[str] = []
    for key in trusted_keys(config):
        name = key.get_name()
        types += ["rsa-sha2-512", "rsa-sha2-256"] if name == "ssh-rsa" else [name]
    options = transport.get_security_options()
    offered = list(options.key_types)
    first = [t for t in types if t in offered]
    if first:
        options.key_types = first + [t for t in offered if t not in first]


# --- the transport -----------------------------------------------------------------------


class SftpClientTransport(TransportBase):
    """A partner's SFTP folders; connects on first use, one connection per instance."""

    def __init__(self, partner: TradingPartner, retry: RetryPolicy | None = None, *,
                 request_size: int = REQUEST_SIZE, window_size: int = WINDOW_SIZE) -> None:
        if not isinstance(partner.transport, SftpConfig):
            raise ConfigError(f"partner {partner.name} does not use SFTP")
        self._partner = partner
        self._config = partner.transport
        self._folders = partner.folders
        self._retry = retry or RetryPolicy.from_settings(partner.retry)
        self._request_size = request_size
        self._window_size = window_size
        self._key: paramiko.PKey | None = None
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._sock: socket.socket | None = None
        self._posix_rename = True
        self.connect_attempts = 0  # TCP connections tried (tests and `partners check`)

    @property
    def description(self) -> str:
        return f"sftp {self._config.username}@{host_pattern(self._config.host, self._config.port)}"

    # --- connection ----------------------------------------------------------------------

    def connect(self, on_step: StepCallback | None = None) -> HostKeyInfo:
        """Connect, verify the host key, log in and open SFTP (retried when transient)."""
        self.close()
        return self._retry.call(lambda: self._connect_once(on_step), operation="connect")

    def _connect_once(self, on_step: StepCallback | None) -> HostKeyInfo:
        step = on_step or (lambda _step, _detail: None)
        cfg = self._config
        self.connect_attempts += 1
        sock = self._open_socket()
        step("tcp", f"connected to {cfg.host}:{cfg.port}")
        try:
            transport = paramiko.Transport(sock, default_window_size=self._window_size,
                                           default_max_packet_size=MAX_PACKET_SIZE)
        except BaseException:
            sock.close()
            raise
        try:
            with self._translated("connect", transport):
                transport.banner_timeout = cfg.connect_timeout
                transport.handshake_timeout = cfg.connect_timeout
                transport.auth_timeout = cfg.connect_timeout
                _prefer_trusted_key_types(transport, cfg)
                transport.start_client(timeout=cfg.connect_timeout)
                step("ssh", f"SSH session ({transport.remote_version})")
            info = verify_host_key(cfg, _server_key(transport, self.description,
                                                    cfg.connect_timeout))
            step("host_key", f"{info.key_type} {info.sha256} trusted")
            with self._translated("authenticate", transport):
                self._authenticate(transport)
            step("auth", f"logged in as {cfg.username}")
            with self._translated("open sftp", transport):
                sftp = paramiko.SFTPClient.from_transport(
                    transport, window_size=self._window_size, max_packet_size=MAX_PACKET_SIZE)
                if sftp is None:
                    raise TransportProtocolError(f"{self.description}: no SFTP subsystem")
                sftp.get_channel().settimeout(cfg.operation_timeout)
                if cfg.keepalive_seconds:
                    transport.set_keepalive(cfg.keepalive_seconds)
            step("sftp", "SFTP subsystem open")
        except BaseException:
            _close(transport, sock)
            raise
        self._transport, self._sftp, self._sock = transport, sftp, sock
        log.info("sftp.connected", partner=self._partner.name, host_key=info.sha256,
                 attempt=self.connect_attempts)
        return info

    def _open_socket(self) -> socket.socket:
        cfg = self._config
        what = f"{self.description}: connect"
        try:
            sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.connect_timeout)
        except socket.gaierror as exc:
            # Only "try again later" from the resolver is transient.
            raise TransportConnectError(f"{what}: cannot resolve {cfg.host} ({exc.strerror})",
                                        retryable=exc.errno == socket.EAI_AGAIN) from exc
        except OSError as exc:
            fault = from_os_error(exc, what)
            if isinstance(fault, RemoteFileError):  # unreachable and the like
                fault = TransportConnectError(str(fault), retryable=fault.retryable)
            raise fault from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except OSError:
            sock.close()
            raise
        return sock

    def _authenticate(self, transport: paramiko.Transport) -> None:
        cfg = self._config
        password = cfg.password()
        remaining: list[str] = []
        if cfg.key_file is not None:
            remaining = list(transport.auth_publickey(cfg.username, self._private_key()) or [])
        if password is not None and (cfg.key_file is None or "password" in remaining):
            # fallback: servers that only offer keyboard-interactive get the password there.
            transport.auth_password(cfg.username, password)
        if not transport.is_authenticated():
            raise TransportAuthError(f"{self.description}: the server wants more "
                                     f"authentication ({', '.join(remaining) or 'unknown'})")

    def _private_key(self) -> paramiko.PKey:
        if self._key is None:
            path = self._config.key_file
            assert path is not None
            self._key = load_private_key(path, self._config.passphrase())
        return self._key

    def _client(self) -> paramiko.SFTPClient:
        if self._sftp is None or not self._alive():
            self.close()
            self._connect_once(None)
        assert self._sftp is not None
        return self._sftp

    def close(self) -> None:
        sftp, transport, sock = self._sftp, self._transport, self._sock
        self._sftp, self._transport, self._sock = None, None, None
        with contextlib.suppress(Exception):
            if sftp is not None:
                sftp.close()
        if transport is not None and sock is not None:
            _close(transport, sock)

    # --- error translation and retries ---------------------------------------------------

    @contextlib.contextmanager
    def _translated(self, what: str, transport: paramiko.Transport | None = None
                    ) -> Iterator[None]:
        try:
            yield
        except TransportFault:
            raise
        except (paramiko.SSHException, paramiko.SFTPError, EOFError, OSError) as exc:
            raise _translate(exc, f"{self.description}: {what}", self._alive(transport)
                             ) from exc

    def _alive(self, transport: paramiko.Transport | None = None) -> bool:
        """Whether the connection (and the SFTP channel on it, if open) still works."""
        t = transport or self._transport
        if t is None or not t.is_active():
            return False
        return self._sftp is None or not self._sftp.get_channel().closed

    def _run(self, operation: str, fn: Callable[[paramiko.SFTPClient], T]) -> T:
        """``fn(sftp)`` on a live connection, retried; a transient fault drops it."""
        def attempt() -> T:
            try:
                client = self._client()
                with self._translated(operation):
                    return fn(client)
            except TransportFault as exc:
                if exc.retryable:
                    self.close()  # state unknown: the next attempt reconnects
                raise
        return self._retry.call(attempt, operation=operation)

    # --- files ---------------------------------------------------------------------------

    def _path(self, side: Side | str, name: str = "") -> str:
        folder = {Side.OUTBOUND: self._folders.outbound, Side.INBOUND: self._folders.inbound,
                  "archive": self._folders.archive}[side]
        if folder is None:
            raise RemoteFileError("no archive folder configured for this partner")
        return posixpath.join(folder, name) if name else folder

    def put(self, name: str, data: bytes) -> RemoteFile:
        safe_name(name)
        final, temp = self._path(Side.OUTBOUND, name), self._path(Side.OUTBOUND,
                                                                  temp_name(name))
        tries = 0

        def attempt(sftp: paramiko.SFTPClient) -> RemoteFile:
            nonlocal tries
            tries += 1
            if tries > 1:
                # The previous attempt may have renamed into place before the connection
                # dropped: a complete file under the final name means done.
                done = _stat(sftp, final, name)
                if done is not None and done.size == len(data):
                    return done
            size = _write_file(sftp, temp, data, self._request_size)
            if size != len(data):
                raise RemoteFileError(f"{self.description}: put {name}: the server has {size} "
                                      f"of {len(data)} bytes", retryable=True)
            self._rename(sftp, temp, final)
            return RemoteFile(name, len(data), dt.datetime.now(dt.UTC), final)

        return self._run(f"put {name}", attempt)

    def _rename(self, sftp: paramiko.SFTPClient, source: str, target: str) -> None:
        if self._posix_rename:
            try:
                sftp.posix_rename(source, target)
                return
            except OSError as exc:
                if exc.errno is not None:
                    raise
                # SSH_FX_OP_UNSUPPORTED and friends carry no errno: no extension here.
                self._posix_rename = False
        sftp.rename(source, target)

    def list(self, pattern: str = "*", side: Side = Side.INBOUND) -> list[RemoteFile]:
        folder = self._path(side)

        def attempt(sftp: paramiko.SFTPClient) -> list[RemoteFile]:
            found = []
            for attrs in sftp.listdir_attr(folder):
                name = attrs.filename
                if not is_listable(name) or not stat_mode.S_ISREG(attrs.st_mode or 0):
                    continue
                try:
                    safe_name(name)
                except RemoteFileError:
                    log.warning("file.name_refused", partner=self._partner.name,
                                side=str(side), name=repr(name[:80]))
                    continue
                if matches(name, pattern):
                    found.append(_remote_file(name, attrs, posixpath.join(folder, name)))
            return sorted(found, key=lambda f: f.name)

        return self._run(f"list {side}", attempt)

    def get(self, name: str, side: Side = Side.INBOUND) -> bytes:
        safe_name(name)
        path = self._path(side, name)
        limit = self._partner.max_file_size

        def attempt(sftp: paramiko.SFTPClient) -> bytes:
            with sftp.open(path, "rb") as f:
                f.MAX_REQUEST_SIZE = self._request_size
                size = f.stat().st_size or 0
                if size > limit:
                    raise RemoteFileError(f"{self.description}: get {name}: {size} bytes is "
                                          f"over the {limit}-byte limit")
                if size > self._request_size:
                    # All read requests at once (the channel window paces them). No
                    # max_concurrent_requests: with it paramiko can end a prefetch early
                    # and keep a thread sending reads for a closed handle.
                    f.prefetch(size)
                # Request-sized reads joined once: paramiko's read(n) grows a bytes
                # buffer by concatenation, quadratic for large files.
                parts, got = [], 0
                while got < size:
                    part = f.read(min(self._request_size, size - got))
                    if not part:
                        break
                    parts.append(part)
                    got += len(part)
                data = b"".join(parts)
            if len(data) != size:
                raise RemoteFileError(f"{self.description}: get {name}: read {len(data)} of "
                                      f"{size} bytes", retryable=True)
            return data

        return self._run(f"get {name}", attempt)

    def stat(self, name: str, side: Side) -> RemoteFile | None:
        safe_name(name)
        path = self._path(side, name)
        return self._run(f"stat {name}", lambda sftp: _stat(sftp, path, name))

    def remove(self, name: str, side: Side = Side.INBOUND) -> None:
        safe_name(name)
        path = self._path(side, name)
        self._run(f"remove {name}", lambda sftp: sftp.remove(path))

    def archive(self, name: str) -> str:
        safe_name(name)
        source = self._path(Side.INBOUND, name)

        def attempt(sftp: paramiko.SFTPClient) -> str:
            target = self._path("archive", name)
            if _stat(sftp, target, name) is not None:  # never clobber an archived file
                target = self._path("archive", archived_name(name, dt.datetime.now(dt.UTC)))
            sftp.rename(source, target)
            return target

        return self._run(f"archive {name}", attempt)


# --- helpers -----------------------------------------------------------------------------


def load_private_key(path: Path, passphrase: str | None) -> paramiko.PKey:
    """The client key (ed25519, RSA or ECDSA); a local problem is a ConfigError."""
    try:
        key: paramiko.PKey = paramiko.PKey.from_path(
            path, passphrase.encode() if passphrase is not None else None)
    except FileNotFoundError as exc:
        raise ConfigError(f"key_file {path} does not exist") from exc
    except (paramiko.PasswordRequiredException, TypeError) as exc:
        # paramiko 5 lets cryptography's TypeError through for a missing passphrase.
        if passphrase is not None:
            raise ConfigError(f"key_file {path} cannot be loaded ({type(exc).__name__})"
                              ) from exc
        raise ConfigError(f"key_file {path} is encrypted: set key_passphrase_env") from exc
    except (paramiko.SSHException, OSError, ValueError) as exc:
        raise ConfigError(f"key_file {path} cannot be loaded ({type(exc).__name__}): wrong "
                          f"passphrase or not a private key") from exc
    return key


def fetch_host_key(partner: TradingPartner) -> HostKeyInfo:
    """Connect without trusting or logging in, and report the server's host key."""
    config = partner.transport
    if not isinstance(config, SftpConfig):
        raise ConfigError(f"partner {partner.name} does not use SFTP")
    probe = SftpClientTransport(partner, RetryPolicy.never())
    sock = probe._open_socket()
    try:
        transport = paramiko.Transport(sock)
    except BaseException:
        sock.close()
        raise
    try:
        with probe._translated("fetch host key", transport):
            transport.banner_timeout = transport.handshake_timeout = config.connect_timeout
            _prefer_trusted_key_types(transport, config)
            transport.start_client(timeout=config.connect_timeout)
            return key_info(config, _server_key(transport, probe.description,
                                                config.connect_timeout))
    finally:
        _close(transport, sock)


def _server_key(transport: paramiko.Transport, where: str, timeout: float) -> paramiko.PKey:
    """The host key the server proved it holds. ``start_client`` returns quietly when its
    timeout runs out mid key exchange; the key is then missing."""
    try:
        return transport.get_remote_server_key()
    except paramiko.SSHException as exc:
        if transport.is_active():
            raise TransportTimeout(f"{where}: key exchange not finished within {timeout:g} s"
                                   ) from exc
        raise ConnectionLost(f"{where}: connection closed during key exchange") from exc


def _close(transport: paramiko.Transport, sock: socket.socket) -> None:
    # Transport.close() does nothing once its thread has stopped (or never started):
    # close the socket as well, so nothing is left open.
    transport.close()
    sock.close()


def _write_file(sftp: paramiko.SFTPClient, path: str, data: bytes, request_size: int) -> int:
    """Create/truncate ``path`` with ``data``; the size the server then reports for it.

    Three round trips, as OpenSSH's own client needs: OPEN; then every WRITE, an FSTAT
    and the CLOSE sent back to back, their answers read in order. Every write's status
    is checked (paramiko's pipelined SFTPFile skips some) and the size comes from the
    server after the last write. This uses paramiko's request layer (``_request``,
    ``_async_request``, ``_read_response``), unchanged since paramiko 1.x; without it
    we fall back to SFTPFile with unpipelined writes.
    """
    if not all(hasattr(sftp, a) for a in ("_request", "_async_request", "_read_response")):
        with sftp.open(path, "wb") as f:
            f.MAX_REQUEST_SIZE = request_size
            f.write(data)  # not pipelined: each write's status is checked as it goes
            return int(f.stat().st_size or 0)
    kind, msg = sftp._request(CMD_OPEN, path, SFTP_FLAG_WRITE | SFTP_FLAG_CREATE
                              | SFTP_FLAG_TRUNC, paramiko.SFTPAttributes())
    if kind != CMD_HANDLE:
        raise paramiko.SFTPError("expected a handle for OPEN")
    handle = msg.get_binary()
    view = memoryview(data)
    writes = [sftp._async_request(type(None), CMD_WRITE, handle, int64(offset),
                                  view[offset:offset + request_size])
              for offset in range(0, len(data), request_size)]
    fstat = sftp._async_request(type(None), CMD_FSTAT, handle)
    close = sftp._async_request(type(None), CMD_CLOSE, handle)
    failure: OSError | None = None
    for num in writes:  # read them all, even after a failure, to keep the stream in step
        try:
            sftp._read_response(num)
        except OSError as exc:
            failure = failure or exc
    kind, msg = sftp._read_response(fstat)
    sftp._read_response(close)
    if failure is not None:
        raise failure
    if kind != CMD_ATTRS:
        raise paramiko.SFTPError("expected attributes for FSTAT")
    return int(paramiko.SFTPAttributes._from_msg(msg).st_size or 0)


def _stat(sftp: paramiko.SFTPClient, path: str, name: str) -> RemoteFile | None:
    try:
        attrs = sftp.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return _remote_file(name, attrs, path)


def _remote_file(name: str, attrs: paramiko.SFTPAttributes, path: str) -> RemoteFile:
    mtime = dt.datetime.fromtimestamp(attrs.st_mtime, dt.UTC) if attrs.st_mtime else None
    return RemoteFile(name, attrs.st_size or 0, mtime, path)


def _translate(exc: BaseException, what: str, alive: bool) -> TransportFault:
    """A paramiko / socket / SFTP failure as a TransportFault (retryable or not)."""
    if isinstance(exc, paramiko.BadHostKeyException):  # subclass of SSHException: first
        return HostKeyMismatch(f"{what}: host key mismatch")
    if isinstance(exc, paramiko.AuthenticationException):
        if "timeout" in str(exc).lower():
            return TransportTimeout(f"{what}: the server did not answer the login in time")
        return TransportAuthError(f"{what}: authentication refused ({type(exc).__name__})")
    if isinstance(exc, paramiko.SSHException) and "banner" in str(exc).lower():
        if isinstance(exc.__context__, TimeoutError):
            return TransportTimeout(f"{what}: no SSH banner within the timeout")
        return ConnectionLost(f"{what}: closed before the SSH banner")
    if isinstance(exc, paramiko.IncompatiblePeer):
        return TransportProtocolError(f"{what}: no algorithm in common with the server")
    if isinstance(exc, paramiko.ChannelException):
        return TransportProtocolError(f"{what}: channel refused ({exc.code})",
                                      retryable=exc.code == _CHANNEL_RESOURCE_SHORTAGE)
    if isinstance(exc, TimeoutError):
        return TransportTimeout(f"{what}: timed out")
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno == errno.ENOENT:
            return RemoteFileError(f"{what}: no such file")
        if exc.errno == errno.EACCES:
            return RemoteFileError(f"{what}: permission denied")
        if not alive or isinstance(exc, ConnectionError):
            return ConnectionLost(f"{what}: connection lost ({exc.strerror or exc.errno})")
        return RemoteFileError(f"{what}: {exc.strerror or exc.errno}",
                               retryable=is_transient_errno(exc.errno))
    if not alive or isinstance(exc, EOFError) or "connection dropped" in str(exc).lower():
        return ConnectionLost(f"{what}: connection lost ({_short(exc)})")
    if isinstance(exc, OSError):  # an SFTP failure status without an errno
        return RemoteFileError(f"{what}: {_short(exc)}")
    return TransportProtocolError(f"{what}: {_short(exc)}")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__

