"""The sandbox's behaviour, from a TOML file (``config/sandbox.toml``): what it pays, whom
it rejects or denies, when it answers.

Every section has a default, so an empty file (or no file) gives a sandbox that accepts
every well-formed claim and pays ``fee_schedule.default_percent`` of each line's charge.
A claim is matched by a rule when every condition the rule names holds; a rule without
any condition is refused for rejections, denials and reversals (it would hit everything).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import ConfigError

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]
Code = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,8}$")]


_R = TypeVar("_R", bound="Match")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClaimFacts(Protocol):
    """What a rule looks at (a received claim provides it)."""

    @property
    def pcn(self) -> str: ...
    @property
    def payer_id(self) -> str: ...
    @property
    def diagnoses(self) -> list[str]: ...
    @property
    def procedure_codes(self) -> list[str]: ...


class Match(_Model):
    """Conditions; all that are given must hold. Lists match when any entry does."""

    procedure_codes: list[Code] = Field(default_factory=list)
    payer_ids: list[str] = Field(default_factory=list)
    # Substrings of the patient control number (CLM01), compared case-insensitively.
    markers: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    # ICD-10-CM codes, with or without the dot.
    diagnosis_codes: list[str] = Field(default_factory=list)

    @property
    def unconditional(self) -> bool:
        return not (self.procedure_codes or self.payer_ids or self.markers
                    or self.diagnosis_codes)

    def matches(self, claim: ClaimFacts) -> bool:
        if self.payer_ids and claim.payer_id not in self.payer_ids:
            return False
        if self.markers and not any(m.upper() in claim.pcn.upper() for m in self.markers):
            return False
        if self.diagnosis_codes:
            wanted = {_dx(c) for c in self.diagnosis_codes}
            if not wanted.intersection(_dx(c) for c in claim.diagnoses):
                return False
        return not self.procedure_codes or bool(
            set(self.procedure_codes).intersection(claim.procedure_codes))

    def matches_procedure(self, code: str) -> bool:
        """Whether a line with ``code`` is what this rule is about (any line if no codes)."""
        return not self.procedure_codes or code in self.procedure_codes


class _Conditional(Match):
    name: Annotated[str, Field(min_length=1, max_length=60)]

    @model_validator(mode="after")
    def _has_condition(self) -> _Conditional:
        if self.unconditional:
            raise ValueError(f"rule {self.name!r} names no condition (procedure_codes, "
                             "payer_ids, markers or diagnosis_codes): it would hit every claim")
        return self


class Rejection(_Conditional):
    """A 277CA rejection: by the clearinghouse (first pass) or by the payer (second)."""

    stage: Literal["clearinghouse", "payer"] = "payer"
    category: Literal["A3", "A6", "A7", "A8"] = "A7"
    status_code: Annotated[str, Field(pattern=r"^[0-9]{1,4}$")] = "21"
    # STC01-3, the entity at fault (X214 2200D list): 85 billing provider, 82 rendering
    # provider, 41 submitter, 40 receiver, 03 dependent, 1P/1Z provider, 71-73, 77, 87.
    entity: Literal["03", "1P", "1Z", "40", "41", "71", "72", "73", "77", "82", "85",
                    "87"] | None = None


class Denial(_Conditional):
    """An 835 denial. With ``procedure_codes`` only those lines are denied; otherwise
    every line of the claim is. A claim whose every line is denied gets ``claim_status``."""

    group: Literal["CO", "PR", "OA", "PI"] = "CO"
    carc: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,5}$")] = "96"
    rarc: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{1,5}$")]] = Field(
        default_factory=lambda: ["N130"])
    claim_status: Literal["1", "4"] = "4"


class PatientShare(Match):
    """Partial pay: the patient owes a deductible (PR-1), coinsurance (PR-2, a percentage
    of the allowed amount left after the deductible) and a copay (PR-3). The first rule
    that matches a claim applies; a rule without conditions matches every claim."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    deductible: Money = Decimal(0)
    coinsurance_percent: Percent = Decimal(0)
    copay: Money = Decimal(0)


class Reversal(_Conditional):
    """After its payment, a claim is reversed (CLP02 22) in a later 835 and, with
    ``correct``, paid again ``correction_percent`` lower (the difference as CO-``carc``)."""

    correct: bool = True
    correction_percent: Percent = Decimal(10)
    correction_carc: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,5}$")] = "45"


class FeeSchedule(_Model):
    """Allowed amount per unit by procedure code; other codes get a share of the charge."""

    allowed: dict[Code, Money] = Field(default_factory=dict)
    default_percent: Percent = Decimal(80)
    # The CARC for charge above the allowed amount (CO-45: exceeds the fee schedule).
    contractual_carc: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,5}$")] = "45"


class Interest(_Model):
    """A provider-level adjustment on every payment that pays something: PLB L6
    (interest paid to the provider)."""

    amount_per_payment: Money = Decimal(0)


class Delays(_Model):
    """Seconds after an 837P is picked up until each answer is due."""

    ack999_seconds: Annotated[float, Field(ge=0)] = 0.0
    clearinghouse_277ca_seconds: Annotated[float, Field(ge=0)] = 0.0
    payer_277ca_seconds: Annotated[float, Field(ge=0)] = 0.0
    era_seconds: Annotated[float, Field(ge=0)] = 0.0
    # After the 835 that paid the claim.
    reversal_seconds: Annotated[float, Field(ge=0)] = 0.0


class Acknowledgments(_Model):
    ta1_on_request: bool = True  # ISA14 = 1
    ta1_on_envelope_error: bool = True  # includes a duplicate ISA13 (TA1 R 025)
    # A transaction set with pyx12 errors: R (rejected) or E (accepted with errors).
    reject_sets_with_errors: bool = True
    clearinghouse_status: Literal["A1:19", "A1:20"] = "A1:20"
    # Off: no pyx12 run (benchmarks); every set that passes the envelope checks is "A".
    validate_with_pyx12: bool = True


class PayerInfo(_Model):
    """How a payer appears in its 835s (N1*PR, TRN03, N3/N4, PER*BL)."""

    name: str | None = None  # default: the name the 837P gave (2010BB)
    tax_id: Annotated[str | None, Field(pattern=r"^[0-9]{9}$")] = None
    address: str = "PO BOX 1000"
    city: str = "NASHVILLE"
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "TN"
    zip: Annotated[str, Field(pattern=r"^[0-9]{5}([0-9]{4})?$")] = "37201"
    contact_phone: Annotated[str, Field(pattern=r"^[0-9]{10}$")] = "8005550100"


class SandboxRules(_Model):
    fee_schedule: FeeSchedule = FeeSchedule()
    rejections: list[Rejection] = Field(default_factory=list)
    denials: list[Denial] = Field(default_factory=list)
    patient_share: list[PatientShare] = Field(default_factory=list)
    reversals: list[Reversal] = Field(default_factory=list)
    interest: Interest = Interest()
    delays: Delays = Delays()
    acknowledgments: Acknowledgments = Acknowledgments()
    payers: dict[str, PayerInfo] = Field(default_factory=dict)

    def rejection(self, claim: ClaimFacts) -> Rejection | None:
        """The first rejection rule that hits ``claim``, clearinghouse rules first."""
        ordered = sorted(self.rejections, key=lambda r: r.stage != "clearinghouse")
        return _first(ordered, claim)

    def denials_for(self, claim: ClaimFacts) -> list[Denial]:
        return [d for d in self.denials if d.matches(claim)]

    def share_for(self, claim: ClaimFacts) -> PatientShare | None:
        return _first(self.patient_share, claim)

    def reversal(self, claim: ClaimFacts) -> Reversal | None:
        return _first(self.reversals, claim)

    def payer(self, payer_id: str) -> PayerInfo:
        return self.payers.get(payer_id, PayerInfo())


def _first(rules: Iterable[_R], claim: ClaimFacts) -> _R | None:
    return next((r for r in rules if r.matches(claim)), None)


def _dx(code: str) -> str:
    return code.replace(".", "").strip().upper()


def load_rules(path: Path | None) -> SandboxRules:
    """Rules from a TOML file; the defaults when ``path`` is None."""
    if path is None:
        return SandboxRules()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read sandbox rules ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return SandboxRules(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"{path}: invalid sandbox rules: {problems}") from exc
