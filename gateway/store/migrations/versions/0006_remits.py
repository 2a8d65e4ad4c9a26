"""remittance posting: whether each CLP was applied to our claim, and why not

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # posted / unmatched / unbalanced / repeated_reversal (see gateway/store/resp_835.py).
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("posting", sa.String(length=32), server_default="posted",
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.drop_column("posting")
