"""Kill the real `gateway run` process (SIGKILL) at each dangerous point, restart it,
and check that every claim was sent exactly once and every response applied once.

The fault points (gateway/faults.py) sit between a side effect and the commit that
records it. The sandbox clearinghouse runs in this process between gateway runs and
keeps its own ledger of everything it received.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gateway.clock import SystemClock
from gateway.faults import POINTS
from gateway.partners import load_partners
from gateway.samples.factory import make_claim
from gateway.simulator.clearinghouse import Sandbox
from gateway.simulator.rules import load_rules
from tests.e2e.test_cli import TODAY, Gateway
from tests.e2e.test_service import partner_dir

CLAIMS = 8
FINAL = {"paid", "partially_paid", "denied", "rejected"}


def run_once(gw: Gateway, fault: str | None) -> int:
    env = {**gw.env, **({"GATEWAY_FAULT": fault} if fault else {})}
    proc = subprocess.run([sys.executable, "-m", "gateway", "run", "--once"], cwd=gw.cwd,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode in (0, -9), proc.stderr[-3000:]
    return proc.returncode


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_point_then_restart_sends_and_applies_everything_once(
        point: str, tmp_path: Path, database_url: str) -> None:
    """SIGKILL at `point`, then restarts: each claim reaches the sandbox exactly once,
    ends final, and carries exactly one 999, two 277CA and one 835 event."""
    gw = Gateway(tmp_path, database_url)
    partners = partner_dir(tmp_path)
    gw.env.update({"GATEWAY_PARTNERS_DIR": str(partners),
                   "GATEWAY_SUBMISSION__STALE_AFTER_SECONDS": "0"})
    gw("db", "upgrade")
    docs = [make_claim(i, today=TODAY) for i in range(CLAIMS)]
    claims_file = tmp_path / "claims.jsonl"
    claims_file.write_text("".join(json.dumps(d) + "\n" for d in docs))
    gw("claims", "import", str(claims_file))

    partner = load_partners(partners).get("sandbox")
    with Sandbox.for_partner(partner, load_rules(None), SystemClock()) as sandbox:
        fired = False
        for _ in range(12):
            code = run_once(gw, None if fired else point)
            fired = fired or code == -9
            sandbox.drain()
            statuses = {c["status"] for c in gw.json("claims", "list")}
            if fired and statuses <= FINAL:
                break
        assert fired, f"the fault point {point} was never reached"
        received = Counter(c.pcn for c in sandbox.ledger.claims())
        interchanges = [i.isa13 for i in sandbox.ledger.interchanges()
                        if i.status != "duplicate"]

    pcns = [d["patient_control_number"] for d in docs]
    assert received == Counter(pcns), "a claim reached the clearinghouse twice or never"
    assert len(interchanges) == len(set(interchanges))
    claims = {c["patient_control_number"]: c["status"] for c in gw.json("claims", "list")}
    assert set(claims.values()) <= FINAL, claims
    for pcn in pcns:
        (detail,) = gw.json("claims", "show", pcn)
        sources = Counter(e["source"] for e in detail["timeline"])
        assert (sources["999"], sources["277ca"], sources["835"]) == (1, 2, 1), (pcn, sources)
        assert len(detail["payments"]) == 1
