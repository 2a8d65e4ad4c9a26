"""The sandbox's own record: every file, interchange and claim it ever received, what it
scheduled in answer, and which response files it wrote. A SQLite file of its own
(stdlib ``sqlite3``), apart from the gateway's database, so tests can prove "exactly
once" from the receiving side: no claim received twice, no ISA13 accepted twice.

Receipt is one transaction: the file (unique by sha256), its interchanges (an ISA13
accepted once per sender: a partial unique index), claims and the answers they are due.
Answers are grouped into response files by :meth:`Ledger.stage`; a file's life is
``staged`` → ``placing`` (its temp copy is complete) → ``written`` (renamed into place),
or ``failed`` when it cannot be rendered (kept for a person to look at, never retried).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL, received_at TEXT NOT NULL, outcome TEXT NOT NULL,
    redeliveries INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS interchanges (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id),
    isa13 TEXT NOT NULL, sender TEXT NOT NULL, receiver TEXT NOT NULL,
    status TEXT NOT NULL, note TEXT, received_at TEXT NOT NULL, envelope TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS interchange_accepted_once
    ON interchanges(sender, isa13) WHERE status = 'accepted';
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY, interchange_id INTEGER NOT NULL REFERENCES interchanges(id),
    set_control TEXT NOT NULL, pcn TEXT NOT NULL, charge TEXT NOT NULL,
    payer_id TEXT NOT NULL, procedures TEXT NOT NULL, received_at TEXT NOT NULL,
    data TEXT NOT NULL, decision TEXT NOT NULL,
    ack999 TEXT, clearinghouse_status TEXT, payer_status TEXT, payer_claim_number TEXT,
    era_status TEXT, paid TEXT, patient_responsibility TEXT,
    reversed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS claims_by_pcn ON claims(pcn);
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, file_name TEXT NOT NULL,
    state TEXT NOT NULL, created_at TEXT NOT NULL, written_at TEXT);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, rank INTEGER NOT NULL,
    group_key TEXT NOT NULL, interchange_id INTEGER NOT NULL REFERENCES interchanges(id),
    claim_id INTEGER REFERENCES claims(id), due_at TEXT NOT NULL, payload TEXT,
    response_id INTEGER REFERENCES responses(id));
CREATE INDEX IF NOT EXISTS events_waiting ON events(due_at) WHERE response_id IS NULL;
"""

# Answer kinds in the order they are written when due together.
KINDS = ("TA1", "999", "277CA-CLEARINGHOUSE", "277CA-PAYER", "835", "835-REVERSAL")
_FILE_KIND = {"TA1": "ta1", "999": "999", "277CA-CLEARINGHOUSE": "277ca",
              "277CA-PAYER": "277ca", "835": "835", "835-REVERSAL": "835"}
_CLAIM_COLUMNS = frozenset({"ack999", "clearinghouse_status", "payer_status",
                            "payer_claim_number", "era_status", "paid",
                            "patient_responsibility", "reversed"})


def stamp(moment: dt.datetime) -> str:
    """A sortable UTC text timestamp."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass(slots=True)
class EventPlan:
    kind: str
    group_key: str
    due_at: dt.datetime
    payload: dict[str, Any] | None = None


@dataclass(slots=True)
class ClaimPlan:
    set_control: str
    pcn: str
    charge: str
    payer_id: str
    procedures: list[str]
    data: dict[str, Any]
    decision: dict[str, Any]
    events: list[EventPlan] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # known at once (ack999 ...)


@dataclass(slots=True)
class InterchangePlan:
    isa13: str
    sender: str  # "ZZ:ACMEBILL01"
    receiver: str
    status: str  # accepted / rejected
    note: str | None  # TA105 when rejected
    envelope: dict[str, Any]  # what answers need: ids, separators, usage, ISA09/10
    events: list[EventPlan] = field(default_factory=list)
    claims: list[ClaimPlan] = field(default_factory=list)
    # What to answer instead when the ISA13 turns out to be a duplicate.
    on_duplicate: list[EventPlan] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LedgerFile:
    id: int
    name: str
    sha256: str
    size: int
    received_at: dt.datetime
    outcome: str
    redeliveries: int


@dataclass(frozen=True, slots=True)
class LedgerInterchange:
    id: int
    isa13: str
    sender: str
    receiver: str
    status: str  # accepted / duplicate / rejected
    note: str | None
    file_name: str
    sha256: str
    received_at: dt.datetime
    claims: int


@dataclass(frozen=True, slots=True)
class LedgerClaim:
    id: int
    pcn: str
    charge: str
    payer_id: str
    procedures: tuple[str, ...]
    received_at: dt.datetime
    isa13: str
    file_name: str
    set_control: str
    ack999: str | None
    clearinghouse_status: str | None
    payer_status: str | None
    payer_claim_number: str | None
    era_status: str | None
    paid: str | None
    patient_responsibility: str | None
    reversed: bool


@dataclass(frozen=True, slots=True)
class LedgerResponse:
    id: int
    kind: str
    file_name: str
    state: str
    created_at: dt.datetime
    written_at: dt.datetime | None
    claims: int


@dataclass(frozen=True, slots=True)
class StagedEvent:
    kind: str
    interchange_id: int
    claim_id: int | None
    payload: dict[str, Any] | None


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---------------------------------------------------------------- receipt

    def seen(self, sha256: str) -> bool:
        row = self._db.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return row is not None

    def note_redelivery(self, sha256: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE files SET redeliveries = redeliveries + 1 WHERE sha256 = ?",
                       (sha256,))

    def record(self, name: str, sha256: str, size: int, received_at: dt.datetime,
               outcome: str, plans: Sequence[InterchangePlan]) -> list[str] | None:
        """Record a file and everything in it; the interchanges' final statuses, or None
        when a file with the same sha256 was recorded first (by another process)."""
        now = stamp(received_at)
        statuses: list[str] = []
        with self._tx() as db:
            if db.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone():
                return None
            file_id = _insert(db, "INSERT INTO files (name, sha256, size, received_at, outcome)"
                              " VALUES (?, ?, ?, ?, ?)", (name, sha256, size, now, outcome))
            for plan in plans:
                status, note, events = plan.status, plan.note, plan.events
                if status == "accepted" and db.execute(
                        "SELECT 1 FROM interchanges WHERE sender = ? AND isa13 = ? "
                        "AND status = 'accepted'", (plan.sender, plan.isa13)).fetchone():
                    status, note, events = "duplicate", "025", plan.on_duplicate
                ic_id = _insert(db, "INSERT INTO interchanges (file_id, isa13, sender, receiver,"
                                " status, note, received_at, envelope) VALUES "
                                "(?, ?, ?, ?, ?, ?, ?, ?)",
                                (file_id, plan.isa13, plan.sender, plan.receiver, status, note,
                                 now, json.dumps(plan.envelope)))
                _add_events(db, ic_id, None, events)
                statuses.append(status)
                if status != "accepted":
                    continue
                for claim in plan.claims:
                    claim_id = _insert(db, "INSERT INTO claims (interchange_id, set_control, pcn,"
                                       " charge, payer_id, procedures, received_at, data, "
                                       "decision, ack999) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                       (ic_id, claim.set_control, claim.pcn, claim.charge,
                                        claim.payer_id, ",".join(claim.procedures), now,
                                        json.dumps(claim.data), json.dumps(claim.decision),
                                        claim.answers.get("ack999")))
                    _add_events(db, ic_id, claim_id, claim.events)
        return statuses

    # ---------------------------------------------------------------- answering

    def stage(self, now: dt.datetime, *, everything: bool = False) -> list[int]:
        """Group the answers that are due (all of them with ``everything``) into new
        response files, in answer order; their ids."""
        created: list[int] = []
        with self._tx() as db:
            # Everything: due before the end of time.
            until = "9999" if everything else stamp(now)
            rows = db.execute("SELECT id, kind, group_key FROM events WHERE response_id IS NULL"
                              " AND due_at <= ? ORDER BY rank, id", (until,)).fetchall()
            groups: dict[tuple[str, str], list[int]] = {}
            for row in rows:
                groups.setdefault((row["kind"], row["group_key"]), []).append(row["id"])
            for (kind, _key), ids in groups.items():
                response_id = _insert(db, "INSERT INTO responses (kind, file_name, state, "
                                      "created_at) VALUES (?, '', 'staged', ?)",
                                      (kind, stamp(now)))
                db.execute("UPDATE responses SET file_name = ? WHERE id = ?",
                           (f"SBX{response_id:09d}.{_FILE_KIND[kind]}", response_id))
                db.executemany("UPDATE events SET response_id = ? WHERE id = ?",
                               [(response_id, i) for i in ids])
                created.append(response_id)
        return created

    def unwritten(self) -> list[LedgerResponse]:
        return [r for r in self.responses() if r.state in ("staged", "placing")]

    def events_of(self, response_id: int) -> list[StagedEvent]:
        rows = self._db.execute("SELECT kind, interchange_id, claim_id, payload FROM events "
                                "WHERE response_id = ? ORDER BY id", (response_id,)).fetchall()
        return [StagedEvent(r["kind"], r["interchange_id"], r["claim_id"],
                            json.loads(r["payload"]) if r["payload"] else None) for r in rows]

    def envelope_of(self, interchange_id: int) -> dict[str, Any]:
        row = self._db.execute("SELECT envelope, received_at FROM interchanges WHERE id = ?",
                               (interchange_id,)).fetchone()
        envelope: dict[str, Any] = json.loads(row["envelope"])
        envelope["received_at"] = row["received_at"]
        return envelope

    def claim_documents(self, claim_ids: Sequence[int]
                        ) -> dict[int, tuple[dict[str, Any], dict[str, Any], str]]:
        """claim id → (received data, decision, payer claim number as answered)."""
        out: dict[int, tuple[dict[str, Any], dict[str, Any], str]] = {}
        for i in range(0, len(claim_ids), 500):
            chunk = list(claim_ids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            columns = "id, data, decision, payer_claim_number"
            sql = f"SELECT {columns} FROM claims WHERE id IN ({marks})"  # noqa: S608
            for r in self._db.execute(sql, chunk):
                out[r["id"]] = (json.loads(r["data"]), json.loads(r["decision"]),
                                r["payer_claim_number"] or "")
        return out

    def mark_placing(self, response_id: int) -> None:
        self._set_state(response_id, "placing")

    def mark_failed(self, response_id: int) -> None:
        self._set_state(response_id, "failed")

    def _set_state(self, response_id: int, state: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE responses SET state = ? WHERE id = ?", (state, response_id))

    def mark_written(self, response_id: int, now: dt.datetime,
                     claim_answers: dict[int, dict[str, Any]]) -> None:
        """The file is in place: record it, and what it told each claim."""
        with self._tx() as db:
            db.execute("UPDATE responses SET state = 'written', written_at = ? WHERE id = ?",
                       (stamp(now), response_id))
            for claim_id, answers in claim_answers.items():
                unknown = set(answers) - _CLAIM_COLUMNS
                if unknown:
                    raise ValueError(f"not a claim answer column: {sorted(unknown)}")
                if answers:
                    sets = ", ".join(f"{k} = ?" for k in answers)
                    db.execute(f"UPDATE claims SET {sets} WHERE id = ?",  # noqa: S608
                               (*answers.values(), claim_id))

    def next_due(self) -> dt.datetime | None:
        row = self._db.execute("SELECT MIN(due_at) AS due FROM events "
                               "WHERE response_id IS NULL").fetchone()
        return unstamp(row["due"]) if row["due"] else None

    def waiting(self) -> int:
        """Answers scheduled but not yet due."""
        row = self._db.execute("SELECT COUNT(*) FROM events WHERE response_id IS NULL")
        return int(row.fetchone()[0])

    # ---------------------------------------------------------------- reading

    def times_received(self, pcn: str) -> int:
        """How often a claim with this CLM01 arrived in an accepted interchange."""
        row = self._db.execute("SELECT COUNT(*) FROM claims WHERE pcn = ?", (pcn,)).fetchone()
        return int(row[0])

    def files(self) -> list[LedgerFile]:
        return [LedgerFile(r["id"], r["name"], r["sha256"], r["size"],
                           unstamp(r["received_at"]), r["outcome"], r["redeliveries"])
                for r in self._db.execute("SELECT * FROM files ORDER BY id")]

    def interchanges(self) -> list[LedgerInterchange]:
        rows = self._db.execute(
            "SELECT i.*, f.name AS file_name, f.sha256, "
            "(SELECT COUNT(*) FROM claims c WHERE c.interchange_id = i.id) AS n "
            "FROM interchanges i JOIN files f ON f.id = i.file_id ORDER BY i.id")
        return [LedgerInterchange(r["id"], r["isa13"], r["sender"], r["receiver"], r["status"],
                                  r["note"], r["file_name"], r["sha256"],
                                  unstamp(r["received_at"]), r["n"]) for r in rows]

    def claims(self) -> list[LedgerClaim]:
        rows = self._db.execute(
            "SELECT c.*, i.isa13, f.name AS file_name FROM claims c "
            "JOIN interchanges i ON i.id = c.interchange_id JOIN files f ON f.id = i.file_id "
            "ORDER BY c.id")
        return [LedgerClaim(r["id"], r["pcn"], r["charge"], r["payer_id"],
                            tuple(p for p in r["procedures"].split(",") if p),
                            unstamp(r["received_at"]), r["isa13"], r["file_name"],
                            r["set_control"], r["ack999"], r["clearinghouse_status"],
                            r["payer_status"], r["payer_claim_number"], r["era_status"],
                            r["paid"], r["patient_responsibility"], bool(r["reversed"]))
                for r in rows]

    def responses(self) -> list[LedgerResponse]:
        rows = self._db.execute(
            "SELECT r.*, (SELECT COUNT(DISTINCT e.claim_id) FROM events e "
            "WHERE e.response_id = r.id) AS n FROM responses r ORDER BY r.id")
        return [LedgerResponse(r["id"], r["kind"], r["file_name"], r["state"],
                               unstamp(r["created_at"]),
                               unstamp(r["written_at"]) if r["written_at"] else None, r["n"])
                for r in rows]


def _insert(db: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cursor = db.execute(sql, params)
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _add_events(db: sqlite3.Connection, interchange_id: int, claim_id: int | None,
                events: Sequence[EventPlan]) -> None:
    db.executemany(
        "INSERT INTO events (kind, rank, group_key, interchange_id, claim_id, due_at, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(e.kind, KINDS.index(e.kind), e.group_key, interchange_id, claim_id, stamp(e.due_at),
          json.dumps(e.payload) if e.payload is not None else None) for e in events])
