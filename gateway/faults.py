"""Fault injection for crash tests: ``GATEWAY_FAULT=<point>`` kills the process there.

The points sit exactly where a crash is most dangerous (between a side effect and the
commit that records it). In production the variable is unset and each check is one
dictionary look-up.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "submit.after_reserve",  # claims batched, interchange not rendered
    "submit.after_outbox_write",  # file in the outbox, not recorded
    "upload.mid_transfer",  # half the bytes sent under the temporary name
    "upload.after_put",  # file complete on the server, not recorded as uploaded
    "poll.after_download",  # response downloaded and stored, not recorded
    "ingest.mid_apply",  # inside the transaction applying a response file
)


def fault_point(name: str) -> None:
    """Die like ``kill -9`` when the environment asks for a crash at ``name``."""
    if os.environ.get("GATEWAY_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
