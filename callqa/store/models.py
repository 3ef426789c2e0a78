"""The store's tables (SQLAlchemy 2 typed ORM). One call's machine rows are replaced as a whole
on every write; review decisions live apart, keyed by call_id and a stable target key, so a
rerun of the call never touches them.

Evidence of every kind (need, offer pitch, closing attempt, customer response, cost recap,
disclosure, flag, score item) is one table with a `role` and a foreign key to its owner, so
a player jumps to any of them the same way.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

DECISIONS = ("confirm", "overturn")
TARGET_KINDS = ("flag", "score_item")
EVIDENCE_ROLES = ("need", "offer", "closing_attempt", "response", "cost_recap", "disclosure", "flag", "score_item")


class Base(DeclarativeBase):
    pass


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # scored | failed
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    # Call metadata (manifest or filename pattern): used by every view's filters.
    agent: Mapped[str | None] = mapped_column(String(255))
    team: Mapped[str | None] = mapped_column(String(255), index=True)
    queue: Mapped[str | None] = mapped_column(String(255))
    call_date: Mapped[date | None] = mapped_column(Date, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # local time of the call, when known
    customer_account: Mapped[str | None] = mapped_column(String(255), index=True)
    # Verdicts, copied up from the child rows so the list sorts and filters on one table.
    need_label: Mapped[str | None] = mapped_column(String(64), index=True)
    need_confidence: Mapped[float | None] = mapped_column(Float)
    score_value: Mapped[float | None] = mapped_column(Float, index=True)
    flag_count: Mapped[int] = mapped_column(Integer, default=0, index=True)  # raised flags (the verdicts)
    # Confidence and abstention: flags too unsure to count, and whether a reviewer should look
    # first (such flags, or LOW_TRANSCRIPT_QUALITY).
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), index=True)
    offer_count: Mapped[int] = mapped_column(Integer, default=0)
    closing_attempts: Mapped[int] = mapped_column(Integer, default=0)
    closing_attempts_after_decline: Mapped[int] = mapped_column(Integer, default=0)
    customer_sentiment_start: Mapped[float | None] = mapped_column(Float)
    customer_sentiment_end: Mapped[float | None] = mapped_column(Float)
    customer_sentiment_min: Mapped[float | None] = mapped_column(Float)
    # Audio and transcription
    duration_s: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    stereo: Mapped[bool | None] = mapped_column(Boolean)  # one channel per party
    speaker_method: Mapped[str | None] = mapped_column(String(16))  # channel | text
    agent_channel: Mapped[str | None] = mapped_column(String(16))
    speaker_confidence: Mapped[float | None] = mapped_column(Float)
    asr_model: Mapped[str | None] = mapped_column(String(255))
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    audio_path: Mapped[str | None] = mapped_column(Text)
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    record_path: Mapped[str | None] = mapped_column(Text)
    record_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the record + metadata: unchanged writes are skipped
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    segments: Mapped[list[Segment]] = relationship(back_populates="call", cascade="all, delete-orphan", order_by="Segment.position")
    offers: Mapped[list[Offer]] = relationship(back_populates="call", cascade="all, delete-orphan", order_by="Offer.position")
    flags: Mapped[list[Flag]] = relationship(back_populates="call", cascade="all, delete-orphan", order_by="Flag.position")
    score_items: Mapped[list[ScoreItem]] = relationship(back_populates="call", cascade="all, delete-orphan", order_by="ScoreItem.position")
    disclosures: Mapped[list[Disclosure]] = relationship(back_populates="call", cascade="all, delete-orphan", order_by="Disclosure.id")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="call", cascade="all, delete-orphan", order_by="Evidence.id")

    __table_args__ = (
        Index("ix_calls_agent_date", "agent", "call_date"),
        Index("ix_calls_date_call_id", "call_date", "call_id"),
    )


class Segment(Base):
    """A transcript segment with its sentiment reading (per role, from the record's sentiment)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # conversation order
    segment_id: Mapped[str] = mapped_column(String(255))
    speaker: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list] = mapped_column(JSON, default=list)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_rule: Mapped[str | None] = mapped_column(String(255))

    call: Mapped[Call] = relationship(back_populates="segments")

    __table_args__ = (Index("ix_segments_call_position", "call_pk", "position"),)


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    offer_id: Mapped[str] = mapped_column(String(255))
    product: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # upsell | cross_sell | retention
    need_fit: Mapped[bool | None] = mapped_column(Boolean)
    need_fit_rule: Mapped[str | None] = mapped_column(String(255))
    customer_response: Mapped[str] = mapped_column(String(16))  # accepted | declined | undecided
    consent_time: Mapped[float | None] = mapped_column(Float)
    start: Mapped[float] = mapped_column(Float)
    closing_attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    closing_attempts_after_decline: Mapped[int] = mapped_column(Integer, default=0)

    call: Mapped[Call] = relationship(back_populates="offers")
    disclosures: Mapped[list[Disclosure]] = relationship(back_populates="offer", cascade="all, delete-orphan", order_by="Disclosure.position")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="offer", order_by="Evidence.id")


class Disclosure(Base):
    """One required disclosure item of one offer: status and (when said) its evidence."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    offer_pk: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(32), index=True)  # price | recurring_charge | cancellation_terms | contract_term | restrictions
    status: Mapped[str] = mapped_column(String(32), index=True)  # disclosed_before_consent | disclosed_after_consent | missing | not_applicable

    call: Mapped[Call] = relationship(back_populates="disclosures")
    offer: Mapped[Offer] = relationship(back_populates="disclosures")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="disclosure", order_by="Evidence.id")


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    # Stable across reruns (code, offer, ordinal): what review decisions point at.
    key: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    offer_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="raised", server_default="raised")  # raised | needs_review
    confidence: Mapped[float | None] = mapped_column(Float)

    call: Mapped[Call] = relationship(back_populates="flags")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="flag", order_by="Evidence.id")

    __table_args__ = (Index("ix_flags_code_call", "code", "call_pk"), Index("ix_flags_call", "call_pk"))


class ScoreItem(Base):
    __tablename__ = "score_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(255))  # the scorecard question's id: the review target key
    question: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(8))  # pass | fail | na
    weight: Mapped[float] = mapped_column(Float)
    auto_fail: Mapped[bool] = mapped_column(Boolean, default=False)

    call: Mapped[Call] = relationship(back_populates="score_items")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="score_item", order_by="Evidence.id")


class Evidence(Base):
    """What a verdict rests on: quote, speaker and times to play it back, the rule that fired."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # one of EVIDENCE_ROLES
    position: Mapped[int] = mapped_column(Integer)  # order within its owner (closing attempt number - 1)
    offer_pk: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    disclosure_pk: Mapped[int | None] = mapped_column(ForeignKey("disclosures.id", ondelete="CASCADE"), index=True)
    flag_pk: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    score_item_pk: Mapped[int | None] = mapped_column(ForeignKey("score_items.id", ondelete="CASCADE"), index=True)
    flag_code: Mapped[str | None] = mapped_column(String(64))  # score items: the flag this evidence came from
    segment_id: Mapped[str | None] = mapped_column(String(255))
    speaker: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    quote: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[str | None] = mapped_column(String(255))

    call: Mapped[Call] = relationship(back_populates="evidence")
    offer: Mapped[Offer | None] = relationship(back_populates="evidence")
    disclosure: Mapped[Disclosure | None] = relationship(back_populates="evidence")
    flag: Mapped[Flag | None] = relationship(back_populates="evidence")
    score_item: Mapped[ScoreItem | None] = relationship(back_populates="evidence")


class ReviewDecision(Base):
    """A reviewer's confirm/overturn of a flag or score item: the audit trail.

    Keyed by call_id and the target's stable key (not row ids, which a rerun replaces), never
    updated or deleted by the pipeline; the machine verdict at decision time is kept beside it.
    """

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(255))
    target_kind: Mapped[str] = mapped_column(String(16))  # flag | score_item
    target_key: Mapped[str] = mapped_column(String(255))  # Flag.key or ScoreItem.item_id
    decision: Mapped[str] = mapped_column(String(16))  # confirm | overturn
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(255))
    machine_verdict: Mapped[str] = mapped_column(String(255))  # flag code, or score item result, when decided
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_review_decisions_call", "call_id", "target_kind", "target_key"),)
