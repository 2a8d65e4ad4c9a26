"""One 837P interchange for one partner: envelope around transaction sets of claims.

Returns the text and, for every segment position in the file, the claims the segment
belongs to — the key to charging a pyx12 finding to the right claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.partners import TradingPartner
from gateway.x12.delimiters import Delimiters
from gateway.x12.envelope import InterchangeHeader, functional_group, iea, isa, transaction_set
from gateway.x12.writer import Segment, render
from x12_maps.p837_writer import VERSION, ClaimToSend, Party, transaction_body


@dataclass(frozen=True, slots=True)
class BuiltSet:
    control_number: str  # ST02
    claim_ids: tuple[int, ...]
    clm_lines: dict[int, int]  # claim id -> file position of its CLM segment
    # [first, last, claim ids]: runs of set positions (ST = 1) owned by the same claims
    owner_runs: tuple[tuple[int, int, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class BuiltInterchange:
    text: str
    control_number: int
    group_control_number: int
    sets: tuple[BuiltSet, ...]
    # owners[line - 1]: the claims the segment at file position `line` belongs to;
    # () for envelope segments that belong to every claim.
    owners: tuple[tuple[int, ...], ...]

    @property
    def claim_ids(self) -> tuple[int, ...]:
        return tuple(cid for s in self.sets for cid in s.claim_ids)


def delimiters_for(partner: TradingPartner) -> Delimiters:
    s = partner.envelope.separators
    return Delimiters(element=s.element, component=s.component, repetition=s.repetition,
                      segment=s.segment)


def build_interchange(groups: Sequence[tuple[Party, Sequence[ClaimToSend]]], *,
                      partner: TradingPartner, control_number: int,
                      group_control_number: int, created: dt.datetime) -> BuiltInterchange:
    """One ISA/GS; one or more ST per submitter (1000A), each of at most
    ``envelope.claims_per_transaction`` claims."""
    env = partner.envelope
    d = delimiters_for(partner)
    receiver = Party(name=partner.receiver.name, id=partner.receiver.id)
    size = env.claims_per_transaction
    chunks = [(submitter, claims[i:i + size]) for submitter, claims in groups
              for i in range(0, len(claims), size)]

    sets: list[list[Segment]] = []
    set_owners: list[list[tuple[int, ...]]] = []
    for n, (submitter, chunk) in enumerate(chunks, start=1):
        st02 = f"{n:04d}"
        body = transaction_body(chunk, submitter=submitter, receiver=receiver,
                                reference=f"{control_number:09d}{n:04d}", created=created)
        sets.append(transaction_set("837", st02, VERSION, body.segments))
        set_owners.append([(), *body.owners, ()])

    group = functional_group("HC", env.gs_sender, env.gs_receiver, group_control_number,
                             VERSION, created, sets)
    header = InterchangeHeader(env.sender_qualifier, env.sender_id, env.receiver_qualifier,
                               env.receiver_id, control_number, env.usage_indicator,
                               env.request_ta1, created)
    text = isa(header, d) + render([*group, iea(1, control_number)], d)

    owners: list[tuple[int, ...]] = [(), ()]  # ISA, GS
    built_sets = []
    for (_, chunk), ts, ts_owners in zip(chunks, sets, set_owners, strict=True):
        start = len(owners) + 1
        owners.extend(ts_owners)
        clm_lines: dict[int, int] = {}
        for offset, (segment, seg_owners) in enumerate(zip(ts, ts_owners, strict=True)):
            if segment[0] == "CLM":
                clm_lines[seg_owners[0]] = start + offset
        built_sets.append(BuiltSet(str(ts[0][2]), tuple(c.claim_id for c in chunk), clm_lines,
                                   owner_runs(ts_owners)))
    owners.extend([(), ()])  # GE, IEA
    return BuiltInterchange(text, control_number, group_control_number, tuple(built_sets),
                            tuple(owners))


def owner_runs(owners: list[tuple[int, ...]]) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """Run-length form of a set's segment owners, positions counted from ST = 1."""
    runs: list[tuple[int, int, tuple[int, ...]]] = []
    for position, who in enumerate(owners, start=1):
        if not who:
            continue
        if runs and runs[-1][2] == who and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position, who)
        else:
            runs.append((position, position, who))
    return tuple(runs)
