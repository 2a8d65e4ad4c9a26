"""A clearinghouse made of local folders: the embedded default and the sandbox's.

``root/<outbound>``, ``root/<inbound>`` and ``root/<archive>`` as the partner's
``[folders]`` name them. Writes are crash-safe the same way as on SFTP: a hidden temp
file, fsync, ``os.replace`` into place, fsync of the folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

from gateway.faults import fault_point
from gateway.logging import get_logger
from gateway.partners import Folders, LocalTransport
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
from gateway.transport.errors import RemoteFileError, from_os_error

log = get_logger(__name__)


class LocalFolderTransport(TransportBase):
    def __init__(self, config: LocalTransport, folders: Folders, max_file_size: int) -> None:
        self._root = config.root
        self._folders = folders
        self._max_file_size = max_file_size

    @property
    def description(self) -> str:
        return f"local folder {self._root}"

    def _folder(self, side: Side | str) -> str:
        folder = {Side.OUTBOUND: self._folders.outbound, Side.INBOUND: self._folders.inbound,
                  "archive": self._folders.archive}[side]
        if folder is None:
            raise RemoteFileError("no archive folder configured for this partner")
        return folder

    def _dir(self, side: Side | str) -> Path:
        path = self._root / self._folder(side)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise from_os_error(exc, f"{self.description}: {what}") from exc

    def put(self, name: str, data: bytes) -> RemoteFile:
        safe_name(name)
        with self._translated(f"put {name}"):
            folder = self._dir(Side.OUTBOUND)
            final, temp = folder / name, folder / temp_name(name)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                with os.fdopen(fd, "wb", closefd=False) as f:
                    half = len(data) // 2
                    f.write(data[:half])
                    f.flush()
                    fault_point("upload.mid_transfer")
                    f.write(data[half:])
                    f.flush()
                os.fsync(fd)
            finally:
                os.close(fd)
            if (size := temp.stat().st_size) != len(data):
                raise RemoteFileError(f"put {name}: wrote {size} of {len(data)} bytes")
            os.replace(temp, final)
            _fsync_dir(folder)
        return RemoteFile(name, len(data), _mtime(final), f"{self._folders.outbound}/{name}")

    def list(self, pattern: str = "*", side: Side = Side.INBOUND) -> list[RemoteFile]:
        with self._translated(f"list {side}"):
            folder_name = self._folder(side)
            found = []
            with os.scandir(self._dir(side)) as entries:
                for entry in entries:
                    if not entry.is_file(follow_symlinks=False) or not is_listable(entry.name):
                        continue
                    try:
                        safe_name(entry.name)
                    except RemoteFileError:
                        log.warning("file.name_refused", side=str(side), name=repr(entry.name))
                        continue
                    if matches(entry.name, pattern):
                        st = entry.stat(follow_symlinks=False)
                        found.append(RemoteFile(entry.name, st.st_size, _ts(st.st_mtime),
                                                f"{folder_name}/{entry.name}"))
        return sorted(found, key=lambda f: f.name)

    def get(self, name: str, side: Side = Side.INBOUND) -> bytes:
        safe_name(name)
        with self._translated(f"get {name}"):
            # O_NOFOLLOW: a symlink dropped in the folder cannot read a file elsewhere.
            fd = os.open(self._dir(side) / name, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size > self._max_file_size:
                    raise RemoteFileError(f"get {name}: {size} bytes is over the "
                                          f"{self._max_file_size}-byte limit")
                data = f.read(self._max_file_size + 1)
            if len(data) > self._max_file_size:
                raise RemoteFileError(f"get {name}: grew past the size limit while read")
            return data

    def stat(self, name: str, side: Side) -> RemoteFile | None:
        safe_name(name)
        with self._translated(f"stat {name}"):
            try:
                st = (self._dir(side) / name).lstat()
            except FileNotFoundError:
                return None
            return RemoteFile(name, st.st_size, _ts(st.st_mtime), f"{self._folder(side)}/{name}")

    def remove(self, name: str, side: Side = Side.INBOUND) -> None:
        safe_name(name)
        with self._translated(f"remove {name}"):
            (self._dir(side) / name).unlink()

    def archive(self, name: str) -> str:
        safe_name(name)
        with self._translated(f"archive {name}"):
            source, folder = self._dir(Side.INBOUND) / name, self._dir("archive")
            target = name
            if (folder / target).exists():
                target = archived_name(name, dt.datetime.now(dt.UTC))
            os.replace(source, folder / target)
            _fsync_dir(folder)
            return f"{self._folders.archive}/{target}"

    def close(self) -> None:
        """Nothing to release."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ts(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _mtime(path: Path) -> dt.datetime:
    return _ts(path.stat().st_mtime)
