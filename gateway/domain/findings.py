"""A finding: one reason a claim (or part of it) is refused."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """A stable rule code, the JSON path of the field, and a message.

    The message names the rule and may name the field; it never repeats the
    claim's data, so findings are safe to log and to show in any list.
    """

    rule: str
    path: str
    message: str
    severity: Severity = Severity.ERROR

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "path": self.path, "message": self.message,
                "severity": self.severity.value}
