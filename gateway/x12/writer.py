"""Writing segments: composite and repeated elements joined, trailing empties trimmed.

The writer never escapes: X12 has no escape character, so values that contain a
separator are refused upstream (scrubbing rule ENV-010) and refused again here, so an
internal bug can never shift elements in a payer's file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from gateway.errors import X12Error
from gateway.x12.delimiters import Delimiters

# An element is a plain value or a composite (its components, in order).
Element = str | tuple[str, ...]
Segment = tuple[Element, ...]  # segment id first


def seg(*elements: Element | None) -> Segment:
    """A segment from its id and elements; None stands for an empty element."""
    return tuple("" if e is None else e for e in elements)


def render_segment(segment: Segment, d: Delimiters) -> str:
    forbidden = _forbidden(d)
    parts = [_element(e, d, forbidden) for e in segment]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return d.element.join(parts) + d.segment


def render(segments: Iterable[Segment], d: Delimiters) -> str:
    return "".join(render_segment(s, d) for s in segments)


def _element(value: Element, d: Delimiters, forbidden: re.Pattern[str]) -> str:
    if isinstance(value, tuple):
        components = list(value)
        while components and components[-1] == "":
            components.pop()
        joined = d.component.join(components)
        if any(forbidden.search(c) for c in components):
            raise X12Error("a value contains an X12 separator or control character")
        return joined
    if forbidden.search(value):
        raise X12Error("a value contains an X12 separator or control character")
    return value


@functools.lru_cache(maxsize=16)
def _forbidden(d: Delimiters) -> re.Pattern[str]:
    """Any of the four separators, or a control character."""
    return re.compile("[" + re.escape("".join(sorted(d.all))) + "\x00-\x1f\x7f]")


def count_segments(segments: Sequence[Segment], start_id: str, end_id: str) -> int:
    """SE01-style count: from the start segment to the end segment, both included."""
    ids = [s[0] for s in segments]
    return ids.index(end_id, ids.index(start_id)) - ids.index(start_id) + 1
