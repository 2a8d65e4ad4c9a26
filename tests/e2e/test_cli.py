"""The `gateway` command in a subprocess, against the selected database backend."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.samples.factory import make_claim, mixed_batch
from tests.integration.test_intake import write_csv, write_jsonl

TODAY = dt.date.today()
REPO = Path(__file__).resolve().parents[2]


class Gateway:
    """Runs `python -m gateway` with its own data dir and database."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.cwd = tmp_path
        self.env = {**os.environ, "GATEWAY_DATA_DIR": str(tmp_path / "var"),
                    "GATEWAY_PARTNERS_DIR": str(REPO / "config" / "partners"),
                    "GATEWAY_DATABASE__URL": database_url, "GATEWAY_LOGGING__FORMAT": "json",
                    "COLUMNS": "200"}
        self.env.pop("GATEWAY_CONFIG", None)

    def __call__(self, *args: str, expect: int | None = 0, **env: str
                 ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "gateway", *args], cwd=self.cwd,
                                env={**self.env, **env}, capture_output=True, text=True,
                                timeout=300, check=False)
        if expect is not None:
            assert result.returncode == expect, (result.stdout, result.stderr)
        return result

    def json(self, *args: str, expect: int | None = 0) -> Any:
        return json.loads(self(*args, "--json", expect=expect).stdout)


@pytest.fixture
def gw(tmp_path: Path, database_url: str, backend_name: str) -> Gateway:
    runner = Gateway(tmp_path, database_url)
    if backend_name == "postgresql":
        # PostgreSQL is never migrated implicitly: the operator runs `db upgrade`.
        runner("db", "upgrade")
    return runner


DEMO_OUTCOMES = {
    "DEMO-0001": "paid", "DEMO-0002": "paid", "DEMO-0003": "paid", "DEMO-0004": "paid",
    "DEMO-0005": "partially_paid",  # one line denied (CO-96)
    "DEMO-0006": "denied",  # CLP02 4, CO-96, N130
    "DEMO-0007": "rejected",  # payer 277CA A7:454
    "DEMO-0008": "paid",
    "DEMO-0009": "invalid", "DEMO-0010": "invalid", "DEMO-0011": "invalid",
    "DEMO-0012": "invalid",
}


def test_demo_runs_the_whole_loop_and_is_idempotent(gw: Gateway, tmp_path: Path) -> None:
    """The README's main job: every sample claim ends in its expected final state; a
    second run sends nothing again and changes nothing."""
    first = gw("demo")
    assert "12 claims" in first.stdout and "8 accepted" in first.stdout
    assert "4 refused" in first.stdout and "gateway claims show" in first.stdout
    assert "not final" not in first.stdout
    claims = {c["patient_control_number"]: c["status"] for c in gw.json("claims", "list")}
    assert claims == DEMO_OUTCOMES
    (detail,) = gw.json("claims", "show", "DEMO-0005")
    assert [p["outcome"] for p in detail["payments"]] == ["partially_paid"]
    assert {e["source"] for e in detail["timeline"]} >= {"intake", "submission", "999",
                                                         "277ca", "835"}
    sent = list((tmp_path / "var" / "sandbox" / "to-clearinghouse").glob("*.837"))
    sample = ("DEMO-0001", "DEMO-0005", "DEMO-0007")
    events = sum(len(gw.json("claims", "show", pcn)[0]["timeline"]) for pcn in sample)

    second = gw("demo")
    assert "12 unchanged" in second.stdout
    assert list((tmp_path / "var" / "sandbox" / "to-clearinghouse").glob("*.837")) == sent
    assert {c["patient_control_number"]: c["status"]
            for c in gw.json("claims", "list")} == DEMO_OUTCOMES
    assert sum(len(gw.json("claims", "show", pcn)[0]["timeline"]) for pcn in sample) == events


@pytest.mark.parametrize("writer", [write_jsonl, write_csv], ids=["jsonl", "csv"])
def test_import_thousand_mixed_claims_twice(gw: Gateway, tmp_path: Path, writer: Any) -> None:
    """1,000 good and bad claims: good stored, each bad refused with its rule; re-import no-op."""
    batch = mixed_batch(1000, bad_every=5, today=TODAY)
    path = writer(tmp_path / ("claims.csv" if writer is write_csv else "claims.jsonl"),
                  [doc for doc, _ in batch])

    report = gw.json("claims", "import", str(path), expect=1)
    assert report["counts"] == {"accepted": 800, "refused": 200, "unchanged": 0, "locked": 0}
    for claim, (_doc, rule) in zip(report["claims"], batch, strict=True):
        rules = {f["rule"] for f in claim["findings"]}
        assert (rule in rules) if rule else (claim["verdict"] == "accepted" and not rules)

    again = gw.json("claims", "import", str(path), expect=0)
    assert again["counts"] == {"accepted": 0, "refused": 0, "unchanged": 1000, "locked": 0}
    invalid = gw.json("claims", "list", "--status", "invalid", "--limit", "10000")
    assert len(invalid) == 200


def test_show_gives_status_reasons_and_timeline(gw: Gateway, tmp_path: Path) -> None:
    """`claims show PCN` tells a refused claim's rule codes and its history."""
    doc = make_claim(5, today=TODAY)
    doc["billing_provider"]["npi"] = "1234567890"
    gw("claims", "import", str(write_jsonl(tmp_path / "one.jsonl", [doc])), expect=1)

    (detail,) = gw.json("claims", "show", doc["patient_control_number"])
    assert detail["claim"]["status"] == "invalid"
    assert [f["rule"] for f in detail["findings"]] == ["PRV-001"]
    assert [e["kind"] for e in detail["timeline"]] == ["imported"]

    text = gw("claims", "show", doc["patient_control_number"]).stdout
    assert "PRV-001" in text and "timeline" in text and "invalid" in text
    missing = gw("claims", "show", "NO-SUCH-CLAIM", expect=1)
    assert "no claim" in missing.stderr


def test_list_filters_by_payer_and_dates(gw: Gateway, tmp_path: Path) -> None:
    """`claims list` narrows by payer id and service-date window."""
    docs = [make_claim(i, today=TODAY) for i in range(1, 10)]
    gw("claims", "import", str(write_jsonl(tmp_path / "c.jsonl", docs)))
    payer = docs[0]["payer"]["payer_id"]
    rows = gw.json("claims", "list", "--payer", payer)
    assert rows and {r["payer_id"] for r in rows} == {payer}
    day = docs[0]["service_lines"][0]["service_date"]
    rows = gw.json("claims", "list", "--from", day, "--to", day)
    assert docs[0]["patient_control_number"] in {r["patient_control_number"] for r in rows}
    assert {r["service_date_from"] for r in rows} == {day}


def test_phi_never_reaches_the_logs(gw: Gateway, tmp_path: Path) -> None:
    """Names, member id, birth date and address of imported claims never appear in log lines."""
    good = make_claim(1, today=TODAY)
    bad = make_claim(2, today=TODAY)
    phi_values = []
    for doc, tag in ((good, "AAA"), (bad, "BBB")):
        doc["subscriber"].update(last_name=f"ZYXWV{tag}", first_name=f"QWERT{tag}",
                                 member_id=f"MBR{tag}777", birth_date="1961-07-13")
        doc["subscriber"]["address"]["line1"] = f"4242 SECRET{tag} LANE"
        phi_values += [f"ZYXWV{tag}", f"QWERT{tag}", f"MBR{tag}777", f"SECRET{tag}"]
    bad["subscriber"]["last_name"] = "ZYXWV*BBB"  # refused for a separator in the name
    phi_values.append("1961-07-13")
    path = write_jsonl(tmp_path / "phi.jsonl", [good, bad])

    results = [gw("claims", "import", str(path), expect=1, GATEWAY_LOGGING__LEVEL="DEBUG"),
               gw("claims", "list", GATEWAY_LOGGING__LEVEL="DEBUG"),
               gw("claims", "show", good["patient_control_number"],
                  GATEWAY_LOGGING__LEVEL="DEBUG")]
    logs = "".join(r.stderr for r in results)
    assert "claim.imported" in logs  # the debug lines were written, so the check means something
    for value in phi_values:
        assert value not in logs
    # ...while the verdict still names the rule and field.
    assert "ENV-010" in results[0].stdout and "subscriber.last_name" in results[0].stdout


def test_config_check_masks_password_and_reports_unreachable_db(gw: Gateway) -> None:
    """A wrong database URL is exit code 3 with a clear message and no password shown."""
    url = "postgresql+psycopg://gw:topsecret@127.0.0.1:1/gateway"
    result = gw("config", "check", expect=3, GATEWAY_DATABASE__URL=url)
    assert "topsecret" not in result.stdout + result.stderr
    assert "gw:***@127.0.0.1:1" in result.stderr


def test_config_check_prints_effective_settings(gw: Gateway) -> None:
    """The effective settings come out as JSON with the database reachable."""
    report = gw.json("config", "check")
    assert report["database"]["reachable"] is True
    assert report["settings"]["intake"]["chunk_size"] >= 1


def test_schema_command_prints_json_schema(gw: Gateway) -> None:
    """`claims schema` prints the claim input format as JSON Schema."""
    schema = json.loads(gw("claims", "schema").stdout)
    assert "service_lines" in schema["properties"]


def test_unreadable_input_is_exit_code_2(gw: Gateway, tmp_path: Path) -> None:
    """A file whose format cannot be told, or that is not JSON, is a usage error (2)."""
    odd = tmp_path / "claims.txt"
    odd.write_text("x")
    assert "--format" in gw("claims", "import", str(odd), expect=2).stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "not valid JSON" in gw("claims", "import", str(broken), expect=2).stderr


def test_submit_puts_a_validated_interchange_in_the_outbox(gw: Gateway, tmp_path: Path) -> None:
    """`gateway submit --partner sandbox` after importing the samples: 8 claims in one file."""
    gw("claims", "import", str(REPO / "gateway" / "samples" / "demo-claims.jsonl"), expect=1)
    report = gw.json("submit", "--partner", "sandbox")
    assert report["claims"] == 8 and report["control_number"] == 1
    assert report["validation_failed"] == {}
    outbox = Path(report["file"])
    assert outbox.is_file() and outbox.read_text().startswith("ISA*")
    batched = gw.json("claims", "list", "--status", "batched")
    assert len(batched) == 8
    again = gw.json("submit", "--partner", "sandbox")
    assert again["control_number"] is None and again["claims"] == 0
    unknown = gw("submit", "--partner", "nope", expect=3)
    assert "no trading partner named 'nope'" in unknown.stderr
