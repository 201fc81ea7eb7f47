"""Deliveries become an outbox: the message is kept and a background sender delivers it.

Revision ID: notify_0002
Revises: notify_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0002"
down_revision = "notify_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
        schema="notify",
    )
    op.add_column(
        "deliveries",
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        schema="notify",
    )
    op.add_column(
        "deliveries",
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        schema="notify",
    )
    op.add_column("deliveries", sa.Column("last_error", sa.Text(), nullable=True), schema="notify")
    op.create_index(
        op.f("ix_notify_deliveries_status"), "deliveries", ["status"], unique=False, schema="notify"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notify_deliveries_status"), table_name="deliveries", schema="notify")
    for column in ("last_error", "next_attempt_at", "attempts", "body"):
        op.drop_column("deliveries", column, schema="notify")
