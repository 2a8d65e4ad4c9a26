"""Issue 5's end-to-end case: claims go out as one 837P; hand-written 999, 277CA and 835
files answer them (accept, reject at each level, partial pay, denial with CARC/RARC,
reversal then correction, PLB); every claim ends where it should with the right money;
all files again, in the opposite order, change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from gateway.clock import FixedClock
from gateway.domain.status import ClaimStatus
from gateway.intake.importer import ClaimImporter
from gateway.responses.ingest import ResponseIngestor
from gateway.samples.factory import make_claim
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.store.partners_store import PartnerStore
from gateway.store.remits import RemitStore
from gateway.store.responses import ResponseStore
from gateway.store.submission import SubmissionStore
from gateway.x12.tokenizer import segments
from gateway.x12.writer import seg
from tests import builders
from tests.integration.test_submission import import_claims, make_submitter, sandbox
from tests.responses import era
from tests.responses277 import x277

TODAY = dt.date(2026, 11, 28)
S = ClaimStatus


def test_a_batch_answered_at_every_level_ends_right_and_replays_as_nothing(
        engine: Engine, store: ClaimStore, importer: ClaimImporter, clock: FixedClock,
        tmp_path: Path) -> None:
    """Eight claims: 999 rejects one set, a payer 277CA rejects one claim, the 835s pay,
    part-pay, deny, reverse and correct — then a replay in reverse order changes nothing."""
    docs = [make_claim(i, today=TODAY) for i in range(1, 9)]
    pcn = [d["patient_control_number"] for d in docs]
    import_claims(importer, tmp_path, docs)
    result = make_submitter(engine, clock, tmp_path,
                            [sandbox(envelope={"claims_per_transaction": 2})]).submit("sandbox")
    assert result.file_id is not None and result.file_path is not None
    SubmissionStore(engine).mark_file_sent(result.file_id, clock.now())
    clm = {}
    for _, s in segments(result.file_path.read_text()):
        if s.id == "ST":
            start = s.position
        elif s.id == "CLM":
            clm[s.get(1)] = s.position - start + 1

    gs06 = result.control_number
    assert gs06 is not None
    ack = builders.ack999(gs06, [
        [seg("AK2", "837", "0001"), seg("IK5", "A")],
        [seg("AK2", "837", "0002"), seg("IK3", "CLM", str(clm[pcn[2]]), "", "8"),
         seg("IK4", ("5", "3"), "1325", "7"), seg("IK5", "R", "5")],
        [seg("AK2", "837", "0003"), seg("IK5", "A")],
        [seg("AK2", "837", "0004"), seg("IK5", "A")],
    ], "P")
    on_time = [p for i, p in enumerate(pcn) if i not in (2, 3)]
    clearinghouse = x277.claim_acks([x277.Ack(source=x277.CLEARINGHOUSE, providers=[
        x277.Provider(claims=[x277.Claim(p, [f"A1:20*{x277.DAY}*WQ*1"]) for p in on_time])])],
        control_number=7001)
    payer = x277.claim_acks([x277.Ack(providers=[x277.Provider(claims=[
        x277.Claim(p, [f"A2:20*{x277.DAY}*WQ*1"], payer_claim_control_number=f"ICN{p}")
        if p != pcn[5] else x277.Claim(p, [f"A7:562:85*{x277.DAY}*U*1"])
        for p in on_time])])], control_number=7002)

    paid_in_full = era.full_pay(docs[0], pccn=f"ICN{pcn[0]}")
    partial = era.full_pay(docs[1], pccn=f"ICN{pcn[1]}")
    denied_line = partial.lines[1]
    denied_line.cas = [("CO", "96", denied_line.charge)]
    denied_line.remarks = ["N130"]
    denied = era.Clp(pcn[4], "4", [], cas=[("CO", "96", Decimal(docs[4]["total_charge"]))],
                     charge=Decimal(docs[4]["total_charge"]), pccn=f"ICN{pcn[4]}",
                     remarks=["N130"])
    first_pay = era.full_pay(docs[6], pccn=f"ICN{pcn[6]}")
    paid_eighth = era.full_pay(docs[7], pccn=f"ICN{pcn[7]}")
    payment1 = era.Payment("TRACE001", [paid_in_full, partial, denied, first_pay, paid_eighth],
                           plb=[("L6", "INT1", Decimal("-2.50"))])
    reversal = era.Clp(pcn[6], "22", [], charge=-first_pay.total_charge,
                       paid=-first_pay.payment, patient=Decimal(0),
                       cas=[("CO", "45", -(first_pay.total_charge - first_pay.payment))],
                       pccn=f"ICN{pcn[6]}")
    correction = era.full_pay(docs[6], contractual=Decimal("10.00"), pccn=f"ICN{pcn[6]}")
    payment2 = era.Payment("TRACE002", [reversal, correction])
    remits = era.era835([payment1, payment2])

    ingestor = ResponseIngestor(FileStore(engine), ResponseStore(engine), PartnerStore(engine),
                                clock, tmp_path / "data")
    files = []
    for name, text in (("a.999", ack), ("b.277", clearinghouse), ("c.277", payer),
                       ("d.835", remits)):
        path = tmp_path / name
        path.write_text(text)
        files.append(path)
        outcome = ingestor.import_file(path, "sandbox")
        assert outcome.outcome == "applied" and outcome.unmatched == 0, (name, outcome)

    def final() -> dict[str, tuple[ClaimStatus, str | None, Decimal, int]]:
        out: dict[str, tuple[ClaimStatus, str | None, Decimal, int]] = {}
        for p in pcn:
            (claim,) = store.find_by_pcn(p)
            payments = RemitStore(engine).payments_for_claim(claim.id)
            out[p] = (claim.status, claim.payer_claim_control_number,
                      sum((Decimal(str(x["paid"])) for x in payments), Decimal(0)),
                      len(store.timeline(claim.id)))
        return out

    state = final()
    statuses = {p: state[p][0] for p in pcn}
    assert statuses == {
        pcn[0]: S.PAID, pcn[1]: S.PARTIALLY_PAID, pcn[2]: S.ACK_REJECTED,
        pcn[3]: S.ACK_REJECTED, pcn[4]: S.DENIED, pcn[5]: S.REJECTED, pcn[6]: S.PAID,
        pcn[7]: S.PAID}
    assert state[pcn[0]][1] == f"ICN{pcn[0]}"
    assert state[pcn[0]][2] == paid_in_full.payment
    assert state[pcn[1]][2] == partial.payment < Decimal(docs[1]["total_charge"])
    assert state[pcn[4]][2] == 0
    # reversed and paid again: the first payment and its reversal cancel out
    assert state[pcn[6]][2] == correction.payment
    (rejected,) = store.find_by_pcn(pcn[2])
    assert "segment CLM" in (store.timeline(rejected.id)[-1].reason or "")

    for path in reversed(files):
        assert ingestor.import_file(path, "sandbox").outcome == "duplicate"
    assert final() == state
