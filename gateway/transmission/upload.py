"""Deliver a partner's outbox: PENDING → UPLOADING → put → UPLOADED → ``on_uploaded``.

UPLOADING is committed before the first byte leaves. A row found UPLOADING therefore
means an earlier run stopped mid-transfer; before sending again we look at the
partner's outbound folder: the final name with the right size means the earlier
upload completed (``put`` renames only complete files into place), so the row is just
marked UPLOADED — never a second copy. Otherwise the upload is repeated; the temp
name it left behind is overwritten.

One uploader per partner at a time (the service's scheduler, or one CLI run):
two processes on the same UPLOADING row could both decide to send it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gateway.clock import Clock
from gateway.domain.files import OutboundStatus
from gateway.errors import ConcurrentUpdateError
from gateway.faults import fault_point
from gateway.logging import get_logger
from gateway.partners import TradingPartner
from gateway.store.files import FileStore, FileView
from gateway.transport.base import RemoteFile, Side, Transport
from gateway.transport.errors import TransportFault

log = get_logger(__name__)


@dataclass
class UploadReport:
    uploaded: list[int] = field(default_factory=list)  # sent in this run
    recovered: list[int] = field(default_factory=list)  # found complete on the server
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (file id, why)


def upload_pending(partner: TradingPartner, transport: Transport, files: FileStore,
                   clock: Clock, on_uploaded: Callable[[int], None], *,
                   partner_id: int | None = None) -> UploadReport:
    """Upload every PENDING / UPLOADING outbound file of ``partner``, oldest first.

    ``on_uploaded(file_id)`` runs after the UPLOADED mark is committed (and for files
    found complete after a crash). A transport failure — after the transport's own
    retries — is recorded on the file and raised: the rest wait for the next cycle.
    """
    pid = partner_id if partner_id is not None else files.ensure_partner(partner.name,
                                                                        clock.now())
    report = UploadReport()
    for row in files.pending_uploads(pid):
        bound = log.bind(partner=partner.name, file_id=row.id, file=row.name)
        data = _load(row)
        if isinstance(data, str):
            bound.error("file.unreadable", reason=data)
            files.record_upload_error(row.id, data, clock.now())
            report.skipped.append((row.id, data))
            continue
        try:
            found = _complete_copy(transport, row) \
                if row.status == OutboundStatus.UPLOADING else None
            if found is not None:
                files.mark_uploaded(row.id, found.path or row.name, found.size, clock.now())
                bound.warning("file.upload_recovered", size=row.size)
                report.recovered.append(row.id)
            else:
                files.mark_uploading(row.id, clock.now(), OutboundStatus(row.status))
                bound.info("file.uploading", size=row.size, sha256=row.sha256,
                           attempt=row.attempts + 1)
                remote = transport.put(row.name, data)
                fault_point("upload.after_put")
                if remote.size != row.size:  # put checks it too; a cheap second look
                    raise TransportFault(f"{row.name}: the server has {remote.size} of "
                                         f"{row.size} bytes")
                files.mark_uploaded(row.id, remote.path or row.name, remote.size,
                                    clock.now())
                bound.info("file.uploaded", size=remote.size, remote=remote.path)
                report.uploaded.append(row.id)
        except ConcurrentUpdateError:
            bound.warning("file.taken_elsewhere")  # another uploader moved it: leave it
            continue
        except TransportFault as exc:
            bound.error("file.upload_failed", error=type(exc).__name__, reason=str(exc),
                        retryable=exc.retryable)
            files.record_upload_error(row.id, str(exc), clock.now())
            raise
        on_uploaded(row.id)
    return report


def _load(row: FileView) -> bytes | str:
    """The stored bytes, or why they cannot be sent (missing, or not what was recorded)."""
    if not row.stored_path:
        return "no stored copy recorded for this file"
    try:
        data = Path(row.stored_path).read_bytes()
    except OSError as exc:
        return f"stored copy unreadable: {exc.strerror or type(exc).__name__}"
    if len(data) != row.size or hashlib.sha256(data).hexdigest() != row.sha256:
        return "stored copy does not match the recorded size and sha256"
    return data


def _complete_copy(transport: Transport, row: FileView) -> RemoteFile | None:
    """The file under its final name on the server, if it is complete."""
    remote = transport.stat(row.name, Side.OUTBOUND)
    if remote is not None and remote.size != row.size:
        # Not our complete file (put never renames a partial one into place): send ours.
        log.warning("file.remote_size_differs", file_id=row.id, file=row.name,
                    remote_size=remote.size, size=row.size)
        return None
    return remote
