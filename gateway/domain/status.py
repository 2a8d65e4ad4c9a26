"""Claim statuses and the transitions between them — the one place they are decided.

The store applies a change only through :func:`check_transition` plus a conditional
update and an event row. ``docs/status-model.md`` draws the same graph.

Responses can arrive out of order (a payer's 277CA before the clearinghouse's 999 is
read); a response that would move a claim *backwards* is recorded as an event without
a status change — the reconcile layer asks :func:`is_progress` before it transitions.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.errors import IllegalTransitionError


class ClaimStatus(StrEnum):
    # intake
    RECEIVED = "received"  # passed scrubbing, waiting to be sent
    INVALID = "invalid"  # refused by scrubbing; findings say why
    HELD = "held"  # no trading partner routes it
    # submission
    BATCHED = "batched"  # rendered into an interchange that is not yet uploaded
    VALIDATION_FAILED = "validation_failed"  # pyx12 found errors in our 837P for it
    SENT = "sent"  # the interchange holding it was uploaded
    # acknowledgments (TA1 / 999): the file was or was not well formed
    ENVELOPE_REJECTED = "envelope_rejected"  # TA1 R
    ACK_REJECTED = "ack_rejected"  # 999 IK5/AK9 R
    ACK_ACCEPTED = "ack_accepted"  # 999 A or E
    # claim acknowledgments (277CA)
    ACKNOWLEDGED = "acknowledged"  # A0/A1: received or forwarded, not yet accepted
    ACCEPTED = "accepted"  # A2: in adjudication
    REJECTED = "rejected"  # A3/A4/A6/A7/A8
    # remittance (835)
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    REVERSED = "reversed"
    # replaced by a frequency-7 claim or cancelled by a frequency-8 claim
    SUPERSEDED = "superseded"


S = ClaimStatus

_ADJUDICATED = {S.PAID, S.PARTIALLY_PAID, S.DENIED}
_AFTER_SEND = {
    S.ENVELOPE_REJECTED, S.ACK_REJECTED, S.ACK_ACCEPTED, S.ACKNOWLEDGED, S.ACCEPTED,
    S.REJECTED, *_ADJUDICATED,
}

# from-status -> allowed to-statuses. None is "no claim yet" (first import).
TRANSITIONS: dict[ClaimStatus | None, frozenset[ClaimStatus]] = {
    None: frozenset({S.RECEIVED, S.INVALID}),
    # Before sending, a re-import may replace the claim (RECEIVED -> RECEIVED records
    # the new version) or refuse the new version (-> INVALID).
    S.RECEIVED: frozenset({S.RECEIVED, S.INVALID, S.HELD, S.BATCHED}),
    S.INVALID: frozenset({S.RECEIVED, S.INVALID}),
    S.HELD: frozenset({S.RECEIVED, S.INVALID, S.HELD, S.BATCHED}),
    S.BATCHED: frozenset({S.SENT, S.VALIDATION_FAILED, S.RECEIVED}),
    S.VALIDATION_FAILED: frozenset({S.RECEIVED, S.INVALID}),
    # Responses may overtake one another, so SENT may jump to any response status.
    S.SENT: frozenset(_AFTER_SEND),
    S.ENVELOPE_REJECTED: frozenset({S.RECEIVED, S.INVALID}),
    S.ACK_REJECTED: frozenset({S.RECEIVED, S.INVALID}),
    S.ACK_ACCEPTED: frozenset({S.ACKNOWLEDGED, S.ACCEPTED, S.REJECTED, *_ADJUDICATED}),
    S.ACKNOWLEDGED: frozenset({S.ACKNOWLEDGED, S.ACCEPTED, S.REJECTED, *_ADJUDICATED}),
    S.ACCEPTED: frozenset({S.REJECTED, *_ADJUDICATED, S.SUPERSEDED}),
    # A claim rejected before adjudication never reached the payer's books: it can be
    # corrected and sent again as an original.
    S.REJECTED: frozenset({S.RECEIVED, S.INVALID, S.ACCEPTED, *_ADJUDICATED}),
    S.PAID: frozenset({S.REVERSED, *_ADJUDICATED, S.SUPERSEDED}),
    S.PARTIALLY_PAID: frozenset({S.REVERSED, *_ADJUDICATED, S.SUPERSEDED}),
    S.DENIED: frozenset({S.REVERSED, *_ADJUDICATED, S.SUPERSEDED}),
    S.REVERSED: frozenset({*_ADJUDICATED, S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
}

# Statuses in which the claim's content may still be replaced by a re-import.
EDITABLE = frozenset({
    S.RECEIVED, S.INVALID, S.HELD, S.VALIDATION_FAILED,
    S.ENVELOPE_REJECTED, S.ACK_REJECTED, S.REJECTED,
})
# Statuses a claim waits in to be picked for submission.
READY = frozenset({S.RECEIVED})
# Nothing more is expected (until staff act).
FINAL = frozenset({
    S.INVALID, S.VALIDATION_FAILED, S.ENVELOPE_REJECTED, S.ACK_REJECTED, S.REJECTED,
    S.PAID, S.PARTIALLY_PAID, S.DENIED, S.SUPERSEDED,
})

# How far along the claim is; used to ignore responses that arrive late.
_STAGE: dict[ClaimStatus, int] = {
    S.INVALID: 0, S.RECEIVED: 0, S.HELD: 0, S.VALIDATION_FAILED: 0,
    S.BATCHED: 1, S.SENT: 2,
    S.ENVELOPE_REJECTED: 3, S.ACK_REJECTED: 3, S.ACK_ACCEPTED: 3,
    S.ACKNOWLEDGED: 4, S.ACCEPTED: 5, S.REJECTED: 5,
    S.PAID: 6, S.PARTIALLY_PAID: 6, S.DENIED: 6, S.REVERSED: 6, S.SUPERSEDED: 7,
}


def allowed(current: ClaimStatus | None, new: ClaimStatus) -> bool:
    return new in TRANSITIONS[current]


def check_transition(current: ClaimStatus | None, new: ClaimStatus) -> None:
    """Raise :class:`IllegalTransitionError` unless ``current -> new`` is allowed."""
    if not allowed(current, new):
        raise IllegalTransitionError(f"claim status cannot go from {current} to {new}")


def is_progress(current: ClaimStatus, new: ClaimStatus) -> bool:
    """True when ``new`` is an allowed step that does not move the claim backwards."""
    return allowed(current, new) and _STAGE[new] >= _STAGE[current]
