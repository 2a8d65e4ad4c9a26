"""Trading partners (clearinghouses): one TOML file each under ``config/partners/``.

Typed, so that a per-partner quirk is a field with a name and a default, never a
free-form dict. Secrets are never in these files: a partner names the environment
variable (or file) that holds a password or key passphrase.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import ConfigError

PartnerName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Separators(_Section):
    element: Annotated[str, Field(min_length=1, max_length=1)] = "*"
    component: Annotated[str, Field(min_length=1, max_length=1)] = ":"
    repetition: Annotated[str, Field(min_length=1, max_length=1)] = "^"
    segment: Annotated[str, Field(min_length=1, max_length=1)] = "~"

    @model_validator(mode="after")
    def _distinct(self) -> Separators:
        chars = [self.element, self.component, self.repetition, self.segment]
        if len(set(chars)) != 4:
            raise ValueError("the four separators must be different characters")
        if any(c.isalnum() or c == " " for c in chars):
            raise ValueError("separators may not be letters, digits or spaces")
        return self


class Envelope(_Section):
    """ISA/GS identities the clearinghouse assigned, and how interchanges are cut."""

    sender_qualifier: Annotated[str, Field(min_length=2, max_length=2)] = "ZZ"
    sender_id: Annotated[str, Field(min_length=1, max_length=15)]
    receiver_qualifier: Annotated[str, Field(min_length=2, max_length=2)] = "ZZ"
    receiver_id: Annotated[str, Field(min_length=1, max_length=15)]
    # GS02/GS03 application codes; default to the ISA ids.
    application_sender: Annotated[str | None, Field(min_length=2, max_length=15)] = None
    application_receiver: Annotated[str | None, Field(min_length=2, max_length=15)] = None
    usage_indicator: Literal["T", "P"] = "T"
    # ISA14: ask for a TA1.
    request_ta1: bool = False
    claims_per_transaction: Annotated[int, Field(ge=1, le=5000)] = 5000
    separators: Separators = Separators()

    @property
    def gs_sender(self) -> str:
        return self.application_sender or self.sender_id

    @property
    def gs_receiver(self) -> str:
        return self.application_receiver or self.receiver_id


class Receiver(_Section):
    """1000B: the clearinghouse as named in the 837P."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    id: Annotated[str, Field(min_length=2, max_length=80)]


class LocalTransport(_Section):
    """A pair of local folders: the embedded default and the sandbox's."""

    kind: Literal["local"] = "local"
    root: Path


class SftpTransport(_Section):
    kind: Literal["sftp"] = "sftp"
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    username: str
    # Key authentication (preferred); the passphrase comes from an environment variable.
    key_file: Path | None = None
    key_passphrase_env: str | None = None
    # Password only when a partner demands it; never the password itself here.
    password_env: str | None = None
    # Host key pinning: a known_hosts file, a SHA256 fingerprint, or both.
    known_hosts_file: Path | None = None
    host_key_sha256: str | None = None
    connect_timeout: Annotated[float, Field(gt=0)] = 15.0
    operation_timeout: Annotated[float, Field(gt=0)] = 60.0
    keepalive_seconds: Annotated[int, Field(ge=0)] = 30

    @model_validator(mode="after")
    def _authenticates_and_verifies(self) -> SftpTransport:
        if self.key_file is None and self.password_env is None:
            raise ValueError("set key_file (preferred) or password_env")
        if self.known_hosts_file is None and self.host_key_sha256 is None:
            raise ValueError("set known_hosts_file or host_key_sha256: host keys are "
                             "always verified")
        return self

    def secret(self, env_name: str | None) -> str | None:
        return os.environ.get(env_name) if env_name else None

    def passphrase(self) -> str | None:
        """The key passphrase from ``key_passphrase_env``; None when none is configured."""
        return self._required_secret("key_passphrase_env", self.key_passphrase_env)

    def password(self) -> str | None:
        """The login password from ``password_env``; None when none is configured."""
        return self._required_secret("password_env", self.password_env)

    def _required_secret(self, field: str, env_name: str | None) -> str | None:
        # Named but unset is a deployment mistake: say so instead of trying without it.
        if env_name is None:
            return None
        value = os.environ.get(env_name)
        if value is None:
            raise ConfigError(f"{field}: environment variable {env_name} is not set")
        return value


class Folders(_Section):
    """Remote (or local) folder names, as the clearinghouse calls them."""

    outbound: str = "outbound"  # where we put 837P files
    inbound: str = "inbound"  # where responses wait for us
    archive: str | None = None  # where downloaded responses go when not deleted
    after_download: Literal["delete", "archive", "keep"] = "delete"

    @model_validator(mode="after")
    def _archive_named(self) -> Folders:
        if self.after_download == "archive" and not self.archive:
            raise ValueError("after_download = \"archive\" needs an archive folder")
        return self


class RetrySettings(_Section):
    """How transient transport faults are retried (exponential backoff with jitter)."""

    attempts: Annotated[int, Field(ge=1, le=20)] = 5
    initial_wait_seconds: Annotated[float, Field(ge=0)] = 1.0
    max_wait_seconds: Annotated[float, Field(ge=0)] = 30.0
    jitter_seconds: Annotated[float, Field(ge=0)] = 1.0
    max_total_seconds: Annotated[float, Field(gt=0)] = 180.0


class TradingPartner(_Section):
    name: PartnerName
    description: str = ""
    # Carries every payer no other partner lists (a billing company with one
    # clearinghouse configures nothing per payer).
    default: bool = False
    payer_ids: list[str] = Field(default_factory=list)
    envelope: Envelope
    receiver: Receiver
    transport: LocalTransport | SftpTransport = Field(discriminator="kind")
    folders: Folders = Folders()
    retry: RetrySettings = RetrySettings()
    # {control_number} (ISA13, 9 digits), {sender}, {partner}, {timestamp} (UTC).
    file_name_template: str = "{sender}_{control_number}_{timestamp}.837"
    poll_interval_seconds: Annotated[int, Field(ge=1)] = 300
    max_file_size: Annotated[int, Field(ge=1024)] = 100 * 1024 * 1024

    def file_name(self, control_number: int, timestamp: str) -> str:
        return self.file_name_template.format(
            sender=self.envelope.sender_id.strip(), partner=self.name,
            control_number=f"{control_number:09d}", timestamp=timestamp)


class PartnerDirectory:
    """All configured partners, and which one carries a given payer."""

    def __init__(self, partners: list[TradingPartner]) -> None:
        names = [p.name for p in partners]
        if len(set(names)) != len(names):
            raise ConfigError("two trading partners have the same name")
        defaults = [p.name for p in partners if p.default]
        if len(defaults) > 1:
            raise ConfigError(f"more than one default trading partner: {', '.join(defaults)}")
        self._by_name = {p.name: p for p in partners}
        self._default = self._by_name[defaults[0]] if defaults else None
        self._by_payer: dict[str, TradingPartner] = {}
        for partner in partners:
            for payer_id in partner.payer_ids:
                other = self._by_payer.setdefault(payer_id, partner)
                if other is not partner:
                    raise ConfigError(f"payer {payer_id} is listed by both {other.name} "
                                      f"and {partner.name}")

    def __iter__(self) -> Iterator[TradingPartner]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> TradingPartner:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name)) or "none configured"
            raise ConfigError(f"no trading partner named {name!r} (known: {known})") from None

    def route(self, payer_id: str) -> TradingPartner | None:
        """The partner that carries ``payer_id``: listed explicitly, else the default."""
        return self._by_payer.get(payer_id, self._default)


def load_partners(folder: Path) -> PartnerDirectory:
    partners = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            partners.append(TradingPartner(**data))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                 for e in exc.errors())
            raise ConfigError(f"{path}: invalid trading partner: {problems}") from exc
    return PartnerDirectory(partners)
