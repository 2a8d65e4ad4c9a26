"""Property: for generated balanced 835s, what is posted adds up to each payment."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.clock import FixedClock
from gateway.domain.remittance import balance_problems
from gateway.responses.ingest import ResponseIngestor
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.store.models import Remittance
from gateway.store.partners_store import PartnerStore
from gateway.store.resp_835 import posted_totals
from gateway.store.responses import ResponseStore
from gateway.x12.detect import split_interchanges
from tests.responses.conftest import Sent
from tests.responses.era import Clp, Line, Payment, era835
from x12_maps.era835 import read_835

_PCNS = [f"PCN{n:08d}" for n in range(6)] + ["STRANGER1", "STRANGER2"]
_GROUPS = ["CO", "PR", "OA", "PI"]
_REASONS = ["45", "1", "2", "3", "97", "16", "23", "253", "B13", "ZZ9"]


def _money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda cents: Decimal(cents) / 100)


_cas = st.tuples(st.sampled_from(_GROUPS), st.sampled_from(_REASONS), _money(-5_000, 20_000))
_line = st.builds(Line, code=st.sampled_from(["99213", "99214", "87880", "36415"]),
                  charge=_money(0, 100_000), cas=st.lists(_cas, max_size=3),
                  remarks=st.lists(st.sampled_from(["N130", "M15", "N19"]), max_size=2))
_clp = st.builds(Clp, pcn=st.sampled_from(_PCNS),
                 status=st.sampled_from(["1", "1", "2", "3", "4", "19", "22", "23"]),
                 lines=st.lists(_line, max_size=3), cas=st.lists(_cas, max_size=2),
                 pccn=st.sampled_from(["PAYERCCN1", "PAYERCCN2", None]))
_plb = st.tuples(st.sampled_from(["L6", "WO", "CS", "FB", "72"]),
                 st.sampled_from(["", "REF1", "REF2"]), _money(-50_000, 50_000))
_payment = st.builds(Payment, trace=st.just("T"), claims=st.lists(_clp, max_size=5),
                     plb=st.lists(_plb, max_size=4),
                     method=st.sampled_from(["ACH", "CHK", "NON"]))


@settings(max_examples=100, deadline=None)
@given(payments=st.lists(_payment, min_size=1, max_size=3))
def test_generated_835s_read_back_balanced(payments: list[Payment]) -> None:
    """What the writer balanced, the reader reads back balanced, amount for amount."""
    for n, p in enumerate(payments):
        p.trace = f"R{n}"
    docs = [d for ic in split_interchanges(era835(payments).encode()) for d in read_835(ic)]
    assert len(docs) == len(payments)
    for doc, p in zip(docs, payments, strict=True):
        assert balance_problems(doc) == []
        assert doc.signed_payment == p.bpr02
        assert [c.paid for c in doc.claims] == [c.payment for c in p.claims]
        assert sum((a.amount for a in doc.plb), Decimal(0)) == \
            sum((a for _, _, a in p.plb), Decimal(0))


_traces = itertools.count(1)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=st.lists(_payment, min_size=1, max_size=3))
def test_posted_totals_equal_each_payment_plus_its_plb(
        engine: Engine, sent: Sent, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory,
        payments: list[Payment]) -> None:
    """Per payment: Σ posted CLP04 − Σ PLB = BPR02, whatever claims, lines, CAS and PLB."""
    del sent  # six claims of ours are SENT: some generated CLPs match them, some do not
    number = next(_traces)
    for n, p in enumerate(payments):
        p.trace = f"P{number}-{n}"
    data_dir = tmp_path_factory.mktemp("data")
    ingestor = ResponseIngestor(FileStore(engine), ResponseStore(engine), PartnerStore(engine),
                                clock, data_dir=data_dir, validate_with_pyx12=False)
    path = data_dir / f"gen-{number}.835"
    path.write_text(era835(payments, control_number=number))
    result = ingestor.import_file(path, partner="sandbox")

    assert result.outcome == "applied"
    with engine.connect() as conn:
        for p in payments:
            rid, amount, balanced = conn.execute(select(
                Remittance.id, Remittance.payment_amount, Remittance.balanced)
                .where(Remittance.trace_number == p.trace)).one()
            paid, plb = posted_totals(conn, rid)
            assert balanced is True
            assert amount == p.bpr02
            assert paid - plb == amount
