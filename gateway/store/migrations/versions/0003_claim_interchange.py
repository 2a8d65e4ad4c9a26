"""claims remember the interchange they were batched into

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interchange_id", _ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_claims_interchange_id"), ["interchange_id"],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_claims_interchange_id_interchanges"),
                                    "interchanges", ["interchange_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_claims_interchange_id_interchanges"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_claims_interchange_id"))
        batch_op.drop_column("interchange_id")
