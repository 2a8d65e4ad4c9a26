"""The 837P reader (and pyx12 validation) over the third-party corpus in
``../shared/x12-corpus`` (read in place; sources and licenses are in its MANIFEST.tsv).

``[valid]`` files read without raising; ``[invalid]`` and ``[edge]`` files give an
X12Error with a message or a result — never another exception. Most TR3 examples still
carry ICD-9 diagnoses (HI*BK): those claims come back as failures with that reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from gateway.domain.rules import scrub
from gateway.errors import X12Error
from gateway.x12.tokenizer import decode, segments
from gateway.x12.validate import ValidationResult, validate
from x12_maps.p837_reader import Read837, read_837

T = TypeVar("T")
CORPUS = Path(__file__).parents[2].parent / "shared" / "x12-corpus"

if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(f"the X12 corpus is not at {CORPUS} (it lives beside the repository, in "
                "../shared/x12-corpus)", allow_module_level=True)


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    kind: str  # MANIFEST type: 837p, other, ...
    tag: str  # valid, invalid, edge
    notes: str

    @property
    def name(self) -> str:
        return self.path.name


def _manifest() -> list[CorpusFile]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    out = []
    for row in rows:
        match = re.match(r"\[(valid|invalid|edge)\]", row["notes"])
        assert match, f"MANIFEST row without a [valid]/[invalid]/[edge] tag: {row['file']}"
        out.append(CorpusFile(CORPUS / row["file"], row["type"], match.group(1), row["notes"]))
    return out


FILES = _manifest()
P837 = [f for f in FILES if f.kind == "837p"]
VALID = [f for f in P837 if f.tag == "valid"]
NOT_VALID = [f for f in P837 if f.tag != "valid"]
OTHER = [f for f in FILES if f.kind == "other"]


def _ids(f: CorpusFile) -> str:
    return f.name


def _text(f: CorpusFile) -> str:
    return decode(f.path.read_bytes())


def _attempt(work: Callable[[], T]) -> T | X12Error:
    """The result of ``work``, or the X12Error it raised (any other exception escapes)."""
    try:
        return work()
    except X12Error as exc:
        return exc


def _clm_positions(text: str) -> set[int]:
    return {s.position for _, s in segments(text) if s.id == "CLM"}


def assert_one_result_per_clm(text: str, result: Read837) -> None:
    """Each CLM gives exactly one claim or failure, at its position; any other failure
    is a subscriber/patient loop without a CLM."""
    clms = _clm_positions(text)
    positions = [r.clm_position for r in result.claims] + [
        f.clm_position for f in result.failures if f.clm_position in clms]
    assert sorted(positions) == sorted(clms)
    for failure in result.failures:
        assert failure.reason
        if failure.clm_position not in clms:
            assert "no claim" in failure.reason


def test_corpus_holds_837p_files() -> None:
    """The MANIFEST lists the expected 837P files (the parametrized tests run on them)."""
    assert len(P837) >= 60 and len(VALID) >= 17


@pytest.mark.parametrize("f", VALID, ids=_ids)
def test_valid_file_reads(f: CorpusFile) -> None:
    """A [valid] 837P reads without raising: a claim, or a failure with a reason, per CLM."""
    text = _text(f)
    result = read_837(text)
    assert result.claims or result.failures
    assert_one_result_per_clm(text, result)
    for failure in result.failures:
        assert failure.patient_control_number
        # The TR3 examples predate ICD-10; anything else would be a reader problem.
        assert "ICD-9" in failure.reason or "claim model" in failure.reason, failure.reason


@pytest.mark.parametrize("f", VALID, ids=_ids)
def test_valid_file_validates(f: CorpusFile) -> None:
    """pyx12 returns a verdict for every [valid] 837P (two stupidedi examples carry
    guide-level findings, per X12-NOTES, so cleanliness is not asserted)."""
    assert isinstance(validate(_text(f)), ValidationResult)


@pytest.mark.parametrize("f", NOT_VALID, ids=_ids)
def test_invalid_or_edge_file_gives_an_error_or_a_result(f: CorpusFile) -> None:
    """An [invalid]/[edge] 837P: X12Error with a message, or claims and/or failures plus
    a pyx12 verdict (an X12Error there too is fine) — never another exception. pyx12
    never calls an [invalid] one clean."""
    read = _attempt(lambda: (_text(f), read_837(_text(f))))
    if isinstance(read, X12Error):
        assert str(read)
        return
    text, result = read
    assert result.claims or result.failures
    assert_one_result_per_clm(text, result)
    verdict = _attempt(lambda: validate(text))
    if isinstance(verdict, X12Error):
        assert str(verdict)
        return
    if f.tag == "invalid":
        assert not verdict.clean


@pytest.mark.parametrize("f", OTHER, ids=_ids)
def test_other_transaction_sets_and_broken_files_raise_x12_error(f: CorpusFile) -> None:
    """837I, 834, 277, truncated files: the 837P reader refuses them with X12Error."""
    with pytest.raises(X12Error) as info:
        read_837(_text(f))
    assert str(info.value)


def _one(name: str) -> CorpusFile:
    (match,) = [f for f in P837 if f.name.startswith(name)]
    return match


def test_icd10_clearinghouse_claim_reads_field_by_field() -> None:
    """The one ICD-10 [valid] file: every field where the guide puts it, nothing skipped."""
    (read,) = read_837(_text(_one("UHIN__"))).claims
    c = read.claim
    assert read.skipped == ()
    assert c.submitter is not None and c.submitter.contact is not None
    assert (c.submitter.id, c.submitter.contact.phone) == ("HT007852-001", "8014367695")
    assert c.receiver is not None and c.receiver.id == "HT000346-001"
    assert (c.billing_provider.npi, c.billing_provider.taxonomy,
            c.billing_provider.tax_id.value) == ("1245319599", "111N00000X", "123456789")
    assert c.subscriber.relationship_to_patient == "18" and c.patient is None
    assert (c.subscriber.member_id, c.subscriber.group_number) == ("601239742", "55555")
    assert c.payer.payer_id == "FLHIN"
    assert (c.patient_control_number, c.place_of_service, c.diagnoses) == (
        "1606", "11", ["R69"])
    (line,) = c.service_lines
    assert (line.procedure_code, line.diagnosis_pointers) == ("90834", [1])
    assert (line.service_date.isoformat(), line.service_date_end and
            line.service_date_end.isoformat()) == ("2024-08-15", "2024-08-20")


@pytest.mark.parametrize("name", ["LinuxForHealth__x12__tr3_example6", "LinuxForHealth__x12__"
                                  "tr3_example9", "LinuxForHealth__x12__tr3_example11",
                                  "LinuxForHealth__x12__tr3_example12"])
def test_composites_with_another_separator_than_isa16_are_read(name: str) -> None:
    """ISA16 says ':' but the composites use '>': CLM05/HI/SV1 are still understood (the
    claim then fails only for its ICD-9 diagnoses)."""
    result = read_837(_text(_one(name)))
    (failure,) = result.failures
    assert "ICD-9" in failure.reason and "composite" not in failure.reason


def _as_icd10(text: str) -> str:
    """The same file with its HI qualifiers renamed BK/BF → ABK/ABF (codes unchanged)."""
    return re.sub(r"(?<=[*])(BK|BF)(?=[:>])", r"A\1", text)


@pytest.mark.parametrize("f", [f for f in VALID if "stupidedi" in f.name], ids=_ids)
def test_tr3_examples_read_once_diagnoses_are_icd10(f: CorpusFile) -> None:
    """With ICD-10 qualifiers, each TR3 example becomes a claim (COB, ambulance, DME, NDC
    loops skipped), unless the model itself refuses it (a referring provider without
    NPI in the Medicare secondary example)."""
    result = read_837(_as_icd10(_text(f)))
    for failure in result.failures:
        assert "ICD-9" not in failure.reason
        assert "referring_provider.npi" in failure.reason, failure.reason
    assert len(result.claims) + len(result.failures) == 1


@pytest.mark.parametrize(("name", "payer"), [
    ("kputnam__stupidedi__pass_cob_bp_to_payer_b", "GREAT PRAIRIES HEALTH"),
    ("kputnam__stupidedi__pass_cob_bp_to_payer_a", "KEY INSURANCE COMPANY"),
])
def test_cob_other_payer_loops_do_not_replace_the_destination_payer(name: str,
                                                                   payer: str) -> None:
    """2320/2330A/B (other subscriber, other payer) become ``other_payers``: subscriber
    and payer stay the 2010BA/BB ones."""
    (read,) = read_837(_as_icd10(_text(_one(name)))).claims
    assert read.claim.payer.name == payer
    assert read.claim.rendering_provider is not None
    (other,) = read.claim.other_payers
    assert other.payer.name == "KEY INSURANCE COMPANY" and other.payer.payer_id == "999996666"
    assert other.insured.member_id and other.relationship == "01"
    assert {read.claim.subscriber.payer_responsibility, other.payer_responsibility} == {"P", "S"}
    assert {"N3", "N4"} <= set(read.skipped)  # the other subscriber's address


def test_cob_secondary_with_line_adjudication_reads_balanced() -> None:
    """The TR3 secondary example: 2320 CAS/AMT*D and 2430 SVD/CAS/DTP*573 become the
    prior payer's adjudication, and it balances (COB-001, COB-003)."""
    (read,) = read_837(_as_icd10(_text(_one("kputnam__stupidedi__pass_cob_bp_to_payer_b"))
                                 )).claims
    claim = read.claim
    (primary,) = claim.other_payers
    assert claim.subscriber.payer_responsibility == "S" and primary.payer_responsibility == "P"
    assert primary.paid_amount == Decimal("39.15")
    assert [(a.group.value, a.reason, a.amount) for a in primary.adjustments] == [
        ("PR", "1", Decimal("21.89")), ("PR", "2", Decimal("15"))]
    assert [line.line_number for line in primary.lines] == [1, 2, 3]
    assert primary.lines[0].adjustments[0].group.value == "CO"
    assert all(line.adjudication_date is not None for line in primary.lines)
    findings = scrub(claim, today=dt.date(2026, 11, 28))
    assert not {f.rule for f in findings} & {"COB-001", "COB-003", "COB-005", "PAY-002",
                                             "PAY-003", "PAY-004"}


def test_many_claims_file_gives_one_result_per_claim() -> None:
    """820 claims in one ST: 820 results, in file order."""
    text = _text(_one("imsweb__x12-parser__many_claims_820"))
    result = read_837(text)
    positions = [f.clm_position for f in result.failures] + [
        c.clm_position for c in result.claims]
    assert len(positions) == 820 == len(set(positions))
