"""Steps are idempotent and restartable: nothing answered twice, nothing lost across a
crash at any point of writing an answer; delays follow the clock."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest

from gateway.clock import FixedClock
from gateway.errors import ConfigError
from gateway.partners import TradingPartner
from gateway.samples.factory import make_claim
from gateway.simulator import SandboxRules
from gateway.simulator.outbound import render
from gateway.simulator.rules import Delays
from gateway.transport.base import temp_name
from tests.simulator.conftest import (
    NOW,
    TODAY,
    OpenSandbox,
    answers,
    drop,
    interchange_text,
)

# Everything due in an hour: step() takes files and answers nothing yet.
LATER = SandboxRules(delays=Delays(ack999_seconds=3600))


def _batch(partner: TradingPartner, name: str = "b.837", n: int = 3, number: int = 1) -> None:
    docs = [make_claim(i, today=TODAY) for i in range(number * 100, number * 100 + n)]
    drop(partner, name, interchange_text(partner, docs, control_number=number))


def test_restart_does_not_answer_twice(partner: TradingPartner,
                                       open_sandbox: OpenSandbox) -> None:
    """A new Sandbox on the same root finds nothing left to do."""
    _batch(partner)
    first = open_sandbox()
    written = first.drain().written
    first.close()
    again = open_sandbox()
    report = again.drain()

    assert report.received == report.written == []
    assert [a.name for a in answers(partner)] == written
    assert sorted(c.pcn for c in again.ledger.claims()) == ["PCN00000100", "PCN00000101",
                                                            "PCN00000102"]
    assert all(again.ledger.times_received(c.pcn) == 1 for c in again.ledger.claims())


def test_same_bytes_again_are_not_processed_again(partner: TradingPartner,
                                                  open_sandbox: OpenSandbox) -> None:
    """A re-upload of a file already taken (by sha256) is set aside unanswered."""
    _batch(partner)
    sandbox = open_sandbox()
    sandbox.drain()
    data = (partner.transport.root / ".sandbox" / "received" / "b.837").read_bytes()  # type: ignore[union-attr]
    drop(partner, "b.837", data)
    drop(partner, "b-again.837", data)
    report = sandbox.drain()

    assert report.redelivered == ["b-again.837", "b.837"] and report.written == []
    assert [f.redeliveries for f in sandbox.ledger.files()] == [2]
    assert len(sandbox.ledger.interchanges()) == 1 and len(sandbox.ledger.claims()) == 3


def test_crash_after_staging_writes_the_answer_once(partner: TradingPartner,
                                                    open_sandbox: OpenSandbox,
                                                    clock: FixedClock) -> None:
    """Answers staged but not yet written (with a half temp file) are written on restart."""
    _batch(partner)
    crashed = open_sandbox(LATER)
    assert crashed.step().received == ["b.837"]
    staged = crashed.ledger.stage(clock.now(), everything=True)
    inbound = partner.transport.root / partner.folders.inbound  # type: ignore[union-attr]
    (inbound / temp_name(f"SBX{staged[0]:09d}.999")).write_text("ISA*half")
    crashed.close()

    report = open_sandbox().drain()
    assert len(report.written) == len(staged)
    assert [a.name for a in answers(partner)] == report.written
    assert sorted(os.listdir(inbound)) == report.written  # no temp file left


def test_crash_after_rename_does_not_write_again(partner: TradingPartner,
                                                 open_sandbox: OpenSandbox,
                                                 clock: FixedClock) -> None:
    """Renamed, not marked written, already fetched by the gateway: restart writes nothing."""
    _batch(partner)
    crashed = open_sandbox(LATER)
    crashed.step()
    (first, *_) = crashed.ledger.stage(clock.now(), everything=True)
    (response,) = [r for r in crashed.ledger.unwritten() if r.id == first]
    text, _answers = render(response, crashed.ledger, crashed.rules, crashed.identity)
    inbound = partner.transport.root / partner.folders.inbound  # type: ignore[union-attr]
    (inbound / response.file_name).write_text(text)
    crashed.ledger.mark_placing(response.id)
    crashed.close()
    (inbound / response.file_name).unlink()  # the gateway downloaded and deleted it

    restarted = open_sandbox()
    report = restarted.drain()
    assert response.file_name in report.written
    assert response.file_name not in [a.name for a in answers(partner)]
    assert all(r.state == "written" for r in restarted.ledger.responses())


def test_delays_follow_the_clock(partner: TradingPartner, open_sandbox: OpenSandbox,
                                 clock: FixedClock) -> None:
    """999 at 5 s, clearinghouse 277CA at 10 s, payer 277CA at 20 s, 835 at 30 s."""
    rules = SandboxRules(delays=Delays(ack999_seconds=5, clearinghouse_277ca_seconds=10,
                                       payer_277ca_seconds=20, era_seconds=30))
    _batch(partner, n=1)
    sandbox = open_sandbox(rules)

    seen: list[list[str]] = []
    for seconds in (0, 4, 1, 5, 10, 10):
        clock.advance(dt.timedelta(seconds=seconds))
        report = sandbox.step()
        seen.append([name.rsplit(".", 1)[1] for name in report.written])
    assert seen == [[], [], ["999"], ["277ca"], ["277ca"], ["835"]]
    assert sandbox.ledger.waiting() == 0 and report.next_due is None


def test_drain_ignores_delays_and_step_reports_what_waits(
        partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """step() leaves future answers waiting (and says when); drain() writes them all."""
    rules = SandboxRules(delays=Delays(ack999_seconds=60, era_seconds=3600))
    _batch(partner, n=2)
    sandbox = open_sandbox(rules)
    report = sandbox.step()
    assert report.written == [] and report.waiting > 0
    assert report.next_due == NOW + dt.timedelta(seconds=60)
    assert [n.rsplit(".", 1)[1] for n in sandbox.drain().written] == [
        "999", "277ca", "277ca", "277ca", "835", "835"]


def test_temp_and_hidden_files_are_left_alone(partner: TradingPartner,
                                              open_sandbox: OpenSandbox) -> None:
    """An upload still under its temp name is not taken until renamed into place."""
    docs = [make_claim(0, today=TODAY)]
    path = drop(partner, temp_name("b.837"), interchange_text(partner, docs))
    sandbox = open_sandbox()
    assert sandbox.drain().received == [] and path.exists()
    path.rename(path.with_name("b.837"))
    assert sandbox.drain().received == ["b.837"]


def test_run_until_a_predicate(partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """run() steps until its predicate holds; a set stop event ends it at once."""
    _batch(partner, n=1)
    sandbox = open_sandbox()
    total = sandbox.run(until=lambda: len(answers(partner)) >= 4, poll_interval=0.01)
    assert total.received == ["b.837"] and len(total.written) == 4
    stop = threading.Event()
    stop.set()
    assert sandbox.run(stop=stop).written == []


def test_one_sandbox_per_root(partner: TradingPartner, open_sandbox: OpenSandbox) -> None:
    """A second sandbox on a root already served is refused; after close it may open."""
    first = open_sandbox()
    with pytest.raises(ConfigError, match="already serving"):
        open_sandbox()
    first.close()
    assert open_sandbox().drain().written == []
