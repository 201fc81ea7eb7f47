"""Orders carry their deadline, so operators can list the overdue ones.

Revision ID: crm_0002
Revises: crm_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0002"
down_revision = "crm_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True), schema="crm"
    )
    op.create_index(
        op.f("ix_crm_orders_deadline_at"), "orders", ["deadline_at"], unique=False, schema="crm"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_orders_deadline_at"), table_name="orders", schema="crm")
    op.drop_column("orders", "deadline_at", schema="crm")
