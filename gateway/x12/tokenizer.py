"""Reading X12 text into segments: any separators, CR/LF after terminators, a BOM,
several interchanges in one file. Bytes are decoded by the caller (see :func:`decode`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gateway.errors import X12Error
from gateway.x12.delimiters import ISA_LENGTH, Delimiters, read_delimiters


@dataclass(frozen=True, slots=True)
class RawSegment:
    """One segment: its elements (id first) and its 1-based position in the file."""

    elements: list[str]
    position: int

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int, default: str = "") -> str:
        """Element ``index`` (1-based, as in NM109), or ``default`` when absent."""
        return self.elements[index] if index < len(self.elements) else default


def decode(data: bytes) -> str:
    """X12 is ASCII in practice; UTF-8 is accepted. Anything else is an error."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff") or b"\x00" in data[:200]:
        raise X12Error("file is UTF-16 or binary, not X12 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise X12Error(f"file is not ASCII/UTF-8 text (byte offset {exc.start})") from exc


def segments(text: str) -> Iterator[tuple[Delimiters, RawSegment]]:
    """Every segment of every interchange in ``text``, with that interchange's delimiters."""
    text = _skip_to_isa(text)
    position = 0
    while text:
        d = read_delimiters(text)
        start, ended = 0, False
        # Segment by segment: an interchange ends at a segment whose id is IEA — never
        # at "IEA" inside a value (a name like MARIEA).
        while start < len(text) and not ended:
            end = text.find(d.segment, start)
            # A missing terminator after the final IEA is tolerated.
            chunk, start = (text[start:], len(text)) if end < 0 else (text[start:end], end + 1)
            # CR/LF, indentation and a terminator's LF partner are layout, not data.
            chunk = chunk.strip(" \t\r\n")
            if not chunk:
                continue
            position += 1
            elements = chunk.split(d.element)
            ended = elements[0] == "IEA"
            yield d, RawSegment(elements, position)
        if not ended:
            raise X12Error("file ends without an IEA segment (truncated)")
        text = text[start:].lstrip("\ufeff \t\r\n")
        if text and not text.startswith("ISA"):
            raise X12Error(f"unexpected text after interchange end (segment {position})")


def _skip_to_isa(text: str) -> str:
    """Drop a BOM, blank lines or a prose preamble before the first ISA."""
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("ISA"):
        return text
    for marker in ("\nISA", "\rISA"):
        at = text.find(marker)
        if at >= 0:
            return text[at + 1:]
    raise X12Error("file does not start with an ISA segment")


__all__ = ["ISA_LENGTH", "RawSegment", "decode", "segments"]
