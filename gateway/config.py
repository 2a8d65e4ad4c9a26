"""Settings: built once at start-up from defaults, a TOML file and the environment.

Precedence, highest first: ``GATEWAY_…`` environment variables (nested with ``__``,
e.g. ``GATEWAY_DATABASE__URL``), the TOML file, the defaults below. The defaults are
the embedded set-up (SQLite under ``var/``); ``config/gateway.toml`` spells them out
and a test keeps the two in step. One :class:`Settings` object is passed down; there
are no module globals.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from gateway.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("config/gateway.toml")


class _Section(BaseModel):
    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    # Empty: an SQLite file `gateway.db` inside data_dir.
    url: SecretStr = SecretStr("")
    echo: bool = False


class SubmitterSettings(_Section):
    """1000A defaults for claims that do not name their submitter."""

    id: str = "ACMEBILL01"
    name: str = "ACME BILLING SERVICES"
    contact_name: str = "EDI DESK"
    contact_phone: str = "6155551212"


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # auto: readable on a terminal, JSON otherwise.
    format: Literal["auto", "json", "console"] = "auto"


class IntakeSettings(_Section):
    # Claims per database transaction during import.
    chunk_size: int = Field(default=1000, ge=1, le=50_000)
    # Folder `gateway run` imports claim files from (default: <data_dir>/drop).
    drop_dir: Path | None = None


class SubmissionSettings(_Section):
    # Claims put into one interchange per partner per run (sets of up to
    # envelope.claims_per_transaction claims each).
    max_claims_per_run: int = Field(default=20_000, ge=1, le=1_000_000)
    # A BUILDING interchange older than this is taken as left by a dead run.
    stale_after_seconds: int = Field(default=600, ge=0)


class ResponsesSettings(_Section):
    # Run pyx12 over 999/277CA/835 files and keep its findings on the response (the
    # file is applied either way; only files that cannot be understood are quarantined).
    validate_with_pyx12: bool = True


class ServiceSettings(_Section):
    """`gateway run`: how often each step runs (poll intervals are per partner)."""

    cycle_seconds: float = Field(default=2.0, gt=0)
    intake_interval_seconds: float = Field(default=10.0, ge=0)
    submit_interval_seconds: float = Field(default=60.0, ge=0)
    upload_interval_seconds: float = Field(default=30.0, ge=0)
    ingest_interval_seconds: float = Field(default=15.0, ge=0)
    heartbeat_seconds: float = Field(default=30.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Path("var")
    # One TOML file per trading partner (clearinghouse).
    partners_dir: Path = Path("config/partners")
    database: DatabaseSettings = DatabaseSettings()
    submitter: SubmitterSettings = SubmitterSettings()
    logging: LoggingSettings = LoggingSettings()
    intake: IntakeSettings = IntakeSettings()
    submission: SubmissionSettings = SubmissionSettings()
    responses: ResponsesSettings = ResponsesSettings()
    service: ServiceSettings = ServiceSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; the environment must win over it.
        return env_settings, init_settings, file_secret_settings

    @property
    def database_url(self) -> str:
        url = self.database.url.get_secret_value()
        return url or f"sqlite:///{self.data_dir / 'gateway.db'}"

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, with every secret masked."""
        data: dict[str, Any] = self.model_dump(mode="json")
        data["database"]["url"] = mask_url(self.database_url)
        return data


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from ``path``, ``$GATEWAY_CONFIG`` or ``config/gateway.toml``.

    A file named explicitly must exist; the default file is optional so that an
    installed package runs on its defaults from any directory.
    """
    explicit = path or (Path(os.environ["GATEWAY_CONFIG"]) if os.environ.get("GATEWAY_CONFIG")
                        else None)
    file = explicit or DEFAULT_CONFIG_FILE
    data: dict[str, Any] = {}
    if file.is_file():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML ({exc})") from exc
    elif explicit is not None:
        raise ConfigError(f"config file not found: {file}")
    try:
        return Settings(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc
