"""The whole loop through a real OpenSSH sshd, the sandbox clearinghouse behind it:
import → 837P → SFTP upload → 999 → 277CA → 835 over SFTP → final statuses."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.domain.status import FINAL, ClaimStatus
from gateway.partners import PartnerDirectory
from gateway.samples.factory import make_claim
from gateway.service.app import open_app
from gateway.service.runner import Service
from gateway.simulator.clearinghouse import Sandbox
from gateway.simulator.rules import load_rules
from gateway.store.db import Engine
from tests.transport.conftest import SftpSite

CLAIMS = 6


def test_claims_go_out_and_answers_come_back_over_sftp(site: SftpSite, database_url: str,
                                                       engine: Engine, tmp_path: Path) -> None:
    """Six claims end final through sshd; each was received once; every answer applied.

    (``engine`` migrates the database first, as `gateway db upgrade` would.)"""
    partner = site.partner(after_download="delete").model_copy(update={"default": True})
    settings = Settings(data_dir=tmp_path / "var", database={"url": database_url},
                        partners_dir=tmp_path / "no-partners")
    docs = [make_claim(i, today=SystemClock().now().date()) for i in range(CLAIMS)]
    claims_file = tmp_path / "claims.jsonl"
    claims_file.write_text("".join(json.dumps(d) + "\n" for d in docs))
    with open_app(settings) as gw:
        app = gw.with_partners(PartnerDirectory([partner]))
        assert {r.verdict.value for r in app.importer().import_file(claims_file)} == {
            "accepted"}
        service = Service(app, instance_id="e2e-sftp")
        with Sandbox.for_partner(partner, load_rules(None), SystemClock(),
                                 root=site.base) as sandbox:
            for _ in range(8):
                report = service.cycle(force=True)
                assert not report.failed, report.failed
                sandbox.drain()
                for answer in site.folder("inbound").iterdir():
                    site.server.chown(answer)  # as the clearinghouse's own files would be
                counts = app.claims.counts_by_status()
                if set(counts) <= FINAL:
                    break
            received = Counter(c.pcn for c in sandbox.ledger.claims())
        counts = app.claims.counts_by_status()
        timelines = [app.claims.timeline(c.id) for c in app.claims.find_by_pcn(
            docs[0]["patient_control_number"])]
    assert counts == {ClaimStatus.PAID: CLAIMS}
    assert received == Counter(d["patient_control_number"] for d in docs)
    (timeline,) = timelines
    sources = Counter(e.source for e in timeline)
    assert (sources["999"], sources["277ca"], sources["835"]) == (1, 2, 1)
    assert not list(site.folder("inbound").iterdir())  # every answer taken and deleted
