"""The 835 reader, outcome derivation and balancing: pure, no database."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.codes import remittance_codes
from gateway.domain.remittance import (
    Adjustment,
    ClaimPayment,
    LinePayment,
    ProviderAdjustment,
    Remittance835,
    balance_problems,
    describe_adjustments,
    outcome,
    posting_reason,
    status_outcome,
)
from gateway.errors import X12Error
from gateway.x12.detect import split_interchanges
from tests.responses.era import Clp, Line, Payment, era835
from x12_maps.era835 import read_835

D = Decimal
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "x12-corpus"
OUTCOMES = {"paid", "partially_paid", "denied", "reversed", "forwarded", "predetermination"}


def read(text: str | bytes) -> list[Remittance835]:
    data = text.encode() if isinstance(text, str) else text
    return [doc for ic in split_interchanges(data) if ic.kind == "835" for doc in read_835(ic)]


def _corpus() -> list[Any]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(
            reason="../shared/x12-corpus is not on this machine"))]
    with manifest.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["type"] == "835"]
    return [pytest.param(r["file"], r["notes"].split("]")[0].lstrip("["), id=Path(r["file"]).name)
            for r in rows]


def _read_or_refuse(data: bytes) -> tuple[list[Remittance835], str | None]:
    try:
        return read(data), None
    except X12Error as exc:
        return [], str(exc)


@pytest.mark.parametrize(("name", "tag"), _corpus())
def test_every_corpus_835_reads_or_is_refused_cleanly(name: str, tag: str) -> None:
    """[valid] 835s read (outcomes and balancing computable); others read or raise X12Error."""
    data = (CORPUS / name).read_bytes()
    if tag == "valid":
        docs = read(data)
        assert docs
        for doc in docs:
            assert doc.trace_number and doc.payer_id
            assert all(outcome(c) in OUTCOMES for c in doc.claims)
            assert isinstance(balance_problems(doc), list)
        return
    docs, refused = _read_or_refuse(data)
    if refused is not None:
        assert refused  # a reason the ingestor quarantines the file with
        return
    for doc in docs:
        balance_problems(doc)
        for claim in doc.claims:
            outcome(claim)


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/x12-corpus is not on this machine")
def test_tr3_medicare_part_a_example_in_detail() -> None:
    """Header, payer, claims, MOA remark and PLB of the TR3 Medicare Part A example."""
    (doc,) = read((CORPUS / "835" / "LinuxForHealth__x12__tr3_medicare_part_a.835").read_bytes())
    assert (doc.control_number, doc.trace_number, doc.originator_id) == ("1234", "12345",
                                                                        "1512345678")
    assert (doc.payer_id, doc.payer_name) == ("999", "INSURANCE COMPANY OF TIMBUCKTU")
    assert (doc.handling_code, doc.payment_amount, doc.credit_debit, doc.payment_method) == (
        "C", D("150000.00"), "C", "ACH")
    assert doc.payment_date == dt.date(2002, 9, 13)
    assert doc.production_date == dt.date(2002, 9, 16)
    assert (doc.payee_name, doc.payee_id) == ("REGIONAL HOPE HOSPITAL", "6543210903")
    first, second = doc.claims
    assert (first.patient_control_number, first.charge, first.paid) == (
        "666123", D("211366.97"), D("138018.40"))
    assert first.payer_claim_control_number == "1999999444444"
    assert first.adjustments == [Adjustment("CO", "45", D("73348.57"))]
    assert first.statement_from == dt.date(2002, 8, 16)
    assert second.remarks == ["MA02"]
    assert doc.plb == [ProviderAdjustment("6543210903", dt.date(2002, 12, 31), "CV", "CP",
                                          D("-1.27"), doc.plb[0].position)]
    assert balance_problems(doc) == []
    assert [outcome(c) for c in doc.claims] == ["paid", "paid"]


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/x12-corpus is not on this machine")
def test_other_component_separators_are_normalized() -> None:
    """ISA16 '>' files: SVC01 composites come out with ':' between components."""
    (doc,) = read((CORPUS / "835" / "keironstoddart__edi-835-parser__uhc_ach_cas_multi.txt")
                  .read_bytes())
    procedures = [line.procedure for c in doc.claims for line in c.lines]
    assert procedures and all(p.startswith("HC:") and ">" not in p for p in procedures)


def test_lines_remarks_and_dates_from_a_written_835() -> None:
    """SVC, DTM*472, REF*6R, LQ*HE and MOA are read into the line and claim they follow."""
    line = Line("99213", D("100"), [("CO", "45", D("20")), ("PR", "2", D("10"))],
                date=dt.date(2026, 10, 1), control="L1-1", remarks=["N130", "M15"])
    (doc,) = read(era835([Payment("T1", [Clp("SECRETPCN", "1", [line],
                                             remarks=["MA01", "MA18"])])]))
    (claim,) = doc.claims
    assert claim.remarks == ["MA01", "MA18"]
    assert claim.patient_responsibility == D("10.00")
    (svc,) = claim.lines
    assert (svc.procedure, svc.procedure_code, svc.charge, svc.paid, svc.units) == (
        "HC:99213", "99213", D("100.00"), D("70.00"), D("1"))
    assert (svc.service_date, svc.control_number, svc.remarks) == (
        dt.date(2026, 10, 1), "L1-1", ["N130", "M15"])
    assert svc.adjustments == [Adjustment("CO", "45", D("20.00")),
                               Adjustment("PR", "2", D("10.00"))]
    assert claim.all_remarks() == ["MA01", "MA18", "N130", "M15"]


# --- unusable 835s ---------------------------------------------------------------------


def _replace(text: str, segment_id: str, new: str | None) -> str:
    start = text.index(segment_id + "*", text.index("ST*835"))
    end = text.index("~", start) + 1
    return text[:start] + (new + "~" if new else "") + text[end:]


def _recount(text: str) -> str:
    """Fix SE01 after a segment was dropped or added."""
    segments = text.split("~")
    st = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    parts = segments[se].split("*")
    segments[se] = "*".join([parts[0], str(se - st + 1), *parts[2:]])
    return "~".join(segments)


_GOOD = era835([Payment("T9", [Clp("SECRETPCN", "1", [Line("99213", D("50"))])],
                        payer_id="PAYER1")])


@pytest.mark.parametrize(("segment_id", "new", "message"), [
    ("BPR", None, "has no BPR"),
    ("TRN", None, "has no TRN02"),
    ("TRN", "TRN*1", "has no TRN02"),
    ("CLP", "CLP*SECRETPCN*1*12A*5", "CLP03 is not a number"),
    ("CLP", "CLP*SECRETPCN*1*50", "CLP04 (an amount) is missing"),
    ("CLP", "CLP**1*50*50", "CLP01 (patient control number)"),
    ("SVC", "SVC*HC:99213*50*x5", "SVC03 is not a number"),
    ("BPR", "BPR*I*1e3*C*ACH", "BPR02 is not a number"),
])
def test_unusable_835s_raise_x12_errors_without_phi(segment_id: str, new: str | None,
                                                   message: str) -> None:
    """Missing BPR/TRN or a bad amount: X12Error naming segment and element, never values."""
    with pytest.raises(X12Error) as err:
        read(_recount(_replace(_GOOD, segment_id, new)))
    assert message in str(err.value)
    assert "SECRETPCN" not in str(err.value)


@pytest.mark.parametrize(("extra", "message"), [
    ("CAS*CO*45*5", "outside a claim"),
    ("SVC*HC:99213*5*5", "SVC at segment"),
    ("PLB*123*20261231*WO*ABC", "PLB04 is not a number"),
])
def test_misplaced_or_broken_segments_raise(extra: str, message: str) -> None:
    """CAS or SVC before any CLP, a PLB with a non-numeric amount: X12Error."""
    at = _GOOD.index("LX*1~") if not extra.startswith("PLB") else _GOOD.index("SE*")
    with pytest.raises(X12Error) as err:
        read(_recount(_GOOD[:at] + extra + "~" + _GOOD[at:]))
    assert message in str(err.value)


def test_payer_id_falls_back_to_trn03() -> None:
    """Without REF*2U or N1*PR N104 the payer is identified by TRN03."""
    text = _recount(_replace(_GOOD, "REF", None))
    (doc,) = read(text)
    assert doc.payer_id == "1591234567"


# --- outcome ---------------------------------------------------------------------------


def claim(status: str = "1", charge: str = "100", paid: str = "100",
          cas: tuple[tuple[str, str, str], ...] = (),
          line_cas: tuple[tuple[str, str, str], ...] = ()) -> ClaimPayment:
    c = ClaimPayment("PCN", status, D(charge), D(paid), 1,
                     adjustments=[Adjustment(g, r, D(a)) for g, r, a in cas])
    if line_cas:
        c.lines.append(LinePayment("HC:99213", D(charge), D(paid), 2,
                                   adjustments=[Adjustment(g, r, D(a)) for g, r, a in line_cas]))
    return c


@pytest.mark.parametrize(("case", "expected", "moves_to"), [
    (claim("22", "-100", "-80", (("CO", "45", "-20"),)), "reversed", "reversed"),
    (claim("19", paid="80", cas=(("CO", "45", "20"),)), "forwarded", "paid"),
    (claim("20", paid="0", cas=(("CO", "16", "100"),)), "forwarded", "denied"),
    (claim("23", paid="0", cas=(("OA", "109", "100"),)), "forwarded", None),
    (claim("25", paid="0", cas=(("CO", "101", "100"),)), "predetermination", None),
    (claim("4", paid="0", cas=(("CO", "31", "100"),)), "denied", "denied"),
    (claim("4", paid="0"), "denied", "denied"),
    (claim(), "paid", "paid"),
    (claim(paid="60", cas=(("PR", "1", "30"), ("PR", "2", "10"))), "paid", "paid"),
    (claim(paid="70", cas=(("CO", "45", "20"), ("PR", "3", "10"))), "paid", "paid"),
    (claim(paid="97", line_cas=(("CO", "253", "3"),)), "paid", "paid"),
    (claim("2", paid="10", cas=(("OA", "23", "90"),)), "paid", "paid"),
    (claim(paid="0", cas=(("PR", "1", "100"),)), "paid", "paid"),
    (claim(paid="60", line_cas=(("CO", "97", "40"),)), "partially_paid", "partially_paid"),
    (claim(paid="50", cas=(("CO", "45", "20"), ("CO", "151", "30"))), "partially_paid",
     "partially_paid"),
    (claim(paid="0", cas=(("CO", "16", "100"),)), "denied", "denied"),
    (claim(paid="0", line_cas=(("CO", "45", "60"), ("CO", "97", "40"))), "denied", "denied"),
    (claim(paid="-20", cas=(("CO", "45", "120"),)), "reversed", "reversed"),
    (claim(paid="120", cas=(("OA", "94", "-20"),)), "paid", "paid"),
])
def test_outcome_is_derived_from_amounts_and_adjustments(
        case: ClaimPayment, expected: str, moves_to: str | None) -> None:
    """CLP02 22/19-21/23/25/4 first; then amounts and the kind of each adjustment."""
    assert outcome(case) == expected
    assert status_outcome(case) == moves_to


def test_posting_reason_words() -> None:
    """The timeline text: outcome, amounts, payment, CARC and RARC in words."""
    doc = Remittance835("1", "1", 1, "I", D("70"), "C", "CHK", dt.date(2026, 12, 4), "CK9",
                        "1", "P")
    c = claim(paid="70", cas=(("CO", "45", "20"), ("PR", "3", "10")))
    c.patient_responsibility = D("10")
    c.remarks.append("N130")
    c.remarks.append("ZZ999")
    text = posting_reason(doc, c)
    assert text.startswith("paid $70.00 of $100.00 on check CK9 (2026-12-04)")
    assert "patient responsibility $10.00" in text
    assert "CO-45 $20.00: Charge exceeds fee schedule" in text
    assert "N130 Consult plan benefit documents" in text and "ZZ999 unknown code" in text
    assert describe_adjustments([Adjustment("CO", "45", D("1")),
                                 Adjustment("CO", "45", D("2"))]) == [
        "CO-45 $3.00: Charge exceeds fee schedule/maximum allowable or contracted/legislated "
        "fee arrangement"]


# --- balancing -------------------------------------------------------------------------


def remittance(claims: list[ClaimPayment], amount: str, plb: tuple[str, ...] = (),
               credit: str = "C") -> Remittance835:
    doc = Remittance835("1", "1", 1, "I", D(amount), credit, "ACH", None, "T", "1", "P",
                        claims=claims)
    doc.plb = [ProviderAdjustment("NPI", None, "WO", None, D(a), 9) for a in plb]
    return doc


def test_balanced_remittance_has_no_problems() -> None:
    """Σ CLP04 − Σ PLB = BPR02, claims and lines add up: nothing to say."""
    paid = claim(paid="80", line_cas=(("CO", "45", "20"),))
    reversal = claim("22", "-100", "-100")
    assert balance_problems(remittance([paid, claim()], "170", ("5", "5"))) == []
    assert balance_problems(remittance([reversal], "100", credit="D")) == []
    assert balance_problems(remittance([], "12.50", ("-12.50",))) == []  # interest only


@pytest.mark.parametrize(("doc", "fragment"), [
    (remittance([claim(paid="90")], "90"), "CLP #1 (segment 1): charge 100.00 − adjustments "
                                          "0.00 = 100.00, but paid 90.00"),
    (remittance([claim(paid="80", line_cas=(("CO", "45", "10"),))], "80"),
     "line 1 (segment 2)"),
    (remittance([claim()], "95", ("4",)), "payment: claims paid 100.00 − provider "
                                         "adjustments 4.00 = 96.00, but BPR02 says 95.00"),
    (remittance([claim()], "100", credit="D"), "BPR02 says -100.00"),
])
def test_balancing_problems_are_named_without_phi(doc: Remittance835, fragment: str) -> None:
    """Each imbalance is reported with positions and amounts, never the PCN."""
    problems = balance_problems(doc)
    assert any(fragment in p for p in problems), problems
    assert not any("PCN" in p for p in problems)


# --- code lists ------------------------------------------------------------------------


def test_code_lists_hold_the_codes_staff_meet_most() -> None:
    """The most used CARCs and RARCs, the group codes and CLP02 values are described."""
    carc = remittance_codes("carc")
    for code in ("1", "2", "3", "4", "5", "16", "18", "22", "23", "24", "26", "27", "29",
                 "31", "45", "50", "96", "97", "109", "119", "151", "167", "197", "204",
                 "242", "252", "253", "A1", "B7", "P1"):
        assert code in carc, code
    assert len(carc) >= 150
    rarc = remittance_codes("rarc")
    for code in ("M15", "M20", "M51", "M76", "M80", "MA04", "MA18", "MA130", "N4", "N19",
                 "N20", "N30", "N95", "N115", "N130", "N290", "N362", "N432", "N479", "N522",
                 "N657"):
        assert code in rarc, code
    assert set(remittance_codes("cas_group")) == {"CO", "CR", "OA", "PI", "PR"}
    assert {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"} <= set(
        remittance_codes("claim_status_835"))
    assert remittance_codes("plb_reason")["L6"] == "Interest owed"
    with pytest.raises(ValueError, match="no 835 code list"):
        remittance_codes("nope")
