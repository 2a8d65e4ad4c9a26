"""Claim scrubbing: the front-end edits a claim must pass before we render an 837P.

Usage::

    from gateway.domain.rules import RULES, scrub

    findings = scrub(claim, today=datetime.date.today())   # [] means the claim is clean
    RULES["PRV-001"]                                        # one-line description

Each rule has a stable code from ``CLAIM-EDITS.md`` and is one small function in
:mod:`~gateway.domain.rules_parties` (PRV, SUB), :mod:`~gateway.domain.rules_envelope`
(ENV), :mod:`~gateway.domain.rules_claim` (CLM, DX, LIM) or
:mod:`~gateway.domain.rules_lines` (LINE, NDC) or :mod:`~gateway.domain.rules_cob`
(COB, PAY). Adding an edit means adding one
decorated function there (see :func:`gateway.domain.rules_core.rule`), its tests, and a
row in ``docs/rules.md``. All rules run on every claim, in code order,
so the user sees every problem at once; a finding's message never contains claim data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

# The rule modules register their rules on import.
from gateway.domain import (
    rules_claim,
    rules_cob,
    rules_envelope,
    rules_lines,
    rules_parties,
)
from gateway.domain.claim import Claim
from gateway.domain.findings import Finding
from gateway.domain.rules_core import REGISTRY, Check, Context, Rule, rule_sort_key

__all__ = ["RULES", "Finding", "all_rules", "scrub"]

_ = (rules_claim, rules_cob, rules_envelope, rules_lines, rules_parties)

_ORDERED: tuple[Rule, ...] = tuple(
    REGISTRY[code] for code in sorted(REGISTRY, key=rule_sort_key)
)
_CHECKS: tuple[Check, ...] = tuple(r.check for r in _ORDERED)

#: Rule code -> one-line description, in code order (for docs and ``gateway rules``).
RULES: Mapping[str, str] = MappingProxyType({r.code: r.description for r in _ORDERED})


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, in code order."""
    return _ORDERED


def scrub(claim: Claim, *, today: dt.date) -> list[Finding]:
    """Run every rule on ``claim``; return all findings (empty when the claim is clean).

    ``today`` is the date service and birth dates are judged against (pass the
    submission date, not a clock read inside the rules, so results are reproducible).
    """
    context = Context(today=today)
    findings: list[Finding] = []
    for check in _CHECKS:
        findings.extend(check(claim, context))
    return findings
