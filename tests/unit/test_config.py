"""Settings: defaults, the TOML file, environment overrides, masking."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gateway.config import Settings, load_settings, mask_url
from gateway.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_file_equals_the_built_in_defaults() -> None:
    """config/gateway.toml documents the defaults; the two must not drift apart."""
    data = tomllib.loads((REPO / "config" / "gateway.toml").read_text())
    assert Settings(**data) == Settings()


def test_default_database_is_sqlite_in_data_dir() -> None:
    """No URL configured: the embedded SQLite file under data_dir."""
    assert Settings(data_dir=Path("/srv/gw")).database_url == "sqlite:////srv/gw/gateway.db"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    """GATEWAY_SECTION__KEY beats the TOML file, which beats the defaults."""
    cfg = tmp_path / "g.toml"
    cfg.write_text('[logging]\nlevel = "DEBUG"\n[intake]\nchunk_size = 10\n')
    monkeypatch.setenv("GATEWAY_INTAKE__CHUNK_SIZE", "20")
    settings = load_settings(cfg)
    assert settings.logging.level == "DEBUG"
    assert settings.intake.chunk_size == 20


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database password never appears in the printable settings."""
    monkeypatch.setenv("GATEWAY_DATABASE__URL", "postgresql+psycopg://gw:s3cr3t@db/gateway")
    settings = Settings()
    shown = str(settings.masked()) + repr(settings)
    assert "s3cr3t" not in shown
    assert settings.masked()["database"]["url"] == "postgresql+psycopg://gw:***@db/gateway"
    assert mask_url("sqlite:///var/gateway.db") == "sqlite:///var/gateway.db"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    """Naming a config file that does not exist fails instead of silently using defaults."""
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(("text", "fragment"), [
    ("[intake]\nchunk_size = 0\n", "intake.chunk_size"),
    ("[database]\nurll = 'x'\n", "database.urll"),
    ("not toml at all = = =", "not valid TOML"),
])
def test_invalid_settings_say_which_key(tmp_path: Path, text: str, fragment: str) -> None:
    """A bad value or an unknown key is reported with its dotted name."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        load_settings(cfg)


def test_production_example_is_a_valid_configuration() -> None:
    """The example production config parses and points at PostgreSQL."""
    data = tomllib.loads((REPO / "config" / "production.example.toml").read_text())
    settings = Settings(**data)
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.logging.format == "json"


def test_bundled_demo_copies_match_the_config_files() -> None:
    """The demo's packaged sandbox partner and rules are the files in config/, verbatim."""
    samples = REPO / "gateway" / "samples"
    assert (samples / "sandbox-partner.toml").read_text() == (
        REPO / "config" / "partners" / "sandbox.toml").read_text()
    assert (samples / "sandbox-rules.toml").read_text() == (
        REPO / "config" / "sandbox.toml").read_text()
