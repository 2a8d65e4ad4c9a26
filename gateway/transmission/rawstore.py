"""The gateway's own copy of every received file: ``<data_dir>/inbound/<sha256>``.

Owner-only (files 0600, folders 0700), written atomically (temp file, fsync, rename),
named by content so a second copy of the same bytes costs nothing. ``stored_path`` in
the files table is ``data_dir`` joined with that name, as submission records its
outbox files: absolute when ``data_dir`` is, else relative to the working directory.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

INBOUND_DIR = "inbound"


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    path: Path

    @property
    def stored_path(self) -> str:
        return str(self.path)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb", closefd=False) as f:
            f.write(data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def store_inbound(data_dir: Path, data: bytes) -> StoredFile:
    """Keep a received file under its sha256 (the same bytes twice: one copy)."""
    digest = hashlib.sha256(data).hexdigest()
    path = data_dir / INBOUND_DIR / digest
    if not (path.is_file() and path.stat().st_size == len(data)):
        write_private(path, data)
    return StoredFile(digest, len(data), path)
