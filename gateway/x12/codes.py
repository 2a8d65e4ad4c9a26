"""Readable descriptions of X12 syntax error codes (999 IK304/IK403, pyx12 findings)."""

from __future__ import annotations

from gateway.domain.acks import SET_SYNTAX_ERRORS

SEGMENT_ERRORS = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
    # pyx12's own structural checks
    "HL1": "HL sequence number out of order",
    "HL2": "HL parent number is not a valid parent",
    "LX": "service line (LX) number out of sequence",
}

ELEMENT_ERRORS = {
    "1": "required data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
}

# Set-level and envelope findings pyx12 reports on ST/GS/ISA: the 999 IK502 codes.
ENVELOPE_ERRORS = SET_SYNTAX_ERRORS


def describe(level: str, code: str) -> str:
    table = {"element": ELEMENT_ERRORS, "segment": SEGMENT_ERRORS}.get(level, ENVELOPE_ERRORS)
    return table.get(code, f"{level} error code {code}")
