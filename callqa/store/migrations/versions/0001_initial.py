"""initial schema: calls, segments, offers, disclosures, flags, score items, evidence, review decisions

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 23:32:32.209961
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('agent', sa.String(length=255), nullable=True),
    sa.Column('team', sa.String(length=255), nullable=True),
    sa.Column('queue', sa.String(length=255), nullable=True),
    sa.Column('call_date', sa.Date(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('customer_account', sa.String(length=255), nullable=True),
    sa.Column('need_label', sa.String(length=64), nullable=True),
    sa.Column('need_confidence', sa.Float(), nullable=True),
    sa.Column('score_value', sa.Float(), nullable=True),
    sa.Column('flag_count', sa.Integer(), nullable=False),
    sa.Column('offer_count', sa.Integer(), nullable=False),
    sa.Column('closing_attempts', sa.Integer(), nullable=False),
    sa.Column('closing_attempts_after_decline', sa.Integer(), nullable=False),
    sa.Column('customer_sentiment_start', sa.Float(), nullable=True),
    sa.Column('customer_sentiment_end', sa.Float(), nullable=True),
    sa.Column('customer_sentiment_min', sa.Float(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('sample_rate', sa.Integer(), nullable=True),
    sa.Column('channels', sa.Integer(), nullable=True),
    sa.Column('stereo', sa.Boolean(), nullable=True),
    sa.Column('speaker_method', sa.String(length=16), nullable=True),
    sa.Column('agent_channel', sa.String(length=16), nullable=True),
    sa.Column('speaker_confidence', sa.Float(), nullable=True),
    sa.Column('asr_model', sa.String(length=255), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('audio_path', sa.Text(), nullable=True),
    sa.Column('audio_sha256', sa.String(length=64), nullable=True),
    sa.Column('record_path', sa.Text(), nullable=True),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_agent_date', ['agent', 'call_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_call_date'), ['call_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_customer_account'), ['customer_account'], unique=False)
        batch_op.create_index('ix_calls_date_call_id', ['call_date', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_flag_count'), ['flag_count'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_need_label'), ['need_label'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_score_value'), ['score_value'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_team'), ['team'], unique=False)

    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=255), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_key', sa.String(length=255), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reviewer', sa.String(length=255), nullable=False),
    sa.Column('machine_verdict', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_review_decisions_call', ['call_id', 'target_kind', 'target_key'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('offer_id', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['call_pk'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_call', ['call_pk'], unique=False)
        batch_op.create_index('ix_flags_code_call', ['code', 'call_pk'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.String(length=255), nullable=False),
    sa.Column('product', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('need_fit', sa.Boolean(), nullable=True),
    sa.Column('need_fit_rule', sa.String(length=255), nullable=True),
    sa.Column('customer_response', sa.String(length=16), nullable=False),
    sa.Column('consent_time', sa.Float(), nullable=True),
    sa.Column('start', sa.Float(), nullable=False),
    sa.Column('closing_attempt_count', sa.Integer(), nullable=False),
    sa.Column('closing_attempts_after_decline', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['call_pk'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_call_pk'), ['call_pk'], unique=False)

    op.create_table('score_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=255), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('auto_fail', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['call_pk'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_items_call_pk'), ['call_pk'], unique=False)

    op.create_table('segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.String(length=255), nullable=False),
    sa.Column('speaker', sa.String(length=16), nullable=False),
    sa.Column('start', sa.Float(), nullable=False),
    sa.Column('end', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('sentiment_label', sa.String(length=16), nullable=True),
    sa.Column('sentiment_score', sa.Float(), nullable=True),
    sa.Column('sentiment_rule', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['call_pk'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.create_index('ix_segments_call_position', ['call_pk', 'position'], unique=False)

    op.create_table('disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_pk', sa.Integer(), nullable=False),
    sa.Column('offer_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['call_pk'], ['calls.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_pk'], ['offers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_call_pk'), ['call_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosures_item'), ['item'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosures_offer_pk'), ['offer_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosures_status'), ['status'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_pk', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('offer_pk', sa.Integer(), nullable=True),
    sa.Column('disclosure_pk', sa.Integer(), nullable=True),
    sa.Column('flag_pk', sa.Integer(), nullable=True),
    sa.Column('score_item_pk', sa.Integer(), nullable=True),
    sa.Column('flag_code', sa.String(length=64), nullable=True),
    sa.Column('segment_id', sa.String(length=255), nullable=True),
    sa.Column('speaker', sa.String(length=16), nullable=True),
    sa.Column('start', sa.Float(), nullable=True),
    sa.Column('end', sa.Float(), nullable=True),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('rule', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['call_pk'], ['calls.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['disclosure_pk'], ['disclosures.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flag_pk'], ['flags.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_pk'], ['offers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['score_item_pk'], ['score_items.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_call_pk'), ['call_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_disclosure_pk'), ['disclosure_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_flag_pk'), ['flag_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_offer_pk'), ['offer_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_score_item_pk'), ['score_item_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_score_item_pk'))
        batch_op.drop_index(batch_op.f('ix_evidence_offer_pk'))
        batch_op.drop_index(batch_op.f('ix_evidence_flag_pk'))
        batch_op.drop_index(batch_op.f('ix_evidence_disclosure_pk'))
        batch_op.drop_index(batch_op.f('ix_evidence_call_pk'))

    op.drop_table('evidence')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_status'))
        batch_op.drop_index(batch_op.f('ix_disclosures_offer_pk'))
        batch_op.drop_index(batch_op.f('ix_disclosures_item'))
        batch_op.drop_index(batch_op.f('ix_disclosures_call_pk'))

    op.drop_table('disclosures')
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.drop_index('ix_segments_call_position')

    op.drop_table('segments')
    with op.batch_alter_table('score_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_items_call_pk'))

    op.drop_table('score_items')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_call_pk'))

    op.drop_table('offers')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_code_call')
        batch_op.drop_index('ix_flags_call')

    op.drop_table('flags')
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_review_decisions_call')

    op.drop_table('review_decisions')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_team'))
        batch_op.drop_index(batch_op.f('ix_calls_status'))
        batch_op.drop_index(batch_op.f('ix_calls_score_value'))
        batch_op.drop_index(batch_op.f('ix_calls_need_label'))
        batch_op.drop_index(batch_op.f('ix_calls_flag_count'))
        batch_op.drop_index('ix_calls_date_call_id')
        batch_op.drop_index(batch_op.f('ix_calls_customer_account'))
        batch_op.drop_index(batch_op.f('ix_calls_call_date'))
        batch_op.drop_index('ix_calls_agent_date')

    op.drop_table('calls')
