"""confidence and abstention: flags.status and flags.confidence, calls.review_count and calls.needs_review

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this revision are raised flags with no recorded confidence.
    with op.batch_alter_table('flags') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), server_default='raised', nullable=False))
        batch.add_column(sa.Column('confidence', sa.Float(), nullable=True))
    with op.batch_alter_table('calls') as batch:
        batch.add_column(sa.Column('review_count', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('needs_review', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(op.f('ix_calls_needs_review'), 'calls', ['needs_review'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_calls_needs_review'), table_name='calls')
    with op.batch_alter_table('calls') as batch:
        batch.drop_column('needs_review')
        batch.drop_column('review_count')
    with op.batch_alter_table('flags') as batch:
        batch.drop_column('confidence')
        batch.drop_column('status')
