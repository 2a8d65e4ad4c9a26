"""The response kinds the gateway reads: how to parse each and how to apply it.

A kind's ``read`` turns one interchange into documents (pure, may raise X12Error —
the whole file is parsed before anything is applied); ``apply`` writes one document
through the store's ResponseTx. The ingestor does not call ``read_835``: it streams an
835 (``x12_maps.era835.Checker835`` then ``stream_835_claims``) and hands ``apply_835``
a ``Streamed835``; ``read_835`` stays for whole-file callers and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.store.responses import ApplyFn
from gateway.x12.detect import Interchange


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    read: Callable[[Interchange], Sequence[Any]]
    apply: ApplyFn
    # pyx12 has a usable map for it (TA1 is checked by the control map only).
    validate: bool
    control_number: Callable[[Any], str | None]


def registry() -> dict[str, Kind]:
    """Every supported kind. Imported lazily so the readers load only when needed."""
    from gateway.store.resp_277ca import apply_277ca
    from gateway.store.resp_835 import apply_835
    from gateway.store.resp_acks import apply_999, apply_ta1
    from x12_maps.ack999 import read_999
    from x12_maps.ca277 import read_277ca
    from x12_maps.era835 import read_835
    from x12_maps.ta1 import read_ta1

    kinds = [
        Kind("TA1", read_ta1, apply_ta1, False, lambda d: d.interchange_control_number),
        Kind("999", read_999, apply_999, True, lambda d: d.control_number),
        Kind("277CA", read_277ca, apply_277ca, True, lambda d: d.control_number),
        Kind("835", read_835, apply_835, True, lambda d: d.control_number),
    ]
    return {k.name: k for k in kinds}
