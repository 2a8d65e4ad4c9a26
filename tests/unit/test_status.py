"""The claim status model: one table of allowed moves, checked in one place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.status import (
    EDITABLE,
    FINAL,
    TRANSITIONS,
    ClaimStatus,
    allowed,
    check_transition,
    is_progress,
)
from gateway.errors import IllegalTransitionError

S = ClaimStatus


def test_every_status_has_an_entry() -> None:
    """No status is missing from the transition table (a KeyError would hide a bug)."""
    assert set(TRANSITIONS) == {None, *ClaimStatus}


def test_new_claims_start_received_or_invalid() -> None:
    """Intake can only create received or invalid claims."""
    assert TRANSITIONS[None] == {S.RECEIVED, S.INVALID}


@pytest.mark.parametrize(("current", "new"), [
    (S.RECEIVED, S.PAID),
    (S.RECEIVED, S.SENT),
    (S.INVALID, S.BATCHED),
    (S.SENT, S.RECEIVED),
    (S.PAID, S.RECEIVED),
    (S.SUPERSEDED, S.RECEIVED),
    (None, S.SENT),
])
def test_illegal_moves_raise(current: ClaimStatus | None, new: ClaimStatus) -> None:
    """Skipping the pipeline or re-opening a sent claim raises IllegalTransitionError."""
    with pytest.raises(IllegalTransitionError):
        check_transition(current, new)


@pytest.mark.parametrize(("current", "new"), [
    (S.RECEIVED, S.BATCHED),
    (S.BATCHED, S.SENT),
    (S.SENT, S.ACK_ACCEPTED),
    (S.SENT, S.ACCEPTED),  # a 277CA can overtake the 999
    (S.ACK_ACCEPTED, S.ACCEPTED),
    (S.ACCEPTED, S.PAID),
    (S.PAID, S.REVERSED),
    (S.REVERSED, S.PAID),
    (S.REJECTED, S.RECEIVED),  # corrected and re-imported
])
def test_pipeline_moves_are_allowed(current: ClaimStatus, new: ClaimStatus) -> None:
    """The normal path and the documented exceptions pass the check."""
    check_transition(current, new)


def test_sent_claims_are_not_editable() -> None:
    """Content may only be replaced before sending or after a rejection before adjudication."""
    assert S.SENT not in EDITABLE and S.BATCHED not in EDITABLE and S.PAID not in EDITABLE
    for status in EDITABLE:
        assert allowed(status, S.RECEIVED), status


def test_superseded_is_terminal() -> None:
    """A replaced/voided claim never moves again."""
    assert TRANSITIONS[S.SUPERSEDED] == frozenset()
    assert S.SUPERSEDED in FINAL


@given(st.lists(st.sampled_from(list(ClaimStatus)), max_size=30))
def test_progress_never_regresses(walk: list[ClaimStatus]) -> None:
    """Following only is_progress moves, a claim's stage never goes backwards."""
    order = [S.RECEIVED, S.BATCHED, S.SENT, S.ACK_ACCEPTED, S.ACKNOWLEDGED, S.ACCEPTED,
             S.PAID, S.SUPERSEDED]
    current = S.RECEIVED
    for new in walk:
        if is_progress(current, new):
            assert allowed(current, new)
            if current in order and new in order:
                assert order.index(new) >= order.index(current)
            current = new


def test_documented_transition_table_matches_the_code() -> None:
    """docs/status-model.md's table lists exactly the moves TRANSITIONS allows."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "status-model.md").read_text()
    table = doc.split("| from | may move to |")[1].split("\n\n")[0]
    documented: dict[ClaimStatus | None, frozenset[ClaimStatus]] = {}
    for line in table.strip().splitlines()[1:]:
        source, targets = (cell.strip() for cell in line.strip("|").split("|"))
        moves = frozenset() if targets.startswith("—") else frozenset(
            ClaimStatus(t.strip()) for t in targets.split(","))
        for name in source.split(" / "):
            documented[None if name == "*(new)*" else ClaimStatus(name)] = moves
    assert documented == TRANSITIONS
