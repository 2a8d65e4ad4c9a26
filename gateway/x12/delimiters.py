"""The four X12 separators, as configured for writing or as read from an ISA."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import X12Error


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = (self.element, self.component, self.repetition, self.segment)
        if any(len(c) != 1 for c in chars) or len(set(chars)) != 4:
            raise X12Error("X12 separators must be four different single characters")

    @property
    def all(self) -> frozenset[str]:
        return frozenset((self.element, self.component, self.repetition, self.segment))


# An ISA is always 106 characters: the element separator is character 4, the
# repetition separator ISA11 character 83, the component separator ISA16 character
# 105 and the segment terminator character 106.
ISA_LENGTH = 106


def read_delimiters(text: str) -> Delimiters:
    """Delimiters of an interchange whose text starts at its ISA."""
    if not text.startswith("ISA") or len(text) < ISA_LENGTH:
        raise X12Error("no ISA segment at the start of the interchange")
    element = text[3]
    fields = text[:ISA_LENGTH].split(element)
    if len(fields) != 17:
        raise X12Error("the ISA segment does not have 16 fixed-width elements")
    repetition = text[82]
    if fields[12] < "00501" or repetition.isalnum() or repetition == " ":
        # Before 5010, ISA11 was a standards identifier ("U"), not a separator.
        repetition = "^" if "^" not in (element, text[104], text[105]) else "\x1d"
    try:
        return Delimiters(element=element, component=text[104], repetition=repetition,
                          segment=text[105])
    except X12Error:
        raise X12Error("the ISA segment is not the fixed 106 characters wide: its "
                       "separators cannot be read") from None
