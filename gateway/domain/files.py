"""Life cycle of the files the gateway exchanges (rows of the ``files`` table).

Outbound: submission writes an interchange and its row as PENDING in one transaction;
the uploader marks it UPLOADING before the transfer and UPLOADED (remote name, size)
after — so a crash in between is found and resolved on the next run, never uploaded
twice. Inbound: a response is DOWNLOADED into the gateway's store (raw bytes + sha256)
and recorded STORED before the remote copy is removed; parsing then marks it
PROCESSED, QUARANTINED (with the reason) or DUPLICATE (same sha256 seen before).
"""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    OUTBOUND = "out"
    INBOUND = "in"


class OutboundStatus(StrEnum):
    PENDING = "pending"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    FAILED = "failed"  # validation failed: never to be uploaded


class InboundStatus(StrEnum):
    STORED = "stored"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
