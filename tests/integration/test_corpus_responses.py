"""Every third-party response file in ../shared/x12-corpus through the real ingestion path.

[valid] files are applied (they answer nothing we sent, so their claims come back as
unmatched — kept, never dropped); [invalid] files are either quarantined with a reason
or, where their defect is only guide-level, applied with pyx12 findings; no file makes
ingestion crash, and a bad file never stops the next one.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from gateway.clock import FixedClock
from gateway.responses.ingest import ResponseIngestor
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.store.partners_store import PartnerStore
from gateway.store.responses import ResponseStore

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "x12-corpus"
KINDS = ("835", "999", "277ca", "ta1")

pytestmark = pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(),
                                reason="../shared/x12-corpus is not present")


def corpus_files() -> list[tuple[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["file"], r["notes"].split("]")[0].lstrip("[")) for r in rows
            if r["type"] in KINDS]


def test_every_response_file_is_applied_or_quarantined_never_crashes(
        engine: Engine, tmp_path: Path) -> None:
    """All 48 response files in one database, one after another, in manifest order."""
    files = corpus_files()
    assert len(files) >= 40
    ingestor = ResponseIngestor(FileStore(engine), ResponseStore(engine), PartnerStore(engine),
                                FixedClock(dt.datetime(2026, 11, 28, tzinfo=dt.UTC)),
                                tmp_path / "data")
    outcomes: dict[str, str] = {}
    for name, label in files:
        result = ingestor.import_file(CORPUS / name, "sandbox")
        outcomes[name] = result.outcome
        if result.outcome == "quarantined":
            assert result.reason, name
        if label == "valid":
            assert result.outcome in ("applied", "duplicate"), (name, result.reason)
            if result.outcome == "applied":
                assert result.kinds, name
    quarantined = {n for n, o in outcomes.items() if o == "quarantined"}
    invalid = {n for n, label in files if label == "invalid"}
    # Most intentionally broken files cannot be understood at all.
    assert len(quarantined & invalid) >= len(invalid) // 2
    assert not quarantined - {n for n, label in files if label in ("invalid", "edge")}
    listed = {row["name"] for row in ingestor.responses.quarantined()}
    assert listed == {Path(n).name for n in quarantined}
