"""Three `gateway run` processes on one PostgreSQL database share the work: the sandbox
clearinghouse receives each of 5,000 claims exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from gateway.clock import SystemClock
from gateway.partners import load_partners
from gateway.samples.factory import make_claim
from gateway.simulator.clearinghouse import Sandbox
from gateway.simulator.rules import load_rules
from tests.e2e.test_cli import TODAY, Gateway
from tests.e2e.test_service import partner_dir

CLAIMS = 5000
FINAL = {"paid", "partially_paid", "denied", "rejected"}


@pytest.mark.slow
def test_three_instances_send_every_claim_exactly_once(tmp_path: Path, database_url: str,
                                                       backend_name: str) -> None:
    """Submit/upload/poll/ingest spread over three processes; no claim sent twice."""
    if backend_name != "postgresql":
        pytest.skip("several instances need PostgreSQL (SQLite: one instance, documented)")
    gw = Gateway(tmp_path, database_url)
    partners = partner_dir(tmp_path)
    gw.env.update({
        "GATEWAY_PARTNERS_DIR": str(partners),
        "GATEWAY_SUBMISSION__MAX_CLAIMS_PER_RUN": "400",
        "GATEWAY_SERVICE__CYCLE_SECONDS": "0.3",
        "GATEWAY_SERVICE__SUBMIT_INTERVAL_SECONDS": "0",
        "GATEWAY_SERVICE__UPLOAD_INTERVAL_SECONDS": "0",
        "GATEWAY_SERVICE__INGEST_INTERVAL_SECONDS": "0",
        "GATEWAY_RESPONSES__VALIDATE_WITH_PYX12": "false",
    })
    gw("db", "upgrade")
    claims_file = tmp_path / "claims.jsonl"
    claims_file.write_text("".join(json.dumps(make_claim(i, lines=1, today=TODAY)) + "\n"
                                   for i in range(CLAIMS)))
    gw("claims", "import", str(claims_file))

    partner = load_partners(partners).get("sandbox").model_copy(
        update={"poll_interval_seconds": 1})
    rules = load_rules(None).model_copy(update={"validate_with_pyx12": False})
    # Logs go to files: a pipe nobody reads would fill up and block the services.
    logs = [tmp_path / f"instance{n}.log" for n in range(3)]
    sinks = [log.open("w") for log in logs]
    procs = [subprocess.Popen([sys.executable, "-m", "gateway", "run"], cwd=tmp_path,
                              env=gw.env, stdout=subprocess.DEVNULL, stderr=sink)
             for sink in sinks]
    try:
        with Sandbox.for_partner(partner, rules, SystemClock()) as sandbox:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                sandbox.drain()
                counts = {s: n for s, n in gw.json("status")["queues"]["claims"].items()}
                if sum(counts.values()) == CLAIMS and set(counts) <= FINAL:
                    break
                time.sleep(1)
            received = Counter(c.pcn for c in sandbox.ledger.claims())
            isa13s = [i.isa13 for i in sandbox.ledger.interchanges()
                      if i.status != "duplicate"]
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=120)
        for sink in sinks:
            sink.close()
    assert [p.returncode for p in procs] == [0, 0, 0], [log.read_text()[-2000:] for log in logs]
    assert set(counts) <= FINAL and sum(counts.values()) == CLAIMS, counts
    assert len(received) == CLAIMS and set(received.values()) == {1}
    assert len(isa13s) == len(set(isa13s)) >= CLAIMS // 400
    status = gw.json("status")
    runs = {(s["partner"], s["step"]): s["runs"] for s in status["steps"]}
    assert runs[("sandbox", "submit")] >= 3
