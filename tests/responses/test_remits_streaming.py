"""The streamed 835 ingest: pass 1 checks the whole file (nothing kept per claim), pass 2
reads the claims again while posting — same results as reading the file whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.clock import FixedClock
from gateway.domain.remittance import ClaimPayment, balance_problems
from gateway.domain.status import ClaimStatus
from gateway.responses.ingest import ResponseIngestor
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.store.models import ClaimEvent, Remittance, RemittanceClaim, ResponseRow
from gateway.store.partners_store import PartnerStore
from gateway.store.responses import ResponseStore
from gateway.x12.detect import Interchange, scan_interchanges, split_interchanges
from gateway.x12.tokenizer import RawSegment, segments
from tests.conftest import IngestFn
from tests.responses.conftest import Sent
from tests.responses.era import Clp, Line, Payment, era835, full_pay
from x12_maps.era835 import (
    KEPT_PROBLEMS,
    Checker835,
    RepeatFilter,
    read_835,
    stream_835_claims,
)

D = Decimal


def _stranger(n: int) -> Clp:
    """A CLP for a claim we never sent (kept as unmatched)."""
    return Clp(f"OTHER{n:06d}", "1", [Line("99213", D("100.00"), [("CO", "45", D("20.00"))])])


def _count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _streamed(text: str) -> tuple[list[Checker835], list[list[ClaimPayment]]]:
    """Pass 1 summaries per interchange and, per set, the claims pass 2 reads."""
    checkers: list[Checker835] = []
    repeats = RepeatFilter()

    def sink(ic: Interchange, kind: str) -> Callable[[RawSegment], None]:
        checkers.append(Checker835(ic.delimiters.component, ic.control_number, repeats))
        return checkers[-1].add

    (ic,) = scan_interchanges(text, sink)
    assert ic.streamed and ic.read_error is None and ic.kind == "835"
    claims = []
    walk = segments(text)
    for checked in checkers[0].sets:
        span = (s for _, s in walk if checked.first <= s.position <= checked.last)
        claims.append(list(stream_835_claims(span, ic.delimiters.component,
                                             ic.control_number)))
    return checkers, claims


def test_streamed_reading_equals_reading_whole() -> None:
    """Per set: the same header, PLB, claims and balance verdict as read_835 gives."""
    unbalanced = [Clp(f"U{n:04d}", "1", charge=D("50"), paid=D("10")) for n in range(30)]
    payments = [
        Payment("EFT1", [_stranger(n) for n in range(7)], plb=[("WO", "R1", D("3.50"))]),
        Payment("EFT2", unbalanced, amount=D("1.00")),  # 30 claim problems + the payment
        Payment("EFT3", []),
    ]
    text = era835(payments)
    whole = [doc for ic in split_interchanges(text.encode()) for doc in read_835(ic)]
    checkers, claims = _streamed(text)
    sets = checkers[0].sets
    assert len(sets) == len(whole) == 3
    for checked, got, doc in zip(sets, claims, whole, strict=True):
        problems = balance_problems(doc)
        assert checked.claims == len(doc.claims) and got == doc.claims
        assert checked.problems == problems[:KEPT_PROBLEMS]
        assert checked.problem_count == len(problems)
        assert checked.remittance.claims == []
        assert (checked.remittance.trace_number, checked.remittance.plb,
                checked.remittance.payment_amount) == (doc.trace_number, doc.plb,
                                                       doc.payment_amount)
        assert not any(checked.repeated(c.patient_control_number) for c in doc.claims)
    assert sets[1].problem_count == 31


def test_repeat_filter_never_misses_a_repeat() -> None:
    """Tiny filters collide (false "repeated" is allowed); a real repeat is always seen."""
    for bits in (3, 8, 23):
        f = RepeatFilter(bits)
        for n in range(200):
            f.add(1, f"P{n}")
        f.add(1, "P7")
        f.add(2, "P9")
        assert f.repeated(1, "P7")
        if bits == 23:
            assert not f.repeated(1, "P8") and not f.repeated(2, "P9")


def test_bad_clp_near_the_end_quarantines_with_nothing_applied(
        engine: Engine, store: ClaimStore, sent: Sent, clock: FixedClock,
        tmp_path: Path) -> None:
    """1,200 CLPs (more than two posting chunks), ours first, a non-numeric CLP04 last:
    the check pass finds it before anything is posted; the file is quarantined."""
    claims = [full_pay(sent.doc(0)), *(_stranger(n) for n in range(1_199))]
    text = era835([Payment("EFTLATE", claims)])
    last = text.rindex("CLP*OTHER")
    end = text.index("~", last)
    fields = text[last:end].split("*")
    fields[4] = "12,50"
    text = text[:last] + "*".join(fields) + text[end:]
    events = _count(engine, ClaimEvent)
    ingestor = ResponseIngestor(FileStore(engine), ResponseStore(engine),
                                PartnerStore(engine), clock, data_dir=tmp_path / "data",
                                validate_with_pyx12=False)
    path = tmp_path / "late-bad.835"
    path.write_text(text)

    result = ingestor.import_file(path, partner="sandbox")

    assert result.outcome == "quarantined"
    assert result.reason is not None and "CLP04 is not a number" in result.reason
    assert "OTHER" not in result.reason
    assert store.get(sent.id(0)).status is ClaimStatus.SENT
    assert _count(engine, Remittance) == _count(engine, RemittanceClaim) == 0
    assert _count(engine, ClaimEvent) == events
    with engine.connect() as conn:
        assert conn.execute(select(ResponseRow.status)).scalars().all() == ["quarantined"]


def test_streamed_posting_over_chunks_and_sets(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn) -> None:
    """An already-posted set (its claims not read) before a new one: the cursor skips
    it; a reversal after its correction, past a chunk boundary, still posts first."""
    first = full_pay(sent.doc(0))
    ingest(era835([Payment("EFTA", [first], paid_on=dt.date(2026, 12, 4))]))
    reversal = Clp(first.pcn, "22", charge=-first.total_charge, paid=-first.payment,
                   cas=[("CO", "45", -(first.total_charge - first.payment))])
    correction = full_pay(sent.doc(0), contractual=D("7"), pccn="PAYERCCN2")
    many = [correction, *(_stranger(n) for n in range(600)), reversal,
            full_pay(sent.doc(1))]
    result = ingest(era835([Payment("EFTA", [first], paid_on=dt.date(2026, 12, 4)),
                            Payment("EFTB", many, paid_on=dt.date(2026, 12, 8))]))

    assert result.outcome == "applied", result.reason
    again, posted = result.applied
    assert again.summary["already_posted"] and again.summary["claims"] == 1
    assert posted.summary["claims"] == 603 and posted.summary["balanced"]
    assert (posted.matched, posted.unmatched) == (3, 600)
    moves = [(e.from_status, e.to_status) for e in store.timeline(sent.id(0))
             if e.to_status is not None and e.source == "835"]
    assert moves == [("sent", "paid"), ("paid", "reversed"), ("reversed", "paid")]
    assert store.get(sent.id(0)).payer_claim_control_number == "PAYERCCN2"
    assert store.get(sent.id(1)).status is ClaimStatus.PAID
    assert _count(engine, RemittanceClaim) == 1 + 603


@pytest.mark.parametrize("where", ["first", "middle"])
def test_a_file_with_a_bad_set_applies_no_set(
        engine: Engine, store: ClaimStore, sent: Sent, ingest: IngestFn, where: str) -> None:
    """Several sets: one without TRN quarantines the file; the good sets are not posted."""
    good = [Payment(f"EFTG{n}", [full_pay(sent.doc(n))]) for n in range(3)]
    text = era835(good)
    sets = [i for i in range(len(text)) if text.startswith("TRN*", i)]
    at = sets[0 if where == "first" else 1]
    text = text[:at] + "TRN*1**1591234567" + text[text.index("~", at):]
    result = ingest(text)
    assert result.outcome == "quarantined" and "TRN02" in (result.reason or "")
    assert all(store.get(sent.id(n)).status is ClaimStatus.SENT for n in range(3))
    assert _count(engine, Remittance) == 0
