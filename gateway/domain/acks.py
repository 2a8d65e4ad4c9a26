"""Acknowledgments of our files: TA1 (interchange) and 999 (functional group / sets).

Pure data and code tables. A 999 "accepted" only means the file was well formed; the
claims still wait for the 277CA.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.status import ClaimStatus

TA1_ACK = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}

TA1_NOTES = {
    "000": "no error",
    "001": "interchange control numbers in ISA13 and IEA02 do not match",
    "002": "this standard as noted in the control standards identifier is not supported",
    "003": "this version of the controls is not supported",
    "004": "the segment terminator is invalid",
    "005": "invalid interchange ID qualifier for sender",
    "006": "invalid interchange sender ID",
    "007": "invalid interchange ID qualifier for receiver",
    "008": "invalid interchange receiver ID",
    "009": "unknown interchange receiver ID",
    "010": "invalid authorization information qualifier value",
    "011": "invalid authorization information value",
    "012": "invalid security information qualifier value",
    "013": "invalid security information value",
    "014": "invalid interchange date value",
    "015": "invalid interchange time value",
    "016": "invalid interchange standards identifier value",
    "017": "invalid interchange version ID value",
    "018": "invalid interchange control number value",
    "019": "invalid acknowledgment requested value",
    "020": "invalid test indicator value",
    "021": "invalid number of included groups value",
    "022": "invalid control structure",
    "023": "improper (premature) end-of-file (transmission)",
    "024": "invalid interchange content (e.g. invalid GS segment)",
    "025": "duplicate interchange control number",
    "026": "invalid data element separator",
    "027": "invalid component element separator",
    "028": "invalid delivery date in deferred delivery request",
    "029": "invalid delivery time in deferred delivery request",
    "030": "invalid delivery time code in deferred delivery request",
    "031": "invalid grade of service code",
}

# IK501 / AK901
ACK_CODES = {
    "A": "accepted",
    "E": "accepted, but errors were noted",
    "M": "rejected, message authentication code (MAC) failed",
    "P": "partially accepted, at least one transaction set was rejected",
    "R": "rejected",
    "W": "rejected, assurance failed validity tests",
    "X": "rejected, content after decryption could not be analyzed",
}

# IK502..IK506: why a transaction set was rejected
SET_SYNTAX_ERRORS = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "8": "authentication key name unknown",
    "9": "encryption key name unknown",
    "10": "requested service (authentication or encryption) not available",
    "11": "unknown security recipient",
    "12": "incorrect message length (encryption only)",
    "13": "message authentication code failed",
    "15": "unknown security originator",
    "16": "syntax error in decrypted text",
    "17": "security not supported",
    "18": "transaction set not in functional group",
    "19": "invalid transaction set implementation convention reference",
    "23": "transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "25": "S3S security start segment missing for S3E security end segment",
    "26": "S4E security end segment missing for S4S security start segment",
    "27": "S4S security start segment missing for S4E security end segment",
    "I5": "implementation one or more segments in error",
    "I6": "implementation convention not supported",
}


def set_status(code: str) -> ClaimStatus:
    """What an IK5 code means for the claims of the set."""
    return ClaimStatus.ACK_ACCEPTED if code in ("A", "E") else ClaimStatus.ACK_REJECTED


@dataclass(frozen=True, slots=True)
class Ta1:
    interchange_control_number: str  # TA101: the ISA13 it answers
    date: str
    time: str
    ack_code: str  # TA104
    note_code: str  # TA105

    @property
    def rejected(self) -> bool:
        return self.ack_code == "R"

    def describe(self) -> str:
        ack = TA1_ACK.get(self.ack_code, f"code {self.ack_code}")
        if not self.note_code:
            return f"TA1 interchange {ack}"
        note = TA1_NOTES.get(self.note_code, "note code not in the TA1 code list")
        return f"TA1 interchange {ack}: {self.note_code} {note}"


@dataclass(frozen=True, slots=True)
class ElementError:  # IK4
    position: str  # IK401: element position (and component, "1:2")
    reference: str  # IK402: data element reference number
    code: str  # IK403


@dataclass(frozen=True, slots=True)
class SegmentError:  # IK3 (+ CTX, IK4)
    segment_id: str
    position: int  # in the transaction set, ST = 1
    loop_id: str
    code: str
    elements: tuple[ElementError, ...] = ()
    claim_reference: str | None = None  # CTX*CLM01:<patient control number>


@dataclass(frozen=True, slots=True)
class SetAck:  # AK2 .. IK5
    set_id: str  # AK201, e.g. 837
    control_number: str  # AK202 = our ST02
    code: str  # IK501
    syntax_errors: tuple[str, ...]
    errors: tuple[SegmentError, ...]


@dataclass(frozen=True, slots=True)
class GroupAck:  # AK1 .. AK9
    function_code: str  # AK101, e.g. HC
    group_control_number: str  # AK102 = our GS06
    code: str  # AK901
    sets_included: int
    sets_received: int
    sets_accepted: int
    sets: tuple[SetAck, ...]


@dataclass(frozen=True, slots=True)
class Ack999:
    control_number: str  # ST02 of the 999
    our_id: str  # the ISA receiver of the 999: us
    groups: tuple[GroupAck, ...]
