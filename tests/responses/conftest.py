"""Fixtures for the 835 tests: a migrated database, claims that were sent, ingestion."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import FixedClock
from gateway.intake.importer import ClaimImporter
from gateway.partners import PartnerDirectory, load_partners
from gateway.samples.factory import make_claim
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine
from gateway.store.submission import SubmissionStore
from gateway.submission.submit import Submitter
from x12_maps.p837_writer import Party

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
DESK = Party("ACME BILLING", "ACMEBILL01", "EDI DESK", "6155551212")








@dataclass
class Sent:
    """Claims imported, submitted in one 837P and marked sent."""

    docs: dict[str, dict[str, Any]]  # patient control number -> claim document
    ids: dict[str, int]  # patient control number -> claim id

    def doc(self, n: int) -> dict[str, Any]:
        return self.docs[f"PCN{n:08d}"]

    def id(self, n: int) -> int:
        return self.ids[f"PCN{n:08d}"]


def send_claims(engine: Engine, store: ClaimStore, clock: FixedClock, tmp_path: Path,
                count: int, *, lines: int = 3) -> Sent:
    """``count`` claims PCN00000000.. imported, in one 837P interchange, marked sent."""
    docs = [make_claim(i, lines=lines, today=TODAY) for i in range(count)]
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    importer = ClaimImporter(store, clock, default_submitter="ACMEBILL01", chunk_size=500)
    assert all(r.verdict.value == "accepted" for r in importer.import_file(path))
    partner = load_partners(REPO / "config" / "partners").get("sandbox")
    submitter = Submitter(SubmissionStore(engine), PartnerDirectory([partner]), clock,
                          outbox_dir=tmp_path / "outbox", default_submitter=DESK,
                          max_claims=max(count, 1), stale_after=dt.timedelta(minutes=10))
    result = submitter.submit("sandbox")
    assert result.file_id is not None
    SubmissionStore(engine).mark_file_sent(result.file_id, clock.now())
    by_pcn = {d["patient_control_number"]: d for d in docs}
    ids = {pcn: store.find_by_pcn(pcn)[0].id for pcn in by_pcn}
    return Sent(by_pcn, ids)


@pytest.fixture
def sent(engine: Engine, store: ClaimStore, clock: FixedClock, tmp_path: Path) -> Sent:
    """Six claims (PCN00000000..PCN00000005, three lines each) in status SENT."""
    return send_claims(engine, store, clock, tmp_path, 6)





@pytest.fixture
def response_file_name() -> str:
    """Names the shared ``ingest`` fixture gives the files of this package's tests."""
    return "era-{n}.835"
