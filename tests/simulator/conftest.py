"""Fixtures for the sandbox: a partner whose folders live in tmp_path, a fixed clock,
837P interchanges built by the gateway's own writer, and readers for the answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import FixedClock
from gateway.domain.claim import Claim
from gateway.partners import TradingPartner, load_partners
from gateway.simulator import Sandbox, SandboxRules
from gateway.submission.interchange import build_interchange
from gateway.x12.detect import Interchange, split_interchanges
from x12_maps.p837_writer import ClaimToSend, Party

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
DESK = Party("ACME BILLING", "ACMEBILL01", "EDI DESK", "6155551212")


@pytest.fixture
def partner(tmp_path: Path) -> TradingPartner:
    """The embedded sandbox partner, with its folders under tmp_path."""
    base = load_partners(REPO / "config" / "partners").get("sandbox")
    transport = base.transport.model_copy(update={"root": tmp_path / "sandbox"})
    return base.model_copy(update={"transport": transport})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


OpenSandbox = Callable[..., Sandbox]


@pytest.fixture
def open_sandbox(partner: TradingPartner, clock: FixedClock) -> Iterator[OpenSandbox]:
    """Opens sandboxes on the partner's folders; closes them all at the end."""
    opened: list[Sandbox] = []

    def make(rules: SandboxRules | None = None) -> Sandbox:
        sandbox = Sandbox.for_partner(partner, rules or SandboxRules(), clock)
        opened.append(sandbox)
        return sandbox

    yield make
    for sandbox in opened:
        sandbox.close()


def with_envelope(partner: TradingPartner, **changes: Any) -> TradingPartner:
    return partner.model_copy(update={"envelope": partner.envelope.model_copy(update=changes)})


def interchange_text(partner: TradingPartner, docs: list[dict[str, Any]], *,
                     control_number: int = 1, created: dt.datetime = NOW) -> str:
    """An 837P interchange of ``docs`` as the gateway would send it to ``partner``."""
    claims = [ClaimToSend(i, Claim.model_validate(d)) for i, d in enumerate(docs, start=1)]
    built = build_interchange([(DESK, claims)], partner=partner, control_number=control_number,
                              group_control_number=control_number, created=created)
    return built.text


def drop(partner: TradingPartner, name: str, data: str | bytes) -> Path:
    """Put a file where the gateway uploads (the sandbox's input)."""
    folder = partner.transport.root / partner.folders.outbound  # type: ignore[union-attr]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@dataclass
class Answer:
    name: str
    data: bytes
    interchanges: list[Interchange]

    @property
    def text(self) -> str:
        return self.data.decode()

    @property
    def kind(self) -> str:
        return self.interchanges[0].kind

    def segments(self, segment_id: str | None = None) -> list[list[str]]:
        return [s.elements for ic in self.interchanges for s in ic.segments
                if segment_id is None or s.id == segment_id]


def answers(partner: TradingPartner) -> list[Answer]:
    """Every answer file in the gateway's inbound folder, in name (= written) order."""
    folder = partner.transport.root / partner.folders.inbound  # type: ignore[union-attr]
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith("."):
            continue
        data = path.read_bytes()
        found.append(Answer(path.name, data, split_interchanges(data)))
    return found


def source_of(answer: Answer) -> str:
    """A 277CA's information source (NM101 of 2100A): AY clearinghouse, PR payer."""
    return answer.segments("NM1")[0][1]
