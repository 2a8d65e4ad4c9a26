"""pyx12 validation, wrapped: the only module that imports pyx12.

pyx12's findings come back as data — segment id, position, element, code — never as
its message strings, which embed element values (PHI). The XML maps are loaded once
per process: pyx12 otherwise re-reads them for every file (~0.2 s each).
"""

from __future__ import annotations

import functools
import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyx12.map_if
import pyx12.map_index
import pyx12.params
import pyx12.x12n_document

from gateway.errors import X12Error

# pyx12 logs every data error, values included, at ERROR: it never reaches a handler.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)

_lock = threading.Lock()
_patched = False


@dataclass(frozen=True, slots=True)
class ValidationFinding:
    """One pyx12 finding, without its message text.

    ``level``: interchange, group, set, segment or element. ``line`` is the 1-based
    position of the segment in the file (ISA = 1); ``set_position`` counts from the
    ST (ST = 1), as 999 IK3 does.
    """

    level: str
    code: str
    segment_id: str | None = None
    line: int | None = None
    set_position: int | None = None
    element: str | None = None  # e.g. "NM109", "SV101-2"
    control_number: str | None = None  # ST02 / GS06 / ISA13 of the enclosing envelope


@dataclass(frozen=True, slots=True)
class ValidationResult:
    valid: bool
    findings: tuple[ValidationFinding, ...]

    @property
    def clean(self) -> bool:
        """pyx12's verdict and its error tree both say: no error at all."""
        return self.valid and not self.findings


def _install_map_cache() -> None:
    """Memoize pyx12's map loaders (they are pure functions of their arguments)."""
    global _patched
    with _lock:
        if _patched:
            return
        pyx12.map_if.load_map_file = functools.lru_cache(maxsize=32)(
            pyx12.map_if.load_map_file)
        pyx12.map_index.map_index = functools.lru_cache(maxsize=4)(pyx12.map_index.map_index)
        _patched = True


@functools.lru_cache(maxsize=1)
def _params() -> Any:
    return pyx12.params.params()


def validate(text: str) -> ValidationResult:
    """Validate one X12 document (already decoded) against the guide its GS08 names."""
    _install_map_cache()
    tree = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            _params(), io.StringIO(text), None, None, None, fd_json=tree)
    except Exception as exc:  # pyx12 raises bare EngineError/KeyError on broken input
        raise X12Error(f"pyx12 could not process the document ({type(exc).__name__})") from exc
    raw = tree.getvalue().strip()
    findings = tuple(_walk(json.loads(raw), None)) if raw else ()
    return ValidationResult(bool(valid), findings)


def _walk(node: Any, control: str | None) -> Iterator[ValidationFinding]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, control)
        return
    if not isinstance(node, dict):
        return
    level, control = _envelope_level(node, control)
    if "seg_id" in node:
        yield from _segment(node, control)
        return
    for err in node.get("errors", []) or []:
        yield ValidationFinding(level=level, code=str(err.get("err_cde")),
                                line=node.get("cur_line"), control_number=control)
    for key, value in node.items():
        if key != "errors" and isinstance(value, (list, dict)):
            yield from _walk(value, control)


def _envelope_level(node: dict[str, Any], control: str | None) -> tuple[str, str | None]:
    if "trn_set_control_num" in node:
        return "set", node["trn_set_control_num"]
    if "gs_control_num" in node:
        return "group", node["gs_control_num"]
    if "isa_trn_set_id" in node:
        return "interchange", node["isa_trn_set_id"]
    return "document", control


def _segment(node: dict[str, Any], control: str | None) -> Iterator[ValidationFinding]:
    seg_id, line, position = node.get("seg_id"), node.get("cur_line"), node.get("seg_count")
    for err in node.get("errors", []) or []:
        yield ValidationFinding("segment", str(err.get("err_cde")), seg_id, line, position,
                                None, control)
    for element in node.get("elements", []) or []:
        ref = _element_ref(seg_id or "", element)
        for err in element.get("errors", []) or []:
            yield ValidationFinding("element", str(err.get("err_cde")), seg_id, line,
                                    position, ref, control)


def _element_ref(segment_id: str, element: dict[str, Any]) -> str:
    ref = f"{segment_id}{int(element.get('ele_pos') or 0):02d}"
    if element.get("subele_pos"):
        ref += f"-{int(element['subele_pos'])}"
    return ref
