"""Request and response models of webhook subscriptions and their delivery log."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.types import BODY, ShortText, UtcDatetime

WebhookEvent = Literal[
    "supplier.created", "supplier.updated", "supplier.deleted", "certification.expiring"
]
WEBHOOK_EVENTS: tuple[str, ...] = (
    "supplier.created",
    "supplier.updated",
    "supplier.deleted",
    "certification.expiring",
)
DeliveryStatus = Literal["pending", "delivered", "failed"]

Secret = Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r"^[!-~]+$")]


class WebhookCreate(BaseModel):
    model_config = BODY

    url: str = Field(
        min_length=1,
        max_length=2048,
        description="Where to POST events: an `https` URL whose host resolves to public "
        "addresses only (private, loopback, link-local and similar addresses are refused).",
    )
    events: list[WebhookEvent] = Field(
        min_length=1,
        max_length=len(WEBHOOK_EVENTS),
        description="Event types to receive (at least one; repeats are ignored).",
    )
    secret: Secret | None = Field(
        default=None,
        description="Shared secret that signs every delivery (16-200 printable ASCII "
        "characters, no spaces). Omit it to have one generated; it is shown only in the "
        "response to this request.",
    )
    name: ShortText = Field(default="", description="What the subscription is for.")

    @field_validator("events")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Subscription id.")
    name: str = Field(description="What the subscription is for.")
    url: str = Field(description="Where events are POSTed.")
    events: list[WebhookEvent] = Field(description="Event types delivered.")
    owner_key_id: int = Field(description="API key that registered it (and may manage it).")
    active: bool = Field(
        description="Events are delivered: false once the owner key is revoked or expired."
    )
    created_at: UtcDatetime = Field(description="When it was registered.")


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="The signing secret. Shown only in this response; store it now."
    )


class DeliveryAttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int = Field(description="1 for the first try, then 2, 3, ...")
    started_at: UtcDatetime = Field(description="When the attempt started.")
    duration_ms: int = Field(description="How long it took.")
    status_code: int | None = Field(description="HTTP status answered; null if none came.")
    error: str | None = Field(
        description="Why it failed (`HTTP 500`, `timeout: ...`, `refused: ...`); null if it "
        "succeeded."
    )


class DeliveryPublic(BaseModel):
    id: int = Field(description="Delivery id.")
    event_id: str = Field(
        description="Event id, also sent as `X-Event-Id` and in the body: de-duplicate on it."
    )
    event_type: WebhookEvent = Field(description="Event type.")
    status: DeliveryStatus = Field(
        description="`pending` (waiting for its first or next attempt), `delivered` (a 2xx "
        "answer) or `failed` (attempts used up, or the subscription was deleted)."
    )
    attempts: int = Field(description="Attempts made so far.")
    created_at: UtcDatetime = Field(description="When the event was queued for this URL.")
    next_attempt_at: UtcDatetime | None = Field(
        description="When the next attempt is due; null unless pending."
    )
    delivered_at: UtcDatetime | None = Field(description="When a 2xx answer came.")
    last_status_code: int | None = Field(description="HTTP status of the latest attempt.")
    last_error: str | None = Field(description="Why the latest attempt failed.")
    payload: dict[str, Any] = Field(
        description="The JSON body sent (and signed), except that a supplier record's `contact` "
        "is null here: the current contact is sent, and personal data is not kept in the log."
    )
    history: list[DeliveryAttemptPublic] = Field(description="Every attempt, oldest first.")


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic] = Field(description="Deliveries, newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for older ones; null at end.")
