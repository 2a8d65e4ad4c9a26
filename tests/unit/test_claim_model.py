"""The claim model parses the documented input format."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from importlib import resources

import pytest

from gateway.domain.claim import Claim, FrequencyCode
from gateway.intake.parse import parse_and_scrub

EXAMPLE = json.loads(resources.files("gateway.samples").joinpath("claim-example.json")
                     .read_text())


def test_example_claim_parses_and_is_clean() -> None:
    """The documented example is a valid claim that passes every scrubbing rule."""
    parsed = parse_and_scrub(EXAMPLE, dt.date(2026, 11, 28))
    assert parsed.claim is not None
    assert parsed.findings == []
    assert parsed.claim.total_charge == Decimal("225.00")
    assert parsed.claim.frequency_code is FrequencyCode.ORIGINAL
    assert parsed.claim.the_patient is parsed.claim.subscriber


def test_unknown_field_is_refused_with_its_path() -> None:
    """A misspelt field is an FMT-003 finding, not silently dropped data."""
    doc = json.loads(json.dumps(EXAMPLE))
    doc["service_lines"][0]["modifer"] = ["25"]
    findings = parse_and_scrub(doc, dt.date(2026, 11, 28)).findings
    assert [(f.rule, f.path) for f in findings] == [("FMT-003", "service_lines[0].modifer")]


def test_money_with_more_than_two_decimals_is_refused() -> None:
    """Charges carry cents at most, as CLM02/SV102 do."""
    doc = json.loads(json.dumps(EXAMPLE))
    doc["service_lines"][1]["charge"] = "50.001"
    findings = parse_and_scrub(doc, dt.date(2026, 11, 28)).findings
    assert ("FMT-002", "service_lines[1].charge") in {(f.rule, f.path) for f in findings}


@pytest.mark.parametrize("field", ["billing_provider", "subscriber", "payer", "diagnoses",
                                   "service_lines", "patient_control_number"])
def test_required_parts_are_required(field: str) -> None:
    """Each mandatory part missing gives FMT-001 at that path."""
    doc = json.loads(json.dumps(EXAMPLE))
    del doc[field]
    findings = parse_and_scrub(doc, dt.date(2026, 11, 28)).findings
    assert ("FMT-001", field) in {(f.rule, f.path) for f in findings}


def test_json_schema_names_every_top_level_field() -> None:
    """`gateway claims schema` prints a schema that covers the model."""
    schema = Claim.model_json_schema()
    assert set(schema["properties"]) == set(Claim.model_fields)
    assert {"billing_provider", "service_lines", "patient_control_number"} <= set(
        schema["required"])
