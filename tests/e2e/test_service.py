"""`gateway run` in a real subprocess: the loop, its drop folder, signals, status."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from gateway.samples.factory import make_claim
from tests.e2e.test_cli import REPO, TODAY, Gateway


def partner_dir(tmp_path: Path, *, broken: bool = False) -> Path:
    """The sandbox partner rooted in tmp_path (and optionally one that cannot connect)."""
    folder = tmp_path / "partners"
    folder.mkdir(exist_ok=True)
    text = (REPO / "config" / "partners" / "sandbox.toml").read_text()
    (folder / "sandbox.toml").write_text(
        text.replace('root = "var/sandbox"', f'root = "{tmp_path / "sandbox"}"'))
    if broken:
        (folder / "zbroken.toml").write_text(
            text.replace('name = "sandbox"', 'name = "zbroken"')
            .replace("default = true", "default = false")
            .replace('kind = "local"\nroot = "var/sandbox"',
                     'kind = "sftp"\nhost = "127.0.0.1"\nport = 1\nusername = "nobody"\n'
                     'password_env = "NO_SUCH_SECRET"\nhost_key_sha256 = "SHA256:AAAA"'))
    return folder


def test_run_once_imports_the_drop_folder_and_sends(tmp_path: Path, database_url: str,
                                                    backend_name: str) -> None:
    """One cycle: claim file in the drop folder → imported, moved, submitted, uploaded."""
    gw = Gateway(tmp_path, database_url)
    gw.env["GATEWAY_PARTNERS_DIR"] = str(partner_dir(tmp_path, broken=True))
    if backend_name == "postgresql":
        gw("db", "upgrade")
    drop = tmp_path / "var" / "drop"
    drop.mkdir(parents=True)
    docs = [make_claim(i, today=TODAY) for i in range(6)]
    (drop / "batch.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (drop / "junk.json").write_text("{not json")

    gw("run", "--once")

    assert (drop / "processed" / "batch.jsonl").is_file()
    assert (drop / "failed" / "junk.json").is_file()
    assert "not valid JSON" in (drop / "failed" / "junk.json.reason.txt").read_text()
    uploaded = list((tmp_path / "sandbox" / "to-clearinghouse").iterdir())
    assert len(uploaded) == 1 and uploaded[0].read_text().startswith("ISA*")
    assert len(gw.json("claims", "list", "--status", "sent")) == 6
    status = gw.json("status")
    by_step = {(s["partner"], s["step"]): s for s in status["steps"]}
    assert by_step[("sandbox", "upload")]["last_success_at"] is not None
    # The unreachable partner failed its own steps without stopping the sandbox's.
    assert by_step[("zbroken", "poll")]["failures"] == 1
    assert by_step[("zbroken", "poll")]["last_error"]


def test_sigterm_finishes_the_cycle_and_exits_zero(tmp_path: Path, database_url: str) -> None:
    """SIGTERM to a running service: clean exit 0, instance recorded as stopped."""
    gw = Gateway(tmp_path, database_url)
    gw.env["GATEWAY_PARTNERS_DIR"] = str(partner_dir(tmp_path))
    gw.env["GATEWAY_SERVICE__CYCLE_SECONDS"] = "0.2"
    gw("db", "upgrade")  # so that `status` can be asked before the service starts
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "run"], cwd=tmp_path,
                            env=gw.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if gw.json("status")["instances"]:
                break
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "service.stopping" in err and "service.stopped" in err
    (instance,) = gw.json("status")["instances"]
    assert instance["stopped_at"] is not None
