"""The 277CA reader: the third-party corpus, and the shapes a 277CA takes."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.domain.acks277 import (
    CATEGORY_STATUS,
    ClaimAck277,
    StatusCode,
    Stc,
    status_for_category,
)
from gateway.domain.codes import claim_status_codes
from gateway.domain.status import ClaimStatus
from gateway.errors import X12Error
from gateway.x12.delimiters import Delimiters
from gateway.x12.detect import split_interchanges
from tests.responses277.x277 import (
    CLEARINGHOUSE,
    DAY,
    Ack,
    Claim,
    Line,
    Provider,
    claim_acks,
    recount,
)
from x12_maps.ca277 import read_277ca

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "x12-corpus"


def _corpus_rows() -> list[tuple[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["file"], r["notes"].split("]")[0].lstrip("[")) for r in rows
            if r["type"] == "277ca" or "277" in r["file"].rsplit("/", 1)[-1]]


ROWS = _corpus_rows()


def read(text: str | bytes) -> list[ClaimAck277]:
    data = text.encode() if isinstance(text, str) else text
    return [doc for ic in split_interchanges(data) for doc in read_277ca(ic)]


# --- the corpus -----------------------------------------------------------------------


@pytest.mark.skipif(not ROWS, reason=f"the X12 corpus is not at {CORPUS}")
@pytest.mark.parametrize(("name", "tag"), ROWS, ids=[r[0] for r in ROWS])
def test_corpus_file_reads_or_is_refused_with_x12_error(name: str, tag: str) -> None:
    """[valid] 277CA files read; anything else reads or raises X12Error, never a crash."""
    data = (CORPUS / name).read_bytes()
    if tag == "valid":
        documents = read(data)
        assert documents and all(d.source is not None for d in documents)
        assert all(c.statuses for d in documents for c in d.claims)
        return
    try:
        outcome = f"read {len(read(data))} set(s)"
    except X12Error as exc:  # any other exception fails the test
        outcome = str(exc)
    assert outcome


@pytest.mark.skipif(not ROWS, reason=f"the X12 corpus is not at {CORPUS}")
def test_corpus_examples_read_as_published() -> None:
    """The TR3 examples: who answered, claims, payer numbers, provider and line statuses."""
    ex1 = read((CORPUS / "277ca" / "freemed__opendental__x214_ex1_clearinghouse_claim_and_"
                "line_rejects.txt").read_bytes())[0]
    assert ex1.source is not None and ex1.source.answered_by == "clearinghouse"
    assert [c.patient_control_number for c in ex1.claims] == [
        "4001/1339", "2890/4", "00000000000000000000"]
    rejected = ex1.claims[1]
    assert [s.code for s in rejected.statuses] == ["A3:21:82"]
    (line,) = rejected.lines
    assert line.procedure == "HC:22305:22" and line.line_item_control_number == "11"
    assert line.statuses[0].code == "A3:122 A3:153:82" and line.statuses[0].rejected
    assert ex1.receivers[0].totals.rejected_count == 2

    ex4 = read((CORPUS / "277ca" / "freemed__opendental__x214_ex4_provider_level_reject.txt"
                ).read_bytes())[0]
    assert ex4.source is not None and ex4.source.answered_by == "payer"
    ok, bad = ex4.providers
    assert not ok.rejected and ok.npi == "5365432101" and len(ex4.claims_under_provider(ok.hl)) == 5
    assert bad.rejected and bad.id == "567012345" and not ex4.claims_under_provider(bad.hl)
    assert bad.totals.rejected_count == 3 and bad.totals.rejected_amount == Decimal("150")

    a7 = read((CORPUS / "277ca" / "imsweb__x12-parser__rejected_A7_emedny.txt").read_bytes())[0]
    assert a7.claims[0].statuses[0].code == "A7:562:85"  # '|' component separator
    assert a7.claims[0].payer_claim_control_number == "1107000000001120"


@pytest.mark.skipif(not ROWS, reason=f"the X12 corpus is not at {CORPUS}")
def test_corpus_batch_rejection_reads_once_its_envelope_is_fixed() -> None:
    """Example 2 (SE02 typo in the source) is a batch rejection listing no claims."""
    data = (CORPUS / "277ca" / "freemed__opendental__x214_ex2_whole_batch_rejected_at_"
            "receiver.txt").read_bytes()
    with pytest.raises(X12Error):
        read(data)
    (doc,) = read(data.replace(b"SE*14*00002", b"SE*14*0002"))
    (receiver,) = doc.receivers
    assert receiver.rejected and receiver.statuses[0].code == "A3:24:41"
    assert not doc.claims and not doc.providers and receiver.totals.rejected_count == 3


@pytest.mark.skipif(not ROWS, reason=f"the X12 corpus is not at {CORPUS}")
def test_claim_status_response_x212_is_not_read_as_277ca() -> None:
    """A 277 (X212) claim status response is refused by the envelope or by the reader."""
    data = (CORPUS / "other" / "imsweb__x12-parser__277_x212_claim_status_response.txt"
            ).read_bytes()
    with pytest.raises(X12Error):
        read(data.replace(b"IEA*1*842928883", b"IEA*1*000000001"))


# --- shapes ---------------------------------------------------------------------------


def test_several_stc_per_claim_and_several_composites_per_stc() -> None:
    """Every STC of a claim is kept in order, each with STC01, STC10 and STC11."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim("PCN1", [
        f"A1:19:PR*{DAY}*WQ*100",
        f"A7:562:85*{DAY}*U*100******A7:128:85*A6:145:82*NPI NOT ON FILE",
    ])])])])
    (doc,) = read(text)
    first, second = doc.claims[0].statuses
    assert first.claim_status is ClaimStatus.ACKNOWLEDGED and first.date == dt.date(2026, 11, 29)
    assert second.code == "A7:562:85 A7:128:85 A6:145:82"
    assert second.claim_status is ClaimStatus.REJECTED and second.rejected
    assert second.text == "NPI NOT ON FILE" and second.action == "U"
    assert second.amount == Decimal("100")


def test_two_claims_under_one_patient_and_claim_references() -> None:
    """Each TRN in a patient level starts a claim; REF*1K and REF*D9 go to their claim."""
    text = claim_acks([Ack(providers=[Provider(claims=[
        Claim("PCN1", [f"A2:20:PR*{DAY}*WQ*100"], "PAYER-1", "CH-1")])],
        extra=[])])
    text = text.replace("DTP*472*D8*20261101~\n", "DTP*472*D8*20261101~\nTRN*2*PCN2~\n"
                        f"STC*A3:187:PR*{DAY}*U*50~\nDTP*472*D8*20261102~\n", 1)
    (doc,) = read(recount(text))
    one, two = doc.claims
    assert (one.patient_control_number, one.payer_claim_control_number,
            one.clearinghouse_trace) == ("PCN1", "PAYER-1", "CH-1")
    assert two.patient_control_number == "PCN2" and not two.payer_claim_control_number
    assert two.service_from == dt.date(2026, 11, 2) and two.statuses[0].rejected


def test_provider_and_batch_level_statuses() -> None:
    """2200B and 2200C statuses, counts and amounts; claims know their provider."""
    text = claim_acks([Ack(
        source=CLEARINGHOUSE, receiver_stcs=[f"A3:24:41*{DAY}*U*300"],
        providers=[Provider(claims=[Claim("PCN1", [f"A3:24:85*{DAY}*U*100"])],
                            stcs=["A3:24:85**U*100"], npi="1112223338"),
                   Provider(stcs=["A3:562:85**U*200"], rejected_count=2)])])
    (doc,) = read(text)
    assert doc.source is not None and doc.source.answered_by == "clearinghouse"
    assert doc.receivers[0].rejected and doc.receivers[0].trace == "0000000010001"
    first, second = doc.providers
    assert first.npi == "1112223338" and first.rejected
    assert doc.claims_under_provider(first.hl) == doc.claims
    assert second.rejected and second.totals.rejected_count == 2
    assert not doc.claims_under_provider(second.hl)
    assert doc.claims_under_receiver(doc.receivers[0].hl) == doc.claims


def test_line_level_status_with_line_item_control_number() -> None:
    """SVC + STC + REF*FJ: the line's procedure, charge and status hang on its claim."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim(
        "PCN1", [f"A3:21:82*{DAY}*U*150"],
        lines=[Line(f"A7:454*{DAY}*U", "HC:99213:25", "95", "L1-1"),
               Line(f"A2:20*{DAY}*WQ", "HC:36415", "12")])])])])
    (doc,) = read(text)
    first, second = doc.claims[0].lines
    assert first.label == "line L1-1 (HC:99213:25, charge 95)"
    assert first.statuses[0].code == "A7:454" and first.service_from == dt.date(2026, 11, 1)
    assert second.line_item_control_number == "" and not second.statuses[0].rejected


def test_other_separators_are_read() -> None:
    """'|' elements and '>' components: codes are still written with ':'."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim("PCN1", [
        f"A7:562:85*{DAY}*U*100"])])])], d=Delimiters("|", ">", "^", "~"))
    (doc,) = read(text)
    assert doc.claims[0].statuses[0].code == "A7:562:85"


def test_odd_values_do_not_stop_the_reader() -> None:
    """Bad dates and amounts become None; misplaced segments are noted, not fatal."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim("PCN1", [
        "A2:20:PR*2026XX01*WQ*ABC"])])], extra=["REF*EA*MRN123"])])
    (doc,) = read(text)
    stc = doc.claims[0].statuses[0]
    assert stc.date is None and stc.amount is None and stc.claim_status is ClaimStatus.ACCEPTED
    assert any(s.startswith("REF*EA@") for s in doc.skipped)
    assert all("MRN123" not in s for s in doc.skipped)


def test_missing_hl_parent_falls_back_to_the_level_above() -> None:
    """An HL02 left out hangs the level under the latest level it may belong to."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim(
        "PCN1", [f"A2:20:PR*{DAY}*WQ*100"])])])])
    (doc,) = read(text.replace("HL*4*3*PT", "HL*4**PT").replace("HL*3*2*19", "HL*3**19"))
    assert doc.claims[0].provider_hl == doc.providers[0].hl == "3"
    assert doc.claims[0].receiver_hl == doc.receivers[0].hl == "2"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("HL*4*3*PT", "HL*4*3*23", "level code"),
    ("HL*4*3*PT", "HL*4*9*PT", "does not come before it"),
    ("HL*3*2*19*1", "HL*3*1*19*1", "hangs under"),
    ("HL*4*3*PT", "HL*2*3*PT", "repeats HL id"),
    ("STC*A2:20:PR", "STC*:20:PR", "no status category"),
    ("TRN*2*PCN1~", "REF*EJ*PCN1~", "before its claim's TRN"),
    ("HL*1**20*1~", "", "parent HL 1, which does not come before it"),
])
def test_structurally_unusable_277ca_raises_x12_error(old: str, new: str, message: str
                                                      ) -> None:
    """Broken hierarchy or statuses raise X12Error naming positions, never patient data."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim(
        "PCN1", [f"A2:20:PR*{DAY}*WQ*100"])])])])
    broken = recount(text.replace(old, new, 1))
    assert broken != text
    with pytest.raises(X12Error, match=message) as caught:
        read(broken)
    assert "DOE" not in str(caught.value) and "M000000001" not in str(caught.value)


def test_set_without_information_source_raises() -> None:
    """A 277CA set with no HL at all cannot say who answered: X12Error."""
    text = claim_acks([Ack()])
    start, end = text.index("HL*1**20*1"), text.index("SE*")
    with pytest.raises(X12Error, match="no information source"):
        read(recount(text[:start] + text[end:]))


def test_not_a_277ca_set_raises() -> None:
    """A 277 set whose ST03 names another guide is refused by the reader itself."""
    text = claim_acks([Ack(providers=[Provider(claims=[Claim("PCN1", ["A2:20*" + DAY])])])])
    (ic,) = split_interchanges(text.encode())
    ic.segments[2] = type(ic.segments[2])(["ST", "277", "0001", "005010X212"], 3)
    with pytest.raises(X12Error, match="not a 277CA"):
        read_277ca(ic)


# --- domain and code lists ------------------------------------------------------------


def test_category_to_claim_status() -> None:
    """A0/A1/A5 acknowledged, A2 accepted, A3/A4/A6/A7/A8 rejected, others no change."""
    assert {c: status_for_category(c) for c in ("A0", "A1", "A5")} == dict.fromkeys(
        ("A0", "A1", "A5"), ClaimStatus.ACKNOWLEDGED)
    assert status_for_category("a2") is ClaimStatus.ACCEPTED
    assert all(CATEGORY_STATUS[c] is ClaimStatus.REJECTED for c in ("A3", "A4", "A6", "A7",
                                                                     "A8"))
    assert all(status_for_category(c) is None for c in ("E0", "E4", "D0", "P1", "F1", "R3"))
    stc = Stc((StatusCode("A1", "19"), StatusCode("A7", "562", "85")), position=1)
    assert stc.claim_status is ClaimStatus.REJECTED
    assert Stc((StatusCode("E1", "484"),), position=1).claim_status is None


def test_code_lists_hold_what_277cas_use() -> None:
    """Every category A0-A8, the common status codes and STC01-3 entities have words."""
    categories, statuses, entities = claim_status_codes()
    assert {f"A{n}" for n in range(9)} | {"D0", "E0", "E4", "F0", "F4", "P0", "P5", "R0",
                                          "R16"} <= set(categories)
    common = {"0", "1", "3", "19", "20", "21", "24", "33", "35", "109", "116", "145", "164",
              "187", "200", "247", "248", "249", "250", "252", "286", "454", "455", "460",
              "461", "464", "479", "507", "509", "510", "511", "512", "513", "516", "535",
              "537", "538", "562", "654", "696", "709", "710", "727"}
    assert common <= set(statuses), sorted(common - set(statuses))
    assert statuses["562"] == "Entity's National Provider Identifier (NPI)"
    assert {"40", "41", "77", "82", "85", "87", "DN", "IL", "PR", "QC", "1P",
            "AY"} <= set(entities)
    assert entities["85"] == "Billing Provider"
