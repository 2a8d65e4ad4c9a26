"""Rows of ``trading_partners``: the database's handle on a configured partner.

Partners are configured in TOML; the table only gives them an id that files and
interchanges can point at. :func:`ensure_partner` creates the row on first use and is
safe when two processes race (INSERT … ON CONFLICT DO NOTHING, then SELECT).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from gateway.store.models import TradingPartner

partners_t = cast(Table, TradingPartner.__table__)


def ensure_partner(conn: Connection, name: str, now: dt.datetime) -> int:
    """The id of partner ``name``, created if missing — in the caller's transaction."""
    found = conn.execute(select(partners_t.c.id).where(partners_t.c.name == name)).scalar()
    if found is not None:
        return int(found)
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(partners_t).values(name=name, created_at=now)
                 .on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.execute(select(partners_t.c.id).where(partners_t.c.name == name))
               .scalar_one())


class PartnerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure(self, name: str, now: dt.datetime) -> int:
        """The id of partner ``name``, created (in its own transaction) if missing."""
        with self.engine.begin() as conn:
            return ensure_partner(conn, name, now)

    def names(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            return {int(r.id): str(r.name)
                    for r in conn.execute(select(partners_t.c.id, partners_t.c.name))}
