"""B2B accounts get a plan (quotas) and several API keys with scopes, expiry and use times;
orders get the partner's own reference. An account's one key becomes its first key.

Revision ID: crm_0004
Revises: crm_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "crm_0004"
down_revision = "crm_0003"
branch_labels = None
depends_on = None

ALL_SCOPES = '["orders:read", "orders:write", "quotes:write", "webhooks:manage"]'


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("description", sa.String(200), nullable=False, server_default=""),
        sa.Column("policies", JSONB(), nullable=False),
        sa.Column("max_quote_jobs", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema="crm",
    )
    op.add_column(
        "accounts",
        sa.Column("plan", sa.String(40), nullable=False, server_default="standard"),
        schema="crm",
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey("crm.accounts.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", JSONB(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotated_from", sa.Uuid(), sa.ForeignKey("crm.api_keys.id"), nullable=True),
        schema="crm",
    )
    op.create_index("ix_crm_api_keys_account_id", "api_keys", ["account_id"], schema="crm")
    # The key itself was never stored: what lists show of a migrated key is unknown.
    op.execute(
        "INSERT INTO crm.api_keys (id, account_id, name, prefix, last4, key_hash, scopes, "
        f"created_at) SELECT gen_random_uuid(), id, 'first key', '?', '????', api_key_hash, "
        f"'{ALL_SCOPES}'::jsonb, created_at FROM crm.accounts"
    )
    op.drop_constraint("uq_accounts_api_key_hash", "accounts", schema="crm")
    op.drop_column("accounts", "api_key_hash", schema="crm")
    op.add_column("orders", sa.Column("external_ref", sa.String(100), nullable=True), schema="crm")
    for name, columns in (
        ("ix_crm_orders_submitted", ["submitted_at", "id"]),
        ("ix_crm_orders_account_submitted", ["account_id", "submitted_at", "id"]),
        ("ix_crm_orders_customer_submitted", ["customer_id", "submitted_at", "id"]),
    ):
        op.create_index(name, "orders", columns, schema="crm")
    op.create_index(
        "uq_crm_orders_account_external_ref",
        "orders",
        ["account_id", "external_ref"],
        unique=True,
        schema="crm",
        postgresql_where=sa.text("external_ref IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_crm_orders_account_external_ref", "orders", schema="crm")
    for name in ("submitted", "account_submitted", "customer_submitted"):
        op.drop_index(f"ix_crm_orders_{name}", "orders", schema="crm")
    op.drop_column("orders", "external_ref", schema="crm")
    op.add_column("accounts", sa.Column("api_key_hash", sa.String(64)), schema="crm")
    op.drop_table("api_keys", schema="crm")
    op.drop_column("accounts", "plan", schema="crm")
    op.drop_table("plans", schema="crm")
