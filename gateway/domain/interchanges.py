"""Life cycle of an outbound interchange (rows of the ``interchanges`` table).

BUILDING   control numbers allocated and claims reserved (claims BATCHED), not yet
           rendered — committed *before* rendering so a crash loses nothing.
READY      rendered, validated with zero pyx12 errors, file written to the outbox.
SENT       the file was uploaded; its claims are SENT.
INVALID    pyx12 found errors; the file never leaves. Its control number stays used.
ABANDONED  a run died while BUILDING; its claims were re-queued. Number stays used.
"""

from __future__ import annotations

from enum import StrEnum


class InterchangeStatus(StrEnum):
    BUILDING = "building"
    READY = "ready"
    SENT = "sent"
    INVALID = "invalid"
    ABANDONED = "abandoned"
