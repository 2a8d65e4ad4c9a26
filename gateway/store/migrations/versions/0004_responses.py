"""response ingestion: response documents, segment owners per set, remittance detail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 06:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None



def upgrade() -> None:
    with op.batch_alter_table("transaction_sets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_runs", sa.JSON(), nullable=True))
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_index", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("control_number", sa.String(length=15), nullable=True))
        batch_op.add_column(sa.Column("findings", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("matched", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("unmatched", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("unmatched_items", sa.JSON(), nullable=True))
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("balance_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("plb", sa.JSON(), nullable=True))
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("remarks", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("lines", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        for column in ("lines", "remarks", "outcome"):
            batch_op.drop_column(column)
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        for column in ("plb", "balance_note", "payer_name"):
            batch_op.drop_column(column)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        for column in ("unmatched_items", "unmatched", "matched", "summary", "findings",
                       "control_number", "document_index"):
            batch_op.drop_column(column)
    with op.batch_alter_table("transaction_sets", schema=None) as batch_op:
        batch_op.drop_column("owner_runs")
