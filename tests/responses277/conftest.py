"""Fixtures for the 277CA tests: a migrated database, claims that were sent, ingestion."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

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








@dataclass
class Sent:
    """Claims imported, submitted in one 837P and marked sent."""

    ids: dict[str, int]  # patient control number -> claim id

    @property
    def pcns(self) -> list[str]:
        return list(self.ids)


@pytest.fixture
def sent(engine: Engine, store: ClaimStore, clock: FixedClock, tmp_path: Path) -> Sent:
    """Six claims (PCN00000000..PCN00000005) in status SENT."""
    docs = [make_claim(i, today=TODAY) for i in range(6)]
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    importer = ClaimImporter(store, clock, default_submitter="ACMEBILL01", chunk_size=50)
    assert all(r.verdict.value == "accepted" for r in importer.import_file(path))
    partner = load_partners(REPO / "config" / "partners").get("sandbox")
    submitter = Submitter(SubmissionStore(engine), PartnerDirectory([partner]), clock,
                          outbox_dir=tmp_path / "outbox",
                          default_submitter=Party("ACME BILLING", "ACMEBILL01", "EDI DESK",
                                                  "6155551212"),
                          max_claims=1000, stale_after=dt.timedelta(minutes=10))
    result = submitter.submit("sandbox")
    assert result.file_id is not None
    SubmissionStore(engine).mark_file_sent(result.file_id, clock.now())
    return Sent({d["patient_control_number"]: store.find_by_pcn(d["patient_control_number"])[0].id
                 for d in docs})





@pytest.fixture
def response_file_name() -> str:
    """Names the shared ``ingest`` fixture gives the files of this package's tests."""
    return "ack277-{n}.txt"
