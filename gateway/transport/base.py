"""The ``Transport`` seam: move whole files to and from a clearinghouse's folders.

Two folders matter on the far side: *outbound* (we put 837P files there) and
*inbound* (responses wait for us there), plus an optional *archive* that downloaded
responses move into. Every implementation keeps these promises:

- ``put`` is atomic: the bytes go to a temporary name first, the size is checked,
  then the file is renamed into place — a file is never visible under its final name
  half-written.
- Names are single path components. Names a server hands us are checked with
  :func:`safe_name` before any use; a hostile name raises ``RemoteFileError``.
- ``get`` refuses files larger than the partner's ``max_file_size``.
- Failures are ``gateway.transport.errors.TransportFault`` subclasses, never a
  third-party exception.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from gateway.transport.errors import RemoteFileError

MAX_NAME_LENGTH = 255
# A partner's in-progress uploads and our own temp files start with a dot.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".part"


class Side(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


@dataclass(frozen=True, slots=True)
class RemoteFile:
    name: str
    size: int
    mtime: dt.datetime | None = None
    # Where it is, for people and the files table: "<folder>/<name>".
    path: str = ""


class Transport(Protocol):
    """One partner's file drop. Use as a context manager; one connection per cycle."""

    @property
    def description(self) -> str:
        """Where this transport points, for logs and messages (no secrets)."""
        ...

    def put(self, name: str, data: bytes) -> RemoteFile:
        """Deliver ``data`` to the outbound folder under ``name``, atomically."""
        ...

    def list(self, pattern: str = "*", side: Side = Side.INBOUND) -> list[RemoteFile]:
        """Regular, complete files whose name matches ``pattern`` (fnmatch), sorted."""
        ...

    def get(self, name: str, side: Side = Side.INBOUND) -> bytes:
        ...

    def stat(self, name: str, side: Side) -> RemoteFile | None:
        """The file, or None when there is no such file."""
        ...

    def remove(self, name: str, side: Side = Side.INBOUND) -> None:
        ...

    def archive(self, name: str) -> str:
        """Move an inbound file into the archive folder; returns its archived path."""
        ...

    def close(self) -> None:
        ...

    def __enter__(self) -> Self:
        ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        ...


def safe_name(name: str) -> str:
    """``name`` if it is one harmless path component; else RemoteFileError.

    Refuses what could reach outside a folder or confuse a log or a terminal: path
    separators, ``.``/``..``, absolute paths, drive letters, control characters.
    """
    problem = _name_problem(name)
    if problem:
        raise RemoteFileError(f"refused remote file name {_shown(name)}: {problem}")
    return name


def _name_problem(name: str) -> str | None:
    if not name:
        return "empty"
    if len(name) > MAX_NAME_LENGTH:
        return "too long"
    if name in {".", ".."}:
        return "a directory reference"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if len(name) >= 2 and name[1] == ":":
        return "looks like a drive letter"
    if any(unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} for c in name):
        return "contains control characters"
    return None


def _shown(name: str) -> str:
    # repr() escapes control characters; cut so a huge name cannot flood a log.
    return repr(name[:80] + ("…" if len(name) > 80 else ""))


def matches(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)


def is_listable(name: str) -> bool:
    """Hidden names are in-progress uploads by convention (ours and partners')."""
    return not name.startswith(TEMP_PREFIX)


def temp_name(name: str) -> str:
    """The name ``put`` writes to before renaming into place."""
    return f"{TEMP_PREFIX}{name}{TEMP_SUFFIX}"


def archived_name(name: str, now: dt.datetime) -> str:
    """A name for the archive that does not clobber an earlier file of the same name."""
    return f"{name}.{now.strftime('%Y%m%dT%H%M%S%fZ')}"


class TransportBase:
    """Context-manager plumbing shared by the implementations."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
