"""The scrubbing engine's plumbing: the rule registry and helpers shared by rules.

A rule is a small function decorated with :func:`rule`, which gives it a stable code
(the IDs of ``CLAIM-EDITS.md``) and a one-line description. It receives the parsed
claim and a :class:`Context` and yields :class:`Finding` objects, one per offending
field. Rules are independent: each one looks only at what it checks, tolerates
anything another rule refuses, and never stops another rule from running.

Messages are fixed sentences: they name the field and the problem but never repeat
a value from the claim (names, ids, codes, dates, amounts are PHI or close to it).
Paths are dotted JSON paths into the input document: ``service_lines[1].modifiers[0]``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from gateway.domain.claim import Address, Claim
from gateway.domain.findings import Finding


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule may know besides the claim: today's date (service dates, birth dates)."""

    today: dt.date


Check = Callable[[Claim, Context], Iterator[Finding]]
C = TypeVar("C", bound=Check)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    description: str
    check: Check


_CODE_SHAPE = re.compile(r"[A-Z]{2,4}-[0-9]{3}")
REGISTRY: dict[str, Rule] = {}


def rule(code: str, description: str) -> Callable[[C], C]:
    """Register the decorated function as the check for rule ``code``."""
    if not _CODE_SHAPE.fullmatch(code):
        raise ValueError(f"rule code {code!r} is not shaped like PRV-001")

    def register(check: C) -> C:
        if code in REGISTRY:
            raise ValueError(f"rule {code} is registered twice")
        REGISTRY[code] = Rule(code, description, check)
        return check

    return register


def rule_sort_key(code: str) -> tuple[str, int]:
    """Order codes by family, then number: CLM-002 before CLM-010."""
    family, _, number = code.partition("-")
    return family, int(number)


# ----------------------------------------------------------------------- shared checks

_NPI_SHAPE = re.compile(r"[12][0-9]{9}")


def npi_is_valid(npi: str) -> bool:
    """10 digits, first 1 or 2, Luhn check digit over ``80840`` + the first nine digits.

    The 80840 prefix contributes a constant 24 to the Luhn sum.
    """
    if not _NPI_SHAPE.fullmatch(npi):
        return False
    total = 24
    for position, char in enumerate(reversed(npi[:9])):
        digit = ord(char) - 48
        if position % 2 == 0:  # doubled: every other digit, starting next to the check
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == ord(npi[9]) - 48


def is_us_address(address: Address) -> bool:
    """No country, or the US: the ZIP code rules apply."""
    return address.country is None or address.country.upper() in ("US", "USA")


def line_path(index: int, field: str) -> str:
    return f"service_lines[{index}].{field}"


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Whole years from ``birth`` to ``on`` (negative when ``on`` is before ``birth``)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
