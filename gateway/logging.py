"""structlog set-up, once per process, with PHI redaction on every path to a log line.

Rules (DESIGN.md §7): no names, member ids, birth dates, X12 payloads or pyx12 error
strings in logs. Our own code logs identifiers only (internal claim id, rule codes,
control numbers); :func:`redact` is the safety net for keys that carry PHI, and
third-party stdlib loggers that embed data in their messages (pyx12, paramiko) keep
their level and logger name but lose the message text.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

REDACTED = "[redacted]"

# Keys whose values are PHI or payload wherever they appear in an event dict.
PHI_KEYS = frozenset({
    "name", "first_name", "last_name", "middle_name", "patient", "subscriber",
    "member_id", "birth_date", "dob", "address", "line1", "line2", "city", "zip",
    "phone", "email", "ssn", "tax_id", "payload", "segment", "segment_text", "document",
    "claim", "raw", "value", "values", "input", "group_number",
})

# Loggers of libraries that put element values into their messages.
_OPAQUE_LOGGERS = ("pyx12", "paramiko")


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
           ) -> MutableMapping[str, Any]:
    """Mask PHI-bearing keys; our events carry identifiers, never claim content."""
    for key in list(event_dict):
        if key.lower() in PHI_KEYS:
            event_dict[key] = REDACTED
    return event_dict


class _WithholdMessage(logging.Filter):
    """Keep that a third-party library logged, not what: its text may embed PHI.

    Sits on the handler, because a logger's own filters do not apply to records
    from its child loggers (``pyx12.x12file``, ``paramiko.transport``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(_OPAQUE_LOGGERS):
            return True
        record.msg = f"{record.name} message withheld (may contain claim data)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


def configure(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging to ``stream`` (stderr) through one pipeline."""
    out = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    # Tracebacks as plain text without local variables, which could hold PHI.
    exc_formatter = structlog.processors.format_exc_info
    handler = logging.StreamHandler(out)
    handler.addFilter(_WithholdMessage())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exc_formatter,
            renderer,
        ],
    ))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _OPAQUE_LOGGERS:
        lib = logging.getLogger(name)
        # pyx12 logs every data error at ERROR; its findings reach us as data instead.
        lib.setLevel(logging.CRITICAL if name == "pyx12" else logging.WARNING)

    # Alembic narrates every migration step at INFO; its own result is logged by us.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    structlog.configure(
        # Drop below-level events before any processor runs (hot loops log at debug).
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
