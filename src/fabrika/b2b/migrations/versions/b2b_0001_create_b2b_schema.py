"""The B2B entry's own tables: the ledger of idempotent calls, and what each account owns.

Revision ID: b2b_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "b2b_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("idempotency_key", sa.String(255), primary_key=True),
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_headers", JSONB(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("resource_id", sa.String(100), nullable=True),
        sa.Column("policy", sa.String(16), nullable=True),
        sa.Column("trace_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema="b2b",
    )
    op.create_index("ix_b2b_requests_expires_at", "requests", ["expires_at"], schema="b2b")
    op.create_table(
        "models",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("model_id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema="b2b",
    )
    op.create_table(
        "quotes",
        sa.Column("job_id", sa.String(80), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("items", JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        schema="b2b",
    )
    op.create_index(
        "ix_b2b_quotes_account_running",
        "quotes",
        ["account_id"],
        schema="b2b",
        postgresql_where=sa.text("finished_at IS NULL"),
    )
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("external_ref", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema="b2b",
    )
    op.create_index(
        "uq_b2b_orders_account_external_ref",
        "orders",
        ["account_id", "external_ref"],
        unique=True,
        schema="b2b",
        postgresql_where=sa.text("external_ref IS NOT NULL"),
    )


def downgrade() -> None:
    for table in ("orders", "quotes", "models", "requests"):
        op.drop_table(table, schema="b2b")
