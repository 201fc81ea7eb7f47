"""Orders remember who asked to cancel them, so the saga finds out at its next step.

Revision ID: crm_0003
Revises: crm_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0003"
down_revision = "crm_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("cancel_requested_by", sa.String(16), nullable=True), schema="crm"
    )
    op.add_column(
        "orders",
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True),
        schema="crm",
    )


def downgrade() -> None:
    op.drop_column("orders", "cancel_requested_at", schema="crm")
    op.drop_column("orders", "cancel_requested_by", schema="crm")
