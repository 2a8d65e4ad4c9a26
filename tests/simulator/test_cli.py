"""`gateway sandbox run` / `gateway sandbox ledger`, in a subprocess (the commands as
registered by gateway.cli_sandbox.register on a bare typer app)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gateway.partners import TradingPartner
from gateway.samples.factory import make_claim
from tests.simulator.conftest import REPO, TODAY, answers, drop, interchange_text

_APP = """
import sys, typer
from gateway import cli_sandbox
from gateway.errors import ConfigError
app = typer.Typer()
@app.callback()
def _main() -> None:
    pass
cli_sandbox.register(app)
try:
    app()
except ConfigError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(3)
"""


def _gateway(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_PARTNERS_DIR": str(tmp_path / "partners"),
           "GATEWAY_DATA_DIR": str(tmp_path / "var"), "GATEWAY_LOGGING__LEVEL": "ERROR",
           "COLUMNS": "200"}
    env.pop("GATEWAY_CONFIG", None)
    return subprocess.run([sys.executable, "-c", _APP, *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_run_once_then_read_the_ledger(tmp_path: Path, partner: TradingPartner) -> None:
    """`sandbox run --once --drain` answers a dropped 837P; `sandbox ledger` shows it."""
    (tmp_path / "partners").mkdir()
    config = (REPO / "config" / "partners" / "sandbox.toml").read_text()
    root = partner.transport.root  # type: ignore[union-attr]
    (tmp_path / "partners" / "sandbox.toml").write_text(
        config.replace('root = "var/sandbox"', f'root = "{root}"'))
    missing = _gateway(tmp_path, "sandbox", "ledger")
    assert missing.returncode == 3 and "no sandbox ledger" in missing.stderr

    drop(partner, "b.837", interchange_text(partner, [make_claim(i, today=TODAY)
                                                      for i in range(2)]))
    ran = _gateway(tmp_path, "sandbox", "run", "--once", "--drain",
                   "--config", str(REPO / "config" / "sandbox.toml"))
    assert ran.returncode == 0, ran.stderr
    assert "1 file(s) received" in ran.stdout
    assert [a.kind for a in answers(partner)][:2] == ["999", "277CA"]

    shown = _gateway(tmp_path, "sandbox", "ledger", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert [(i["isa13"], i["status"], i["claims"]) for i in data["interchanges"]] == [
        ("000000001", "accepted", 2)]
    assert sorted(c["pcn"] for c in data["claims"]) == ["PCN00000000", "PCN00000001"]
    assert all(r["state"] == "written" for r in data["responses"])
    table = _gateway(tmp_path, "sandbox", "ledger")
    assert table.returncode == 0 and "PCN00000000" in table.stdout
