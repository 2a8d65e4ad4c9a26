"""transport bookkeeping: upload attempts and time, one stored copy per inbound file

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# One non-duplicate inbound row per (partner, sha256): two pollers racing on the same
# response cannot both store it as new. Duplicates are still recorded, as such.
_INBOUND_UNIQUE = "direction = 'in' AND status <> 'duplicate'"


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE INDEX on every backend: no table rebuild is needed.
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("uploaded_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index("ix_files_partner_id_direction_status",
                              ["partner_id", "direction", "status"], unique=False)
        batch_op.create_index("ux_files_inbound_partner_id_sha256", ["partner_id", "sha256"],
                              unique=True, sqlite_where=sa.text(_INBOUND_UNIQUE),
                              postgresql_where=sa.text(_INBOUND_UNIQUE))


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index("ux_files_inbound_partner_id_sha256")
        batch_op.drop_index("ix_files_partner_id_direction_status")
        batch_op.drop_column("uploaded_at")
        batch_op.drop_column("attempts")
