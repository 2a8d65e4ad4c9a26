"""The gateway's exceptions: one root, a small tree, identifiers but never PHI.

    GatewayError
    ├── ConfigError                 bad or missing configuration
    ├── ClaimValidationError        a claim failed parsing or scrubbing (rule codes + paths)
    ├── IntakeError                 an input file cannot be read at all
    ├── X12Error                    render / validation / parse of X12
    ├── TransportError              connect, timeout, host key, auth, remote file
    └── StoreError
        ├── NotFoundError           no such claim / row
        ├── ConcurrentUpdateError   a conditional update matched no row
        └── IllegalTransitionError  the status model forbids the change

Third-party exceptions are translated where they enter (``raise ... from exc``).
Messages name records by internal id or control number, never by patient data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.domain.findings import Finding


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    pass


class ClaimValidationError(GatewayError):
    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        codes = ", ".join(sorted({f.rule for f in self.findings}))
        super().__init__(f"claim refused: {codes}")


class IntakeError(GatewayError):
    pass


class X12Error(GatewayError):
    pass


class TransportError(GatewayError):
    pass


class StoreError(GatewayError):
    pass


class NotFoundError(StoreError):
    pass


class ConcurrentUpdateError(StoreError):
    pass


class IllegalTransitionError(StoreError):
    pass
