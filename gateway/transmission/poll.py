"""Fetch a partner's responses: download → store raw bytes (sha256) → record → commit →
only then remove / archive / keep the remote file, as the partner's policy says.

A crash before the commit leaves the remote file in place: the next poll downloads it
again (same bytes, same stored copy). A crash after the commit but before the remote
removal makes the next poll record a DUPLICATE row and remove it then. Parsing is not
done here: STORED rows wait for the response reader.
"""

from __future__ import annotations

from pathlib import Path

from gateway.clock import Clock
from gateway.faults import fault_point
from gateway.logging import get_logger
from gateway.partners import TradingPartner
from gateway.store.files import FileStore
from gateway.transmission.rawstore import store_inbound
from gateway.transport.base import RemoteFile, Side, Transport, safe_name
from gateway.transport.errors import RemoteFileError

log = get_logger(__name__)


def poll_inbound(partner: TradingPartner, transport: Transport, files: FileStore,
                 data_dir: Path, clock: Clock, *, partner_id: int | None = None,
                 pattern: str = "*") -> list[int]:
    """Download every new file of the partner's inbound folder; the new rows' ids.

    A file that cannot be taken (refused name, over the size limit, permission
    denied, still growing) is logged and left alone; a connection-level failure ends
    the poll (the next one resumes).
    """
    pid = partner_id if partner_id is not None else files.ensure_partner(partner.name,
                                                                        clock.now())
    policy = partner.folders.after_download
    recorded: list[int] = []
    for remote in transport.list(pattern, Side.INBOUND):
        bound = log.bind(partner=partner.name, file=remote.name)
        try:
            name = safe_name(remote.name)  # again: a transport must not be trusted blindly
            if policy == "keep" and _seen(files, pid, remote):
                continue
            if remote.size > partner.max_file_size:
                raise RemoteFileError(f"{remote.size} bytes is over max_file_size "
                                      f"({partner.max_file_size})")
            data = transport.get(name, Side.INBOUND)
        except RemoteFileError as exc:
            if exc.retryable:
                raise
            bound.error("file.download_refused", reason=str(exc))
            continue
        if len(data) != remote.size:
            # Still being written by the partner: take it on a later poll, complete.
            bound.warning("file.still_growing", listed=remote.size, read=len(data))
            continue
        stored = store_inbound(data_dir, data)
        fault_point("poll.after_download")
        record = files.record_inbound(pid, name, remote.path or name, stored.sha256,
                                      stored.size, stored.stored_path, clock.now())
        bound.info("file.downloaded", file_id=record.file_id, size=stored.size,
                   sha256=stored.sha256, duplicate=record.duplicate)
        recorded.append(record.file_id)
        _after_download(transport, partner.name, name, policy)
    return recorded


def _seen(files: FileStore, partner_id: int, remote: RemoteFile) -> bool:
    """Under "keep", a file stays on the server: skip it once downloaded, unless it was
    replaced since (other size, or modified after our download)."""
    last = files.last_inbound(partner_id, remote.path or remote.name)
    if last is None or last.size != remote.size:
        return False
    return remote.mtime is None or remote.mtime <= last.created_at


def _after_download(transport: Transport, partner: str, name: str, policy: str) -> None:
    logger = log.bind(partner=partner, file=name)
    try:
        if policy == "delete":
            transport.remove(name, Side.INBOUND)
            logger.info("file.remote_removed")
        elif policy == "archive":
            logger.info("file.remote_archived", archived=transport.archive(name))
    except RemoteFileError as exc:
        if exc.retryable:
            raise
        # Stored and committed already: the next poll records a duplicate and retries.
        logger.error("file.remote_cleanup_failed", policy=policy, reason=str(exc))
