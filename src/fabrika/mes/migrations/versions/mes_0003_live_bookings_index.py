"""Index each machine's live bookings by their end: when a machine is next free is read on
every quote and every booking (under the machine's lock), and was a scan of all its
bookings ever made (6 ms at 50,000).

Revision ID: mes_0003
Revises: mes_0002
"""

from alembic import op

revision = "mes_0003"
down_revision = "mes_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_mes_reservations_machine_live_end",
        "reservations",
        ["machine_id", "ends_at"],
        schema="mes",
        postgresql_where="status <> 'released'",
    )


def downgrade() -> None:
    op.drop_index("ix_mes_reservations_machine_live_end", "reservations", schema="mes")
