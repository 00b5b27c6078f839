"""Webhook tables: subscriptions, the delivery outbox with its attempt log, expiry notices."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.db import big_integer, utcnow


class WebhookSubscription(SQLModel, table=True):
    """A partner's (or admin's) URL for events; owned by the API key that registered it."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    url: str = Field(max_length=2048)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Kept as given: signing needs the secret itself. Cleared when the subscription is deleted.
    secret: str = Field(max_length=200)
    owner_key_id: int = Field(foreign_key="api_key.id", index=True, ondelete="CASCADE")
    owner_role: str = Field(max_length=16)
    # The change feed (`change_event.seq`) has been fanned out to this subscription up to here.
    last_seq: int = Field(default=0, sa_type=big_integer())
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    deleted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one row per event and subscription, sent and retried by the worker."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint(
            "subscription_id", "event_id", name="uq_webhook_delivery_subscription_event"
        ),
        # The worker's claim: pending and due, oldest first.
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # The delivery log of a subscription, newest first.
        sa.Index("ix_webhook_delivery_log", "subscription_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", ondelete="CASCADE")
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # A worker that claimed the delivery holds it until then; if it dies, another takes over.
    locked_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_attempt_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True
    )
    delivered_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class WebhookAttempt(SQLModel, table=True):
    """One try at sending a delivery: when, how long, and what came back."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True, ondelete="CASCADE")
    attempt: int
    started_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    duration_ms: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)


class CertificateExpiryNotice(SQLModel, table=True):
    """`certification.expiring` was emitted for this certificate (once, ever).

    Keyed by what identifies a certificate, not by its row id: a supplier PATCH replaces its
    certificate rows, and the same certificate must not be announced again.
    """

    __tablename__ = "certificate_expiry_notice"
    __table_args__ = (
        sa.UniqueConstraint(
            "supplier_id",
            "standard_code",
            "certificate_number",
            "expires_on",
            name="uq_certificate_expiry_notice_certificate",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", ondelete="CASCADE")
    standard_code: str = Field(max_length=64)
    certificate_number: str = Field(default="", max_length=100)  # '' when the number is unknown
    expires_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
