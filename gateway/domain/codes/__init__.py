"""Code lists the scrubbing rules check values against.

The small lists ship as ``<name>.txt`` files next to this module (``code<TAB>name``
lines, ``#`` comments) and are read once, at import. ICD-10-CM comes from the
``simple_icd_10_cm`` package, which takes about a second and a half to load its
tabular list; it is therefore imported on first use (or by :func:`load_icd10cm`,
which a long-running service can call at start-up) and its answers are memoised.
"""

from __future__ import annotations

import functools
import re
import threading
import warnings
from collections.abc import Mapping
from enum import Enum
from importlib import resources
from types import MappingProxyType, ModuleType

__all__ = [
    "CLAIM_FILING_INDICATORS",
    "PATIENT_RELATIONSHIPS",
    "PLACE_OF_SERVICE",
    "IcdStatus",
    "icd10cm_status",
    "load_code_list",
    "load_icd10cm",
    "normalize_icd10cm",
]


def load_code_list(name: str) -> Mapping[str, str]:
    """Read ``codes/<name>.txt`` into a read-only ``{code: short name}`` mapping."""
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        code, sep, label = line.partition("\t")
        if not sep or not code or not label.strip():
            raise ValueError(f"{name}.txt line {number}: expected 'code<TAB>name'")
        if code in entries:
            raise ValueError(f"{name}.txt line {number}: duplicate code")
        entries[code] = label.strip()
    return MappingProxyType(entries)


#: CMS Place of Service codes (CLM05-1, SV105).
PLACE_OF_SERVICE: Mapping[str, str] = load_code_list("place_of_service")
#: SBR09 claim filing indicator codes.
CLAIM_FILING_INDICATORS: Mapping[str, str] = load_code_list("claim_filing_indicator")
#: PAT01 patient-to-subscriber relationship codes (18 "self" excluded).
PATIENT_RELATIONSHIPS: Mapping[str, str] = load_code_list("patient_relationship")


# --------------------------------------------------------------------------- ICD-10-CM


class IcdStatus(Enum):
    """What the ICD-10-CM tabular list says about a diagnosis code."""

    BILLABLE = "billable"  # a leaf: may go on a claim
    NOT_BILLABLE = "not_billable"  # a category or subcategory with children
    UNKNOWN = "unknown"  # not an ICD-10-CM code at all


# Letter, digit, letter-or-digit, then up to four more characters, with the dot (if
# any) after the third. Chapters ("1"), blocks ("A00-A09") and ICD-9 codes never fit.
_ICD10CM_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")

_icd_lock = threading.Lock()
_icd_module: ModuleType | None = None


def load_icd10cm() -> ModuleType:
    """Import ``simple_icd_10_cm`` once (about 1.5 s) and return it."""
    global _icd_module
    module = _icd_module
    if module is None:
        with _icd_lock:
            if _icd_module is None:
                with warnings.catch_warnings():
                    # 1.5.0 reads its data through deprecated importlib.resources calls.
                    warnings.filterwarnings(
                        "ignore", message=r"(read|open)_text is deprecated",
                        category=DeprecationWarning,
                    )
                    import simple_icd_10_cm

                _icd_module = simple_icd_10_cm
            module = _icd_module
    assert module is not None
    return module


def normalize_icd10cm(code: str) -> str:
    """Upper case, no dot, no surrounding blanks: the form the HI segment carries."""
    return code.strip().upper().replace(".", "")


@functools.lru_cache(maxsize=65_536)
def icd10cm_status(code: str) -> IcdStatus:
    """Classify a diagnosis code, written with or without its dot, in any case."""
    candidate = code.strip().upper()
    if not _ICD10CM_SHAPE.fullmatch(candidate):
        return IcdStatus.UNKNOWN
    icd = load_icd10cm()
    bare = candidate.replace(".", "")
    if not icd.is_valid_item(bare):
        return IcdStatus.UNKNOWN
    return IcdStatus.BILLABLE if icd.is_leaf(bare) else IcdStatus.NOT_BILLABLE


# --------------------------------------------------------------------------- 277CA


@functools.cache
def claim_status_codes() -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]]:
    """The 277CA code lists, read once on first use, in the order of an STC01 composite
    (category:status:entity): health care claim status category codes (STC01-1),
    claim status codes (STC01-2) and entity identifier codes (STC01-3, NM101)."""
    return (load_code_list("claim_status_category"), load_code_list("claim_status"),
            load_code_list("entity_identifier"))


# --------------------------------------------------------------------------- 835


@functools.cache
def remittance_codes(table: str) -> Mapping[str, str]:
    """An 835 code list, read once on first use: ``carc`` (CAS reason codes), ``rarc``
    (remark codes: LQ*HE, MOA, MIA), ``cas_group`` (CO/PR/OA/PI/CR), ``claim_status_835``
    (CLP02) or ``plb_reason`` (PLB adjustment reasons)."""
    if table not in ("carc", "rarc", "cas_group", "claim_status_835", "plb_reason"):
        raise ValueError(f"no 835 code list named {table!r}")
    return load_code_list(table)
