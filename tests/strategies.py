"""Hypothesis strategies: random claims that pass every scrubbing rule, by construction.

Every shape the claim model allows: the subscriber as patient or a separate patient,
1-50 lines, 1-12 diagnoses, 0-4 modifiers, 1-4 pointers, date ranges, NDC lines,
replacements and voids, accident/onset/prior authorization/referral/note, rendering,
referring and service facility providers, pay-to, person or organization billing
provider, optional contacts, and secondary/tertiary claims whose other payers report
adjudications balanced by construction (COB-001/003), at claim and line level. Text
uses letters, digits and single inner spaces only.

Each generated claim is checked with :func:`gateway.domain.rules.scrub` on ``TODAY``;
a finding there is a bug in these strategies, so it fails loudly instead of being
filtered away.
"""

from __future__ import annotations

import datetime as dt
import itertools
import string
from decimal import Decimal

from hypothesis import strategies as st

from gateway.domain.claim import (
    Accident,
    Address,
    Adjustment,
    AdjustmentGroup,
    BillingProvider,
    Claim,
    Contact,
    FrequencyCode,
    Gender,
    LineAdjudication,
    OtherInsured,
    OtherPayer,
    OtherPayerName,
    Party,
    Patient,
    Payer,
    PayTo,
    Provider,
    ServiceFacility,
    ServiceLine,
    Subscriber,
    TaxId,
    TaxIdType,
    UnitType,
)
from gateway.domain.codes import CLAIM_FILING_INDICATORS, PATIENT_RELATIONSHIPS, PLACE_OF_SERVICE
from gateway.domain.rules import scrub
from gateway.domain.rules_core import npi_is_valid
from x12_maps.p837_writer import Party as WrittenParty

TODAY = dt.date(2026, 11, 28)
FIRST_SERVICE = dt.date(2024, 1, 1)

# Billable ICD-10-CM codes (checked in tests/x12/test_p837_roundtrip.py) that may be the
# principal diagnosis, and external-cause codes that may only follow it (DX-005).
DIAGNOSES = (
    "J06.9", "R05.9", "I10", "E11.9", "M54.50", "Z00.00", "K21.9", "J02.9", "R51.9",
    "N39.0", "E78.5", "F41.1", "J45.909", "E66.9", "G43.909", "M25.561", "M79.10", "R10.9",
    "R53.83", "K59.00", "L30.9", "H10.9", "J30.9", "J01.90", "H66.90", "R50.9", "R11.2",
    "E03.9", "F32.A", "F90.9", "G47.00", "I25.10", "I48.91", "J44.9", "K52.9", "M17.11",
    "M54.2", "N18.30", "R07.9", "S93.401A", "S61.011A", "Z23", "Z79.4", "E55.9", "D64.9",
)
EXTERNAL_CAUSES = ("W19.XXXA", "Y92.009", "V43.52XA")
# CPT category I/II/III, PLA, HCPCS Level II shapes (LINE-002).
PROCEDURES = ("99213", "99214", "87880", "36415", "81002", "G0008", "90686", "99396",
              "0001U", "1036F", "0042T", "J1100", "A0427", "E0570", "97110", "00142")
MODIFIERS = ("25", "59", "76", "91", "LT", "RT", "GT", "95", "TC", "26", "QW", "XU", "GA",
             "GY", "KX", "AT", "QK", "P1")
US_STATES = ("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
             "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
             "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
             "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR")
STREETS = ("MAIN ST", "ELM ST", "OAK AVE", "RIVER RD", "PARK BLVD", "HILL DR", "1ST AVE")
NDC_UNITS = ("F2", "GR", "ME", "ML", "UN")
SUFFIXES = ("JR", "SR", "II", "III", "IV")

_UPPER = string.ascii_uppercase
_ALNUM = string.ascii_uppercase + string.digits
_MIXED = string.ascii_letters + string.digits


def words(max_length: int, *, alphabet: str = _ALNUM, max_words: int = 4,
          min_first: int = 1) -> st.SearchStrategy[str]:
    """Words of ``alphabet`` joined by single spaces, at most ``max_length`` long."""
    first = st.text(alphabet, min_size=min_first, max_size=10)
    rest = st.lists(st.text(alphabet, min_size=1, max_size=10), max_size=max_words - 1)
    return st.tuples(first, rest).map(
        lambda p: " ".join([p[0], *p[1]])[:max_length].strip())


def token(min_size: int, max_size: int, alphabet: str = _ALNUM) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=min_size, max_size=max_size)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=n, max_size=n)


@st.composite
def npis(draw: st.DrawFn) -> str:
    """A 10-digit NPI with a valid Luhn check digit (prefix 80840)."""
    body = draw(st.sampled_from("12")) + draw(digits(8))
    total = 24
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    npi = body + str((10 - total % 10) % 10)
    assert npi_is_valid(npi)
    return npi


@st.composite
def phones(draw: st.DrawFn) -> str:
    """A NANP number (area code and exchange 2-9), in one of the usual layouts."""
    area = draw(st.sampled_from("23456789")) + draw(digits(2))
    exchange = draw(st.sampled_from("23456789")) + draw(digits(2))
    line = draw(digits(4))
    layout = draw(st.sampled_from(("{}{}{}", "({}) {}-{}", "{}-{}-{}", "{}.{}.{}")))
    return layout.format(area, exchange, line)


emails = st.builds(lambda user, host: f"{user}@{host}.example".lower(),
                   token(1, 12, _MIXED), token(1, 12, string.ascii_letters))


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    return Contact(name=draw(st.none() | words(60, alphabet=_MIXED)),
                   phone=draw(st.none() | phones()), email=draw(st.none() | emails),
                   fax=draw(st.none() | digits(10)))


@st.composite
def addresses(draw: st.DrawFn, *, zip9: bool = False, po_box: bool = False,
              foreign: bool = False) -> Address:
    line1 = (f"PO BOX {draw(st.integers(1, 99999))}" if po_box
             else f"{draw(st.integers(1, 99999))} {draw(st.sampled_from(STREETS))}")
    line2 = draw(st.none() | st.builds("{} {}".format, st.sampled_from(("SUITE", "FL", "UNIT")),
                                       token(1, 5)))
    city = draw(words(30, alphabet=_UPPER, max_words=3, min_first=2))
    if foreign and draw(st.booleans()):
        # Canada: no US ZIP rules. pyx12's province list predates "QC" (it has "PQ").
        return Address(line1=line1, line2=line2, city=city,
                       state=draw(st.sampled_from(("ON", "BC", "AB", "MB"))),
                       zip=draw(token(6, 6)), country="CA")
    zip_code = draw(digits(9)) if zip9 else draw(digits(5) | digits(9))
    return Address(line1=line1, line2=line2, city=city, state=draw(st.sampled_from(US_STATES)),
                   zip=zip_code, country=draw(st.sampled_from((None, None, "US", "USA"))))


def _name(max_length: int) -> st.SearchStrategy[str]:
    return words(max_length, alphabet=_MIXED, max_words=3)


taxonomies = st.builds(lambda body: body + "X", token(9, 9))


@st.composite
def tax_ids(draw: st.DrawFn) -> TaxId:
    if draw(st.booleans()):
        return TaxId(type=TaxIdType.EIN, value=draw(digits(9)))
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    value = f"{area:03d}{draw(st.integers(1, 99)):02d}{draw(st.integers(1, 9999)):04d}"
    return TaxId(type=TaxIdType.SSN, value=value)


@st.composite
def provider_names(draw: st.DrawFn, *, organization: bool = True) -> dict[str, str | None]:
    """Person (last + first, maybe an organization name too, which NM1 then drops) or
    organization (maybe with a first name, which NM1 drops)."""
    kinds = ["person", "person+org", "org", "org+first"] if organization else [
        "person", "person+org"]
    kind = draw(st.sampled_from(kinds))
    org = draw(_name(60)) if "org" in kind else None
    last = draw(_name(60)) if kind.startswith("person") else None
    first = draw(_name(35)) if kind != "org" else None
    return {"organization_name": org, "last_name": last, "first_name": first}


@st.composite
def billing_providers(draw: st.DrawFn) -> BillingProvider:
    return BillingProvider(
        npi=draw(npis()), **draw(provider_names()), tax_id=draw(tax_ids()),
        taxonomy=draw(st.none() | taxonomies), address=draw(addresses(zip9=True)),
        contact=draw(st.none() | contacts()))


@st.composite
def providers(draw: st.DrawFn, *, organization: bool = True) -> Provider:
    return Provider(npi=draw(npis()), **draw(provider_names(organization=organization)),
                    taxonomy=draw(st.none() | taxonomies))


@st.composite
def service_facilities(draw: st.DrawFn) -> ServiceFacility:
    return ServiceFacility(name=draw(_name(60)), npi=draw(st.none() | npis()),
                           address=draw(addresses(zip9=True)))


def _day(draw: st.DrawFn, first: dt.date, last: dt.date) -> dt.date:
    """A date in [first, last] (``first`` when the range is empty)."""
    span = max(0, (last - first).days)
    return first + dt.timedelta(days=draw(st.integers(0, span)))


@st.composite
def subscribers(draw: st.DrawFn, *, is_patient: bool, born_by: dt.date,
                responsibility: str = "P") -> Subscriber:
    """The insured; when it is the patient, demographics are required (SUB-008)."""
    demographics = is_patient or draw(st.booleans())
    relation = draw(st.sampled_from((None, "18")) if is_patient
                    else st.sampled_from((None, "19", "01")))
    return Subscriber(
        last_name=draw(_name(60)), first_name=draw(st.none() | _name(35)),
        middle_name=draw(st.none() | _name(25)), suffix=draw(st.none() | st.sampled_from(SUFFIXES)),
        birth_date=_day(draw, dt.date(1930, 1, 1), born_by) if demographics else None,
        gender=draw(st.sampled_from(Gender)) if demographics else None,
        address=draw(addresses(foreign=True)) if demographics else None,
        # NM109 is 2-80 characters (the model and scrubbing allow 1).
        member_id=draw(token(2, 20)), group_number=draw(st.none() | token(1, 15)),
        group_name=draw(st.none() | _name(60)),
        payer_responsibility=responsibility,
        claim_filing_indicator=draw(st.sampled_from(sorted(CLAIM_FILING_INDICATORS))),
        relationship_to_patient=relation)


@st.composite
def patients(draw: st.DrawFn, *, born_by: dt.date) -> Patient:
    return Patient(
        last_name=draw(_name(60)), first_name=draw(st.none() | _name(35)),
        middle_name=draw(st.none() | _name(25)), suffix=draw(st.none() | st.sampled_from(SUFFIXES)),
        birth_date=_day(draw, dt.date(1930, 1, 1), born_by),
        gender=draw(st.sampled_from(Gender)), address=draw(addresses(foreign=True)),
        relationship_to_subscriber=draw(st.sampled_from(sorted(PATIENT_RELATIONSHIPS))))


@st.composite
def payers(draw: st.DrawFn) -> Payer:
    return Payer(name=draw(_name(60)), payer_id=draw(token(2, 15)),
                 address=draw(st.none() | addresses(foreign=True)))


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


def thousandths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda q: Decimal(q).scaleb(-3))


_POS = sorted(PLACE_OF_SERVICE)
_MODIFIER_LISTS = st.lists(st.sampled_from(MODIFIERS), unique=True, max_size=4)
_UNITS = st.integers(1, 99).map(Decimal) | thousandths(1, 9_999_999)
_DESCRIPTIONS = st.none() | words(80, max_words=8)
_END_KINDS = st.sampled_from(("none", "none", "same", "range"))
# Most claims are short; one in ten carries the full 50 lines.
_LINE_COUNTS = st.integers(0, 9).flatmap(
    lambda k: st.just(50) if k == 0 else st.integers(7, 49) if k < 3 else st.integers(1, 6))


def service_line(draw: st.DrawFn, *, index: int, diagnoses: int, start: dt.date,
                 place_of_service: str) -> ServiceLine:
    """One line (a plain function of ``draw``: building a strategy per line is slow)."""
    day = _day(draw, start, min(start + dt.timedelta(days=60), TODAY))
    end_kind = draw(_END_KINDS)
    end = {"none": None, "same": day}.get(end_kind) or _day(
        draw, day, min(day + dt.timedelta(days=30), TODAY))
    ndc = quantity = unit = None
    if draw(st.integers(0, 4)) == 0:
        raw = draw(digits(11))
        ndc = f"{raw[:5]}-{raw[5:9]}-{raw[9:]}" if draw(st.booleans()) else raw
        quantity = draw(thousandths(1, 99_999_999))
        unit = draw(st.sampled_from(NDC_UNITS))
    licn = None
    if draw(st.booleans()):
        licn = f"{draw(token(1, 20))}X{index}"  # the index after the last X: unique
    return ServiceLine(
        procedure_code=draw(st.sampled_from(PROCEDURES)),
        modifiers=draw(_MODIFIER_LISTS),
        charge=draw(cents(1, 9_999_999)),
        units=draw(_UNITS),
        unit_type=draw(st.sampled_from(UnitType)),
        place_of_service=draw(st.sampled_from((None, place_of_service, *_POS))),
        diagnosis_pointers=draw(st.lists(st.integers(1, diagnoses), unique=True, min_size=1,
                                         max_size=min(4, diagnoses))),
        service_date=day, service_date_end=end, ndc=ndc, ndc_quantity=quantity, ndc_unit=unit,
        line_item_control_number=licn, description=draw(_DESCRIPTIONS))


# --------------------------------------------------------------------------- COB

CARCS = ("1", "2", "3", "23", "42", "45", "96", "97", "B7", "253")
OTHER_RELATIONSHIPS = ("01", "18", "19", "20", "21", "39", "40", "53", "G8")
_FILING = sorted(CLAIM_FILING_INDICATORS)


def adjustments(draw: st.DrawFn, total: Decimal) -> list[Adjustment]:
    """0-3 adjustments (random group codes and reasons) adding up to ``total``."""
    cents_total = int(total * 100)
    if cents_total == 0:
        return []
    parts = draw(st.integers(1, min(3, cents_total)))
    cuts = sorted(draw(st.lists(st.integers(1, cents_total - 1), min_size=parts - 1,
                                max_size=parts - 1, unique=True))) if parts > 1 else []
    bounds = [0, *cuts, cents_total]
    return [Adjustment(group=draw(st.sampled_from(AdjustmentGroup)),
                       reason=draw(st.sampled_from(CARCS)),
                       amount=Decimal(high - low).scaleb(-2),
                       quantity=draw(st.none() | st.integers(1, 9).map(Decimal)))
            for low, high in itertools.pairwise(bounds)]


def later_payer(draw: st.DrawFn, responsibility: str, index: int) -> OtherPayer:
    """Another payer, without adjudication (one after the claim's own, as it stands)."""
    return OtherPayer(
        payer_responsibility=responsibility,
        relationship=draw(st.sampled_from(OTHER_RELATIONSHIPS)),
        group_number=draw(st.none() | token(1, 15)),
        claim_filing_indicator=draw(st.none() | st.sampled_from(_FILING)),
        insured=OtherInsured(last_name=draw(_name(60)), first_name=draw(st.none() | _name(35)),
                             member_id=draw(token(2, 20))),
        # The index keeps payer ids distinct (2430 SVD01 names one).
        payer=OtherPayerName(name=draw(_name(60)), payer_id=f"{draw(token(1, 12))}P{index}"))


def prior_payer(draw: st.DrawFn, responsibility: str, index: int,
                lines: list[ServiceLine]) -> OtherPayer:
    """A payer that adjudicated the claim: what it paid and adjusted balances the total
    charge (COB-001), and each line it adjudicated balances that line (COB-003)."""
    adjudicated: list[LineAdjudication] = []
    line_adjusted = Decimal(0)
    for number, line in enumerate(lines, start=1):
        if draw(st.integers(0, 2)) != 0:
            continue
        paid = draw(cents(0, int(line.charge * 100)))
        line_cas = adjustments(draw, line.charge - paid)
        line_adjusted += line.charge - paid
        own = draw(st.booleans())
        adjudicated.append(LineAdjudication(
            line_number=number, paid_amount=paid,
            procedure_code=None if own else draw(st.sampled_from(PROCEDURES)),
            modifiers=None if own else draw(_MODIFIER_LISTS),
            units=draw(st.none() | _UNITS), adjustments=line_cas,
            adjudication_date=_day(draw, line.service_date_end or line.service_date, TODAY)))
    rest = sum((line.charge for line in lines), Decimal(0)) - line_adjusted
    paid = draw(cents(0, int(rest * 100)))
    claim_date = None
    if not adjudicated and draw(st.booleans()):
        last = max(line.service_date_end or line.service_date for line in lines)
        claim_date = _day(draw, last, TODAY)
    return OtherPayer.model_validate({
        **later_payer(draw, responsibility, index).model_dump(),
        "paid_amount": None if paid == 0 and draw(st.booleans()) else paid,
        "adjustments": adjustments(draw, rest - paid), "adjudication_date": claim_date,
        "lines": adjudicated})


def other_payers(draw: st.DrawFn, responsibility: str,
                 lines: list[ServiceLine]) -> list[OtherPayer]:
    """The payers besides the claim's own, for its payer responsibility: every payer
    ahead of it with an adjudication (PAY-004), sometimes one after it (PAY-002/003)."""
    ahead = {"P": "", "S": "P", "T": "PS", "U": draw(st.sampled_from(("P", "PS")))}[
        responsibility]
    out = [prior_payer(draw, code, i, lines) for i, code in enumerate(ahead)]
    after = {"P": "S", "S": "T", "T": "A", "U": ""}[responsibility]
    if after and draw(st.integers(0, 3)) == 0:
        out.append(later_payer(draw, after, len(out)))
    return draw(st.permutations(out)) if len(out) > 1 else out


@st.composite
def diagnosis_lists(draw: st.DrawFn) -> list[str]:
    principal = draw(st.sampled_from(DIAGNOSES))
    others = draw(st.lists(st.sampled_from(DIAGNOSES + EXTERNAL_CAUSES).filter(
        lambda c: c != principal), unique=True, max_size=11))
    return [principal, *others]


@st.composite
def parties(draw: st.DrawFn) -> Party:
    """A claim's own submitter/receiver (replaced by the envelope's when written)."""
    return Party(name=draw(_name(60)), id=draw(token(2, 15)),
                 contact=draw(st.none() | contacts()))


@st.composite
def households(draw: st.DrawFn) -> tuple[Subscriber, Payer, list[Patient | None]]:
    """A subscriber with a payer and who gets claims under it: the subscriber (None) or
    one or two dependants. Claims that share one go under one 2000B."""
    start = _day(draw, FIRST_SERVICE, TODAY)
    is_patient = draw(st.booleans())
    # One household in three is billed to a secondary (or later) payer: COB.
    responsibility = draw(st.sampled_from("PPPPSSTU"))
    subscriber = draw(subscribers(is_patient=is_patient, born_by=start,
                                  responsibility=responsibility))
    if is_patient:
        return subscriber, draw(payers()), [None]
    dependants = draw(st.lists(patients(born_by=start), min_size=1, max_size=2))
    return subscriber, draw(payers()), list(dependants)


@st.composite
def claims(draw: st.DrawFn, *, pcn: str | None = None,
           billing: BillingProvider | None = None,
           household: tuple[Subscriber, Payer, Patient | None] | None = None) -> Claim:
    """One clean claim; ``billing``/``household`` let a batch share loops between claims."""
    if household is None:
        subscriber, payer, dependants = draw(households())
        household = (subscriber, payer, draw(st.sampled_from(dependants)))
    subscriber, payer, patient = household
    born = (patient or subscriber).birth_date or dt.date(1930, 1, 1)
    start = _day(draw, max(born, FIRST_SERVICE), TODAY)
    dx = draw(diagnosis_lists())
    place = draw(st.sampled_from(_POS))
    lines = [service_line(draw, index=i, diagnoses=len(dx), start=start, place_of_service=place)
             for i in range(draw(_LINE_COUNTS))]
    first = min(line.service_date for line in lines)
    frequency = draw(st.sampled_from(FrequencyCode))
    accident = None
    if draw(st.integers(0, 3)) == 0:
        cause = draw(st.sampled_from(("AA", "EM", "OA")))
        state = draw(st.sampled_from(US_STATES)) if cause == "AA" else draw(
            st.none() | st.sampled_from(US_STATES))
        accident = Accident(cause=cause, date=_day(draw, born, first), state=state)
    referral = draw(st.none() | token(1, 30))
    referring = draw(providers(organization=False)) if referral else draw(
        st.none() | providers(organization=False))
    claim = Claim(
        submitter=draw(st.none() | parties()), receiver=draw(st.none() | parties()),
        billing_provider=billing or draw(billing_providers()),
        pay_to=draw(st.none() | st.builds(PayTo, address=addresses(po_box=True))),
        subscriber=subscriber, patient=patient, payer=payer,
        patient_control_number=pcn or draw(token(1, 20)),
        total_charge=sum((line.charge for line in lines), Decimal(0)),
        place_of_service=place, frequency_code=frequency,
        payer_claim_control_number=None if frequency is FrequencyCode.ORIGINAL
        else draw(token(1, 30)),
        provider_signature=draw(st.booleans()),
        accepts_assignment=draw(st.sampled_from("ABC")),
        benefits_assigned=draw(st.sampled_from("YNW")),
        release_of_information=draw(st.sampled_from("YI")),
        onset_date=_day(draw, born, first) if draw(st.booleans()) else None,
        accident=accident, prior_authorization=draw(st.none() | token(1, 30)),
        referral_number=referral, note=draw(st.none() | words(80, alphabet=_MIXED, max_words=8)),
        diagnoses=dx, rendering_provider=draw(st.none() | providers()),
        referring_provider=referring, service_facility=draw(st.none() | service_facilities()),
        service_lines=lines,
        other_payers=other_payers(draw, subscriber.payer_responsibility, lines))
    findings = scrub(claim, today=TODAY)
    assert not findings, f"strategy built a claim scrubbing refuses: {findings}"
    return claim


@st.composite
def claim_batches(draw: st.DrawFn, *, min_size: int = 1, max_size: int = 5) -> list[Claim]:
    """1-5 claims with distinct control numbers; some share a billing provider, a
    subscriber or a patient, so the writer groups them under one HL."""
    size = draw(st.integers(min_size, max_size))
    billers = draw(st.lists(billing_providers(), min_size=1, max_size=2))
    homes = draw(st.lists(households(), min_size=1, max_size=3))
    pcns = draw(st.lists(token(1, 18), min_size=size, max_size=size, unique=True))
    out = []
    for pcn in pcns:
        subscriber, payer, dependants = draw(st.sampled_from(homes))
        household = (subscriber, payer, draw(st.sampled_from(dependants)))
        out.append(draw(claims(pcn=pcn, billing=draw(st.sampled_from(billers)),
                               household=household)))
    return out


@st.composite
def submitters(draw: st.DrawFn) -> WrittenParty:
    """A 1000A submitter as the submission writes it (PER needs a phone or an email)."""
    phone = draw(st.none() | phones())
    email = draw(emails) if phone is None else draw(st.none() | emails)
    return WrittenParty(name=draw(_name(60)), id=draw(token(2, 15)),
                        contact_name=draw(st.none() | _name(60)), contact_phone=phone,
                        contact_email=email)
