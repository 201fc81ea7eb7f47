"""Store model files uncompressed: STL barely compresses, and trying cost 0.8 s per 50 MB.

Revision ID: mes_0002
Revises: mes_0001
"""

from alembic import op

revision = "mes_0002"
down_revision = "mes_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE mes.model_files ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("ALTER TABLE mes.model_files ALTER COLUMN data SET STORAGE EXTENDED")
