"""Reading 837P files into raw claim records (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gateway.domain.claim import Claim
from gateway.domain.findings import Severity
from gateway.errors import IntakeError
from gateway.intake.records import InputFormat, count_units, detect_format, read_records
from gateway.partners import load_partners
from gateway.samples.factory import make_claim
from gateway.submission.interchange import build_interchange
from x12_maps.p837_writer import ClaimToSend, Party

TODAY = dt.date(2026, 11, 28)
PARTNERS = Path(__file__).parents[2] / "config" / "partners"


def interchange(count: int) -> str:
    """An 837P of ``count`` factory claims, as the gateway writes it."""
    claims = [ClaimToSend(i, Claim.model_validate(make_claim(i, today=TODAY)))
              for i in range(1, count + 1)]
    built = build_interchange([(Party("ACME BILLING", "ACMEBILL01", None, "6155551212"),
                                claims)], partner=load_partners(PARTNERS).get("sandbox"),
                              control_number=7, group_control_number=7,
                              created=dt.datetime(2026, 11, 28, 9, 0))
    return built.text


@pytest.mark.parametrize("name", ["claims.837", "CLAIMS.X12", "batch.edi"])
def test_x12_extensions_pick_the_x12_reader(name: str) -> None:
    """.837, .x12 and .edi are X12 by name (the file need not exist yet)."""
    assert detect_format(Path(name)) is InputFormat.X12


@pytest.mark.parametrize("name", ["claims.txt", "claims.dat", "claims"])
def test_content_starting_with_isa_is_x12_whatever_the_name(tmp_path: Path,
                                                           name: str) -> None:
    """A BOM and blank lines, then ISA: X12, even as .txt or without an extension."""
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf\r\n  " + interchange(1).encode("ascii"))
    assert detect_format(path) is InputFormat.X12
    assert count_units(path, InputFormat.X12) is None


def test_txt_that_is_not_x12_still_asks_for_the_format(tmp_path: Path) -> None:
    """A .txt whose content is not X12 is not guessed: the user is told to pass --format."""
    path = tmp_path / "claims.txt"
    path.write_text("patient_control_number,total_charge\n")
    with pytest.raises(IntakeError, match="--format"):
        detect_format(path)


def test_format_name_is_x12() -> None:
    """--format x12 names the reader."""
    assert InputFormat("x12") is InputFormat.X12


def test_each_claim_becomes_a_record_in_file_order(tmp_path: Path) -> None:
    """One record per CLM, ref 'CLM at segment N', doc = the claim as JSON."""
    path = tmp_path / "in.837"
    path.write_text(interchange(4), encoding="ascii")
    records = list(read_records(path, InputFormat.X12))

    assert len(records) == 4
    positions = [int(r.ref.removeprefix("CLM at segment ")) for r in records]
    assert positions == sorted(positions)
    for record in records:
        assert record.findings == [] and record.doc is not None
        claim = Claim.model_validate(record.doc)
        assert claim.submitter is not None and claim.submitter.id == "ACMEBILL01"
    assert sorted(r.doc["patient_control_number"] for r in records if r.doc) == [
        f"PCN{i:08d}" for i in range(1, 5)]


def test_claim_the_reader_cannot_take_is_a_refused_record(tmp_path: Path) -> None:
    """An ICD-9 claim: a record without doc and an X12-READ finding; the others stay."""
    text = interchange(2)
    hi = text.index("~HI*", text.index("CLM*PCN00000002"))
    text = text[:hi] + "~HI*BK:4659" + text[text.index("~", hi + 1):]
    path = tmp_path / "in.837"
    path.write_text(text, encoding="ascii")

    records = list(read_records(path, InputFormat.X12))
    assert [r.doc is None for r in records].count(True) == 1
    (refused,) = [r for r in records if r.doc is None]
    assert refused.ref.startswith("CLM at segment ")
    (finding,) = refused.findings
    assert finding.rule == "X12-READ" and "ICD-9" in finding.message


def test_skipped_segments_come_as_a_warning(tmp_path: Path) -> None:
    """Segments the model does not hold (here a 2300 K3) are named in a warning."""
    text = interchange(1).replace("~HI*", "~K3*FREE FORM DATA~HI*", 1)
    path = tmp_path / "in.837"
    path.write_text(text, encoding="ascii")
    (record,) = read_records(path, InputFormat.X12)
    assert record.doc is not None
    (finding,) = record.findings
    assert (finding.rule, finding.severity) == ("X12-SKIP", Severity.WARNING)
    assert "K3" in finding.message


@pytest.mark.parametrize(("content", "message"), [
    (b"not an interchange at all", "ISA"),
    ("\ufeffhello".encode("utf-16-le"), "UTF-16"),
    (b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261128*0930*^"
     b"*00501*000000001*0*T*:~GS*HP*A*B*20261128*0930*1*X*005010X221A1~ST*835*0001~"
     b"SE*2*0001~GE*1*1~IEA*1*000000001~", "not HC"),
])
def test_file_that_is_not_an_837p_is_an_intake_error(tmp_path: Path, content: bytes,
                                                     message: str) -> None:
    """Not X12, not text, or another transaction: the whole file is refused, by name."""
    path = tmp_path / "in.837"
    path.write_bytes(content)
    with pytest.raises(IntakeError, match=message) as info:
        list(read_records(path, InputFormat.X12))
    assert str(info.value).startswith("in.837: ")
