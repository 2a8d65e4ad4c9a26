"""Transport failures, each saying whether trying again can help.

    TransportError (gateway.errors)
    └── TransportFault          base of the ones below: retryable, attempts
        ├── TransportConnectError   TCP connect failed: refused, unreachable     retryable
        ├── TransportTimeout        connect, banner, handshake or an operation   retryable
        ├── ConnectionLost          the connection dropped mid-session           retryable
        ├── HostKeyError            the server is not who we think it is         never retried
        │   ├── HostKeyUnknown      no known_hosts entry / pin for this host
        │   └── HostKeyMismatch     the server's key differs from the trusted one
        ├── TransportAuthError      the server refused our credentials           never retried
        ├── TransportProtocolError  no common algorithm, broken peer             never retried
        └── RemoteFileError         an SFTP/file operation failed                by errno

Host-key and authentication failures page a human: retrying them only hammers a
server that said no (and can lock the account). ``retryable`` is a class default an
instance may override (a transient errno on a remote file operation).
"""

from __future__ import annotations

import errno

from gateway.errors import TransportError

__all__ = [
    "ConnectionLost",
    "HostKeyError",
    "HostKeyMismatch",
    "HostKeyUnknown",
    "RemoteFileError",
    "TransportAuthError",
    "TransportConnectError",
    "TransportError",
    "TransportFault",
    "TransportProtocolError",
    "TransportTimeout",
    "is_transient_errno",
]


class TransportFault(TransportError):  # noqa: N818 - names from the design and issue 4
    """Base of the transport tree; ``attempts`` is filled in by the retry policy."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable
        self.attempts = 1

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (after {self.attempts} attempts)" if self.attempts > 1 else text


class TransportConnectError(TransportFault):
    retryable = True


class TransportTimeout(TransportFault):
    retryable = True


class ConnectionLost(TransportFault):
    retryable = True


class HostKeyError(TransportFault):
    retryable = False


class HostKeyUnknown(HostKeyError):  # noqa: N818
    pass


class HostKeyMismatch(HostKeyError):  # noqa: N818
    pass


class TransportAuthError(TransportFault):
    retryable = False


class TransportProtocolError(TransportFault):
    retryable = False


class RemoteFileError(TransportFault):
    retryable = False


# Errors a server (or the network under it) recovers from by itself.
_TRANSIENT_ERRNOS = frozenset({
    errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.ETIMEDOUT, errno.ECONNRESET,
    errno.ECONNABORTED, errno.ECONNREFUSED, errno.EPIPE, errno.ENETDOWN, errno.ENETUNREACH,
    errno.EHOSTUNREACH, errno.EHOSTDOWN,
})


def is_transient_errno(code: int | None) -> bool:
    return code in _TRANSIENT_ERRNOS


def from_os_error(exc: OSError, what: str) -> TransportFault:
    """An OS-level failure of ``what`` (a step or an operation and name), by errno."""
    if isinstance(exc, TimeoutError):
        return TransportTimeout(f"{what}: timed out")
    if isinstance(exc, ConnectionRefusedError):
        return TransportConnectError(f"{what}: connection refused")
    if isinstance(exc, ConnectionError):  # reset, aborted, broken pipe
        return ConnectionLost(f"{what}: connection lost ({type(exc).__name__})")
    reason = exc.strerror or type(exc).__name__
    return RemoteFileError(f"{what}: {reason}", retryable=is_transient_errno(exc.errno))
