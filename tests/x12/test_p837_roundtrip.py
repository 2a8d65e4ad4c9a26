"""837P writer ⇄ reader: pyx12 accepts what we write, the reader gives it back, and a
writer bug cannot reach a clearinghouse unnoticed.

Property tests run ``GATEWAY_PROPERTY_EXAMPLES`` examples each (default 150), each a
batch of 1-5 random clean claims in one interchange.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import x12_maps.p837_writer as writer
from gateway.domain.claim import (
    Adjustment,
    AdjustmentGroup,
    Claim,
    Contact,
    LineAdjudication,
    OtherInsured,
    OtherPayer,
    OtherPayerName,
)
from gateway.domain.codes import IcdStatus, icd10cm_status
from gateway.domain.rules import scrub
from gateway.errors import X12Error
from gateway.partners import TradingPartner, load_partners
from gateway.samples.factory import make_claim
from gateway.submission import interchange as interchange_module
from gateway.submission.interchange import BuiltInterchange, build_interchange
from gateway.submission.submit import charge_findings
from gateway.x12.tokenizer import segments
from gateway.x12.validate import ValidationResult, validate
from tests.strategies import DIAGNOSES, EXTERNAL_CAUSES, TODAY, claim_batches, submitters
from x12_maps.p837_normalize import as_sent
from x12_maps.p837_reader import ReadClaim, iter_837, read_837
from x12_maps.p837_writer import ClaimToSend, Party

EXAMPLES = int(os.environ.get("GATEWAY_PROPERTY_EXAMPLES", "150"))
PARTNERS = Path(__file__).parents[2] / "config" / "partners"
CREATED = dt.datetime(2026, 11, 28, 9, 30)
SUBMITTER = Party("ACME BILLING", "ACMEBILL01", "EDI DESK", "615-555-1212", "edi@acme.example")

PROPERTY = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Printing a falsifying batch of claims (tens of kB) makes hypothesis warn, and its
# pretty-printer touch the deprecated mypy_extensions.TypedDict: with
# filterwarnings=error either warning would hide the real failure.
def LARGE_REPR(test: Any) -> Any:  # noqa: N802 - used as a decorator, like a marker
    for message in ("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning",
                    "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"):
        test = pytest.mark.filterwarnings(message)(test)
    return test


# ------------------------------------------------------------------------------ helpers


def sandbox(**envelope: Any) -> TradingPartner:
    partner = load_partners(PARTNERS).get("sandbox")
    if not envelope:
        return partner
    separators = envelope.pop("separators", None)
    env = partner.envelope.model_copy(update=envelope)
    if separators is not None:
        env = env.model_copy(update={"separators": env.separators.model_copy(
            update=separators)})
    return partner.model_copy(update={"envelope": env})


def receiver_of(partner: TradingPartner) -> Party:
    return Party(partner.receiver.name, partner.receiver.id)


def build(claims: Sequence[Claim], partner: TradingPartner | None = None,
          submitter: Party = SUBMITTER) -> BuiltInterchange:
    items = [ClaimToSend(n, claim) for n, claim in enumerate(claims, start=1)]
    return build_interchange([(submitter, items)], partner=partner or sandbox(),
                             control_number=123, group_control_number=45, created=CREATED)


def factory_claims(count: int) -> list[Claim]:
    return [Claim.model_validate(make_claim(i, today=TODAY)) for i in range(1, count + 1)]


def findings_summary(result: ValidationResult) -> list[tuple[str, str | None, str | None,
                                                             int | None]]:
    """Codes and positions only: pyx12's messages carry claim data."""
    return [(f.code, f.segment_id, f.element, f.line) for f in result.findings]


def field_diff(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            yield from field_diff(expected.get(key), actual.get(key), f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list) \
            and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            yield from field_diff(e, a, f"{path}[{i}]")
    elif expected != actual:
        yield f"{path or '.'}: expected {expected!r}, read {actual!r}"


def assert_reads_back(built: BuiltInterchange, claims: Sequence[Claim], submitter: Party,
                      partner: TradingPartner) -> list[ReadClaim]:
    """Every claim comes back, at its CLM, equal to ``as_sent`` of what was written."""
    result = read_837(built.text)
    assert result.failures == []
    by_position = {line: claim_id for s in built.sets for claim_id, line in s.clm_lines.items()}
    assert sorted(r.clm_position for r in result.claims) == sorted(by_position)
    for read in result.claims:
        expected = as_sent(claims[by_position[read.clm_position] - 1], submitter=submitter,
                           receiver=receiver_of(partner))
        assert read.skipped == (), "the reader skipped segments our writer wrote"
        diff = list(field_diff(expected.model_dump(mode="json"),
                               read.claim.model_dump(mode="json")))
        assert read.claim == expected, "\n".join(diff)
    return result.claims


# ------------------------------------------------------------------------ properties


def test_strategy_diagnoses_are_billable_icd10() -> None:
    """The strategies' diagnosis list holds only billable ICD-10-CM codes."""
    assert len(DIAGNOSES) >= 40
    for code in DIAGNOSES + EXTERNAL_CAUSES:
        assert icd10cm_status(code) is IcdStatus.BILLABLE, code


@LARGE_REPR
@PROPERTY
@given(claims=claim_batches(), submitter=submitters())
def test_random_clean_claims_give_an_interchange_pyx12_accepts(
        claims: list[Claim], submitter: Party) -> None:
    """Random scrub-clean claims of every shape → one interchange with zero pyx12 errors."""
    built = build(claims, submitter=submitter)
    result = validate(built.text)
    assert result.clean, findings_summary(result)


@LARGE_REPR
@PROPERTY
@given(claims=claim_batches(), submitter=submitters())
def test_write_then_read_gives_the_claims_as_sent(
        claims: list[Claim], submitter: Party) -> None:
    """write → read_837 gives back each claim, equal to as_sent(claim), still clean."""
    partner = sandbox()
    built = build(claims, partner, submitter)
    for read in assert_reads_back(built, claims, submitter, partner):
        assert scrub(read.claim, today=TODAY) == []


# ------------------------------------------------------------------------- envelope


def test_envelope_counts_with_several_transaction_sets() -> None:
    """12 claims at 5 per ST: 3 sets; SE01, GE01, IEA01 and the control numbers agree."""
    partner = sandbox(claims_per_transaction=5)
    claims = factory_claims(12)
    built = build(claims, partner)
    segs = [s for _, s in segments(built.text)]
    ids = [s.id for s in segs]

    isa, gs, iea, ge = segs[0], segs[1], segs[-1], segs[-2]
    assert (ids.count("ISA"), ids.count("GS"), ids.count("ST"), ids.count("IEA")) == (1, 1, 3, 1)
    assert iea.get(1) == "1" and iea.get(2) == isa.get(13) == "000000123"
    assert ge.get(1) == "3" and ge.get(2) == gs.get(6) == "45"
    starts = [i for i, sid in enumerate(ids) if sid == "ST"]
    ends = [i for i, sid in enumerate(ids) if sid == "SE"]
    for start, end in zip(starts, ends, strict=True):
        assert int(segs[end].get(1)) == end - start + 1
        assert segs[end].get(2) == segs[start].get(2)
    assert len({segs[i].get(2) for i in starts}) == 3
    assert [ids[starts[k]:ends[k]].count("CLM") for k in range(3)] == [5, 5, 2]
    assert validate(built.text).clean
    assert_reads_back(built, claims, SUBMITTER, partner)


@pytest.mark.parametrize("separators", [
    {"element": "|", "component": ">", "repetition": "!", "segment": "\n"},
    {"element": "^", "component": "\\", "repetition": "`", "segment": "'"},
    {"element": "*", "component": ":", "repetition": "^", "segment": "\r"},
], ids=["pipe-newline", "caret-quote", "star-cr"])
def test_partner_separators_validate_and_read_back(separators: dict[str, str]) -> None:
    """Separators from the partner's config: zero pyx12 errors, claims read back."""
    partner = sandbox(separators=separators)
    claims = factory_claims(6)
    built = build(claims, partner)
    assert built.text[3] == separators["element"] and built.text[105] == separators["segment"]
    result = validate(built.text)
    assert result.clean, findings_summary(result)
    assert_reads_back(built, claims, SUBMITTER, partner)


@pytest.mark.parametrize(("separators", "field", "value"), [
    ({}, "last_name", "O*BRIEN"),
    ({"element": "|", "component": ">", "repetition": "!", "segment": "\n"},
     "last_name", "HELLO!"),
    ({}, "first_name", "ANN~MARIE"),
    ({}, "middle_name", "A:B"),
])
def test_value_holding_a_separator_is_never_rendered(separators: dict[str, str], field: str,
                                                     value: str) -> None:
    """A value with one of the partner's separators raises X12Error instead of shifting
    the elements of a payer's file."""
    claim = factory_claims(1)[0]
    claim = claim.model_copy(update={
        "subscriber": claim.subscriber.model_copy(update={field: value})})
    with pytest.raises(X12Error, match="separator"):
        build([claim], sandbox(separators=separators) if separators else None)


# ----------------------------------------------------------------- injected writer bugs


BROKEN_CHARGE = Decimal("777.77")


def three_claims_second_marked() -> list[Claim]:
    """Three claims (three subscribers); the second one's first line is recognizable."""
    claims = factory_claims(3)
    second = claims[1]
    line = second.service_lines[0].model_copy(update={
        "charge": BROKEN_CHARGE, "service_date": dt.date(2026, 9, 9)})
    lines = [line, *second.service_lines[1:]]
    claims[1] = second.model_copy(update={
        "service_lines": lines, "total_charge": sum((x.charge for x in lines), Decimal(0))})
    return claims


def _garbled_amount(original: Any) -> Any:
    def amount(value: Decimal) -> str:
        return "77X.7" if value == BROKEN_CHARGE else str(original(value))
    return amount


def _dtp_without_date(original: Any) -> Any:
    def seg(*elements: Any) -> Any:
        if elements[:3] == ("DTP", "472", "D8") and elements[3] == "20260909":
            elements = elements[:3]  # DTP03, a required element, left out
        return original(*elements)
    return seg


@pytest.mark.parametrize(("target", "wrap"), [
    ("amount", _garbled_amount),
    ("seg", _dtp_without_date),
], ids=["bad-number-in-SV102", "missing-DTP03"])
def test_writer_bug_fails_validation_and_is_charged_to_its_claim_only(
        monkeypatch: pytest.MonkeyPatch, target: str, wrap: Any) -> None:
    """A writer bug in one claim of three: pyx12 is not clean, and charge_findings blames
    that claim alone (the owners mapping), so the other two can be re-queued."""
    monkeypatch.setattr(writer, target, wrap(getattr(writer, target)))
    built = build(three_claims_second_marked())

    verdict = validate(built.text)
    assert not verdict.clean
    charged = charge_findings(verdict, built)
    assert set(charged) == {2}, findings_summary(verdict)
    assert all(f.rule.startswith("X12-") for f in charged[2])


def test_wrong_segment_count_in_one_set_is_charged_to_that_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SE01 off by one in the second of three sets (one claim each): only its claim."""
    original = interchange_module.transaction_set

    def transaction_set(set_id: str, control_number: str, version: str,
                        body: Sequence[Any]) -> list[Any]:
        out = original(set_id, control_number, version, body)
        if control_number == "0002":
            se = out[-1]
            out[-1] = (se[0], str(int(se[1]) + 1), *se[2:])
        return out

    monkeypatch.setattr(interchange_module, "transaction_set", transaction_set)
    built = build(factory_claims(3), sandbox(claims_per_transaction=1))

    verdict = validate(built.text)
    assert not verdict.clean
    assert set(charge_findings(verdict, built)) == {2}, findings_summary(verdict)


# ------------------------------------------------------------- writer bugs (fixed)


def test_referring_provider_organization_is_refused_before_rendering() -> None:
    """2310A NM102 allows only a person: scrubbing refuses an organization (PRV-019)."""
    doc = factory_claims(1)[0].model_dump(mode="json")
    doc["referring_provider"] = {"npi": "1987654328", "organization_name": "NORTH CLINIC"}
    claim = Claim.model_validate(doc)
    assert [f.rule for f in scrub(claim, today=TODAY)] == ["PRV-019"]


def test_lower_case_us_country_validates() -> None:
    """Country 'us' is the US for scrubbing, so it must be left out of N404 as 'US' is."""
    claim = factory_claims(1)[0]
    address = claim.billing_provider.address.model_copy(update={"country": "us"})
    claim = claim.model_copy(update={
        "billing_provider": claim.billing_provider.model_copy(update={"address": address})})
    assert scrub(claim, today=TODAY) == []
    assert validate(build([claim]).text).clean


# ------------------------------------------------------- the reader on other input


def text_of(claims: Sequence[Claim], **envelope: Any) -> str:
    return build(claims, sandbox(**envelope) if envelope else None).text


def test_several_interchanges_bom_and_crlf_all_read() -> None:
    """Two interchanges in one file, a BOM, CR/LF after each terminator: every claim."""
    first, second = text_of(factory_claims(2)), text_of(factory_claims(5)[2:])
    text = "\ufeff" + (first + second).replace("~", "~\r\n")
    result = read_837(text)
    assert result.failures == []
    # File order is the writer's grouping order (billing provider first).
    assert sorted(r.claim.patient_control_number for r in result.claims) == [
        "PCN00000001", "PCN00000002", "PCN00000003", "PCN00000004", "PCN00000005"]


def test_icd9_claim_fails_alone_with_a_clear_reason() -> None:
    """HI*BK (ICD-9) fails that claim with its position and control number; the other
    claims of the file still read; the reason carries no claim data."""
    claims = factory_claims(3)
    text = text_of(claims)
    clm_positions = [s.position for _, s in segments(text) if s.id == "CLM"]
    pcn = claims[1].patient_control_number
    hi_at = text.index("~HI*", text.index(f"CLM*{pcn}"))
    text = text[:hi_at] + "~HI*BK:4659*BF:7840" + text[text.index("~", hi_at + 1):]

    result = read_837(text)
    assert sorted(r.claim.patient_control_number for r in result.claims) == sorted(
        c.patient_control_number for c in claims if c.patient_control_number != pcn)
    (failure,) = result.failures
    assert failure.patient_control_number == pcn
    assert failure.clm_position in clm_positions
    assert "ICD-9" in failure.reason and "ABK" in failure.reason
    subscriber = claims[1].subscriber
    for value in (subscriber.last_name, subscriber.member_id, "4659", pcn):
        assert value not in failure.reason


def test_claim_that_breaks_the_model_is_a_failure_not_an_exception() -> None:
    """A bad date or a missing NPI: a per-claim failure naming the segment or field."""
    text = text_of(factory_claims(2))
    bad_date = re.sub(r"DMG\*D8\*\d{8}", "DMG*D8*20011341", text, count=1)
    result = read_837(bad_date)
    assert len(result.failures) == 1 and len(result.claims) == 1
    assert "DMG at segment" in result.failures[0].reason
    assert "2001" not in result.failures[0].reason

    no_npi = text.replace("*XX*1987654328", "").replace("*XX*1045678905", "")
    result = read_837(no_npi)
    assert result.claims == [] and len(result.failures) == 2
    assert all("rendering_provider.npi" in f.reason for f in result.failures)


def test_subscriber_loop_without_claim_is_a_failure() -> None:
    """An HL 22 that carries no CLM becomes a failure at its HL, other claims read."""
    text = text_of(factory_claims(2))
    start = text.index("CLM*PCN00000002")
    end = text.index("~SE*")
    cut = text[:start] + text[end + 1:]  # SE01 is off now: the reader does not count
    result = read_837(cut)
    assert [r.claim.patient_control_number for r in result.claims] == ["PCN00000001"]
    (failure,) = result.failures
    assert failure.patient_control_number is None
    assert "HL 22" in failure.reason and "no claim" in failure.reason
    hl_positions = {s.position for _, s in segments(cut) if s.id == "HL"}
    assert failure.clm_position in hl_positions


def test_cob_and_line_provider_loops_do_not_leak_into_the_claim() -> None:
    """A foreign 2320/2330 (other subscriber and payer) becomes ``other_payers`` and
    2420A (line rendering provider) is skipped: the claim's subscriber, payer and
    rendering provider stay the 2010BA/BB and 2310B ones; the skipped segment ids (the
    other subscriber's address, the line provider) are listed."""
    claims = factory_claims(1)
    partner = sandbox()
    text = build(claims, partner).text
    cob = ("SBR*S*01*******CI~OI***Y***Y~NM1*IL*1*OTHER*PERSON****MI*ZZZ999~"
           "N3*9 OTHER RD~N4*OTHERTOWN*CA*90001~NM1*PR*2*OTHER PAYER*****PI*OTHP~")
    text = text.replace("LX*1~", cob + "LX*1~", 1)
    line_provider = "NM1*82*1*LINEDOC*ANN****XX*1234567893~PRV*PE*PXC*208D00000X~"
    text = text.replace("REF*6R*L1-1~", "REF*6R*L1-1~" + line_provider, 1)

    (read,) = read_837(text).claims
    other = OtherPayer(payer_responsibility="S", relationship="01", claim_filing_indicator="CI",
                       insured=OtherInsured(last_name="OTHER", first_name="PERSON",
                                            member_id="ZZZ999"),
                       payer=OtherPayerName(name="OTHER PAYER", payer_id="OTHP"))
    expected = as_sent(claims[0], submitter=SUBMITTER, receiver=receiver_of(partner))
    assert read.claim == expected.model_copy(update={"other_payers": [other]})
    assert {"NM1", "N3", "N4", "PRV"} <= set(read.skipped)
    assert "SBR" not in read.skipped and "OI" not in read.skipped


def _secondary_claim() -> Claim:
    """The factory claim billed to its secondary payer, the primary having paid part."""
    (claim,) = factory_claims(1)
    first, *rest = claim.service_lines
    primary = OtherPayer(
        payer_responsibility="P", relationship="18", group_number="OG42",
        claim_filing_indicator="MB",
        insured=OtherInsured(last_name="DOE", first_name="JANE", member_id="MB12345"),
        payer=OtherPayerName(name="MEDICARE B", payer_id="MCB01"),
        paid_amount=first.charge - Decimal("12.34"),
        adjustments=[Adjustment(group=AdjustmentGroup.CONTRACTUAL, reason="45",
                                amount=sum((x.charge for x in rest), Decimal(0)))],
        lines=[LineAdjudication(
            line_number=1, paid_amount=first.charge - Decimal("12.34"),
            adjustments=[Adjustment(group=AdjustmentGroup.PATIENT_RESPONSIBILITY, reason="2",
                                    amount=Decimal("10")),
                         Adjustment(group=AdjustmentGroup.CONTRACTUAL, reason="45",
                                    amount=Decimal("2.34"), quantity=Decimal(1)),
                         Adjustment(group=AdjustmentGroup.PATIENT_RESPONSIBILITY, reason="1",
                                    amount=Decimal("0"))],
            adjudication_date=dt.date(2026, 11, 20))])
    subscriber = claim.subscriber.model_copy(update={"payer_responsibility": "S"})
    return claim.model_copy(update={"subscriber": subscriber, "other_payers": [primary]})


def test_secondary_claim_validates_and_reads_back() -> None:
    """A secondary claim: scrubbing passes, pyx12 accepts the 2320/2330A/2330B/2430 we
    write (CAS grouped per group code), and the reader gives the claim back."""
    claim = Claim.model_validate(_secondary_claim().model_dump())
    assert scrub(claim, today=TODAY) == []
    partner = sandbox()
    built = build([claim], partner)
    result = validate(built.text)
    assert result.valid and not result.findings, findings_summary(result)
    primary = claim.other_payers[0]
    body = built.text.split("~")
    start = body.index("SBR*P*18*OG42******MB")
    assert body[start:start + 6] == [
        "SBR*P*18*OG42******MB", f"CAS*CO*45*{writer.amount(primary.adjustments[0].amount)}",
        f"AMT*D*{writer.amount(primary.paid_amount or Decimal(0))}",
        "OI***Y***Y", "NM1*IL*1*DOE*JANE****MI*MB12345", "NM1*PR*2*MEDICARE B*****PI*MCB01"]
    svd = next(i for i, s in enumerate(body) if s.startswith("SVD*MCB01*"))
    assert body[svd + 1:svd + 4] == ["CAS*PR*2*10**1*0", "CAS*CO*45*2.34*1",
                                     "DTP*573*D8*20261120"]
    assert_reads_back(built, [claim], SUBMITTER, partner)


def test_component_separator_other_than_isa16_is_recognized() -> None:
    """A file whose composites use '>' while ISA16 says ':' (seen in the field) reads
    the same claims."""
    claims = factory_claims(3)
    partner = sandbox(separators={"component": ">"})
    text = build(claims, partner).text
    assert text[104] == ">"
    mislabeled = text[:104] + ":" + text[105:]
    assert read_837(mislabeled) == read_837(text)


@pytest.mark.parametrize(("text", "message"), [
    ("hello, this is not X12", "ISA"),
    ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261128*0930*^"
     "*00501*000000001*0*T*:~GS*HP*A*B*20261128*0930*1*X*005010X221A1~ST*835*0001~SE*2*0001~"
     "GE*1*1~IEA*1*000000001~", "not HC"),
    ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261128*0930*^"
     "*00501*000000001*0*T*:~GS*HC*A*B*20261128*0930*1*X*005010X222A1~ST*999*0001~SE*2*0001~"
     "GE*1*1~IEA*1*000000001~", "not 837"),
    ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261128*0930*^"
     "*00501*000000001*0*T*:~GS*HC*A*B*20261128*0930*1*X*005010X223A2~ST*837*0001*005010X223A2~"
     "SE*2*0001~GE*1*1~IEA*1*000000001~", "institutional"),
    ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261128*0930*^"
     "*00501*000000001*0*T*:~IEA*0*000000001~", "no 837"),
], ids=["not-x12", "835", "st-999", "837i", "empty-interchange"])
def test_not_an_837p_raises_x12_error(text: str, message: str) -> None:
    """Not X12, or X12 but not a professional 837: X12Error with a clear message."""
    with pytest.raises(X12Error, match=message):
        read_837(text)


def test_reader_streams_claim_by_claim() -> None:
    """iter_837 hands out each claim as its loop ends, before the rest is read."""
    text = text_of(factory_claims(3)) + "ISA*broken"
    items = iter_837(text)
    first = next(items)
    assert isinstance(first, ReadClaim)
    assert first.claim.patient_control_number == "PCN00000001"
    with pytest.raises(X12Error):
        list(items)


@pytest.mark.slow
def test_five_thousand_claims_read_in_seconds() -> None:
    """Speed: a 5,000-claim file (one ST) reads in a few seconds."""
    claims = [Claim.model_validate(make_claim(i, today=TODAY)) for i in range(5000)]
    text = text_of(claims)
    del claims
    started = time.perf_counter()
    result = read_837(text)
    elapsed = time.perf_counter() - started
    assert len(result.claims) == 5000 and result.failures == []
    assert elapsed < 10, f"{elapsed:.1f} s"  # ~1 s here; a guard against regressions



def test_empty_optional_texts_read_back_as_absent() -> None:
    """Empty optional strings are written as empty elements and read back as None;
    SBR04 is written when SBR03 is empty; a fax-only contact is not written."""
    claim = factory_claims(1)[0]
    line = claim.service_lines[0].model_copy(update={
        "description": "", "line_item_control_number": ""})
    claim = claim.model_copy(update={
        "subscriber": claim.subscriber.model_copy(update={
            "first_name": "", "group_number": "", "group_name": "ACME CORP"}),
        "billing_provider": claim.billing_provider.model_copy(update={
            "contact": Contact(fax="6155550100")}),
        "prior_authorization": "", "note": "", "payer_claim_control_number": "",
        "service_lines": [line, *claim.service_lines[1:]],
    })
    assert scrub(claim, today=TODAY) == []
    partner = sandbox()
    built = build([claim], partner)
    assert validate(built.text).clean
    (read,) = assert_reads_back(built, [claim], SUBMITTER, partner)
    assert read.claim.subscriber.group_name == "ACME CORP"
    assert read.claim.subscriber.first_name is None and read.claim.note is None
    assert read.claim.billing_provider.contact is None


def test_value_ending_in_iea_does_not_end_the_interchange() -> None:
    """A (scrub-clean, pyx12-clean) first name ending in IEA reads back like any other."""
    claim = factory_claims(1)[0]
    claim = claim.model_copy(update={
        "subscriber": claim.subscriber.model_copy(update={"first_name": "MARIEA"})})
    built = build([claim])
    assert validate(built.text).clean
    assert_reads_back(built, [claim], SUBMITTER, sandbox())
