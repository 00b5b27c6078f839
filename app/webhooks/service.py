"""Webhook subscriptions and the delivery outbox: rules and queries. Services flush only.

The worker (`app.webhooks.worker`) calls the outbox steps here, each in a transaction of its
own: fan out new change-feed events to subscriptions (`fan_out`), announce certificates about
to expire (`scan_expiring`), claim a due delivery (`claim_next`), record what its attempt came
to (`record_attempt`), and drop old log entries (`prune`).
"""

import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, delete, func, literal, or_, update
from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.caller import Caller
from app.auth.models import ApiKey
from app.changes.schemas import ChangeEventPublic
from app.changes.service import list_changes
from app.config import Settings
from app.cursors import decode_cursor, encode_cursor, page_of
from app.db import try_transaction_lock, utcnow
from app.errors import Conflict, NotFound, field_error, invalid
from app.suppliers.models import ChangeEvent, Supplier, SupplierCertification
from app.suppliers.service import current_contacts
from app.suppliers.writing import without_contact
from app.webhooks.models import (
    CertificateExpiryNotice,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import (
    DeliveryAttemptPublic,
    DeliveryPage,
    DeliveryPublic,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookEvent,
    WebhookPublic,
)
from app.webhooks.targets import RefusedTarget, vet

SECRET_PREFIX = "whsec_"
EXPIRY_NOTICE_DAYS = 30
CERTIFICATE_EVENT = "certification.expiring"
_FEED_READER = Caller(role="system")  # deliveries carry the full record, contact included
# PostgreSQL: one worker at a time fans out and scans (advisory lock key: "escouting"+1).
_PLAN_LOCK_KEY = 0x657363_6F7574_01


def _key_is_live(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(ApiKey.revoked_at).is_(None),
        or_(col(ApiKey.expires_at).is_(None), col(ApiKey.expires_at) > now),
    )


# ---------------------------------------------------------------- subscriptions


def create_subscription(
    *, session: Session, data: WebhookCreate, actor: Caller, settings: Settings
) -> WebhookCreated:
    """Register a URL for events; the representation carries its secret (shown once)."""
    try:
        vet(
            data.url,
            allow_http_loopback=settings.webhooks_allow_http_loopback,
            resolve_timeout=settings.webhooks_resolve_timeout_seconds,
        )
    except RefusedTarget as exc:
        raise invalid([field_error(["body", "url"], f"URL {exc}")]) from None
    assert actor.key_id is not None and actor.role is not None
    held = session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(
            WebhookSubscription.owner_key_id == actor.key_id,
            col(WebhookSubscription.deleted_at).is_(None),
        )
    )
    if (held or 0) >= settings.webhooks_max_per_key:
        raise Conflict(
            detail=f"This key already holds {held} webhook subscriptions, the most allowed "
            "(WEBHOOKS_MAX_PER_KEY); delete one first."
        )
    secret = data.secret or SECRET_PREFIX + secrets.token_urlsafe(32)
    # Future events only: start after the newest event committed so far.
    newest = session.scalar(select(func.max(ChangeEvent.seq))) or 0
    subscription = WebhookSubscription(
        name=data.name,
        url=data.url,
        events=list(data.events),
        secret=secret,
        owner_key_id=actor.key_id,
        owner_role=actor.role,
        last_seq=newest,
    )
    session.add(subscription)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="create",
        entity="webhook",
        entity_id=subscription.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        fields=["url", "events", "secret", *(["name"] if data.name else [])],
    )
    [public] = _publics(session=session, subscriptions=[subscription])
    return WebhookCreated(**public.model_dump(), secret=secret)


def _visible(caller: Caller) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(WebhookSubscription.deleted_at).is_(None)]
    if not caller.is_admin:  # partners see their own key's subscriptions only
        conditions.append(col(WebhookSubscription.owner_key_id) == caller.key_id)
    return conditions


def list_subscriptions(*, session: Session, caller: Caller) -> list[WebhookPublic]:
    """The subscriptions of the caller's key (admins: all of them)."""
    found = session.exec(
        select(WebhookSubscription).where(*_visible(caller)).order_by(col(WebhookSubscription.id))
    )
    return _publics(session=session, subscriptions=list(found))


def read_subscription(*, session: Session, subscription_id: int, caller: Caller) -> WebhookPublic:
    """One subscription the caller may see (never its secret); 404 otherwise."""
    found = _subscription(session=session, subscription_id=subscription_id, caller=caller)
    return _publics(session=session, subscriptions=[found])[0]


def _subscription(*, session: Session, subscription_id: int, caller: Caller) -> WebhookSubscription:
    """A live subscription the caller may see; 404 otherwise (others' look like unknown ones)."""
    found = session.exec(
        select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id, *_visible(caller)
        )
    ).first()
    if found is None:
        raise NotFound(detail=f"No webhook subscription with id {subscription_id}.")
    return found


def _publics(
    *, session: Session, subscriptions: Sequence[WebhookSubscription]
) -> list[WebhookPublic]:
    """API representations; `active` needs the owner keys' state."""
    owners = {s.owner_key_id for s in subscriptions}
    live = set(
        session.exec(select(ApiKey.id).where(col(ApiKey.id).in_(owners), _key_is_live(utcnow())))
    )
    return [
        WebhookPublic(
            id=s.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
            name=s.name,
            url=s.url,
            events=cast(list[WebhookEvent], s.events),  # checked on the way in
            owner_key_id=s.owner_key_id,
            active=s.owner_key_id in live,
            created_at=s.created_at,
        )
        for s in subscriptions
    ]


def delete_subscription(*, session: Session, subscription_id: int, actor: Caller) -> None:
    """Stop deliveries: pending ones fail, the secret is forgotten; the log stays readable in
    the database but the subscription disappears from the API."""
    subscription = _subscription(session=session, subscription_id=subscription_id, caller=actor)
    subscription.deleted_at = utcnow()
    subscription.secret = ""
    session.flush()
    session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.subscription_id) == subscription.id,
            col(WebhookDelivery.status) == "pending",
        )
        .values(
            status="failed",
            next_attempt_at=None,
            locked_until=None,
            last_error="subscription deleted",
        )
    )
    record(
        session=session,
        actor=actor,
        action="delete",
        entity="webhook",
        entity_id=subscription.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
    )


# ---------------------------------------------------------------- delivery log


def list_deliveries(
    *,
    session: Session,
    subscription_id: int,
    caller: Caller,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> DeliveryPage:
    """A page of a subscription's delivery log, newest first, from the position of `cursor`."""
    found = _subscription(session=session, subscription_id=subscription_id, caller=caller)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == found.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        position = decode_cursor(cursor)
        before_id = position.get("deliveries_before")
        if not isinstance(before_id, int) or position.get("webhook") != subscription_id:
            raise invalid([field_error(["query", "cursor"], "not a cursor of this delivery log")])
        query = query.where(col(WebhookDelivery.id) < before_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    deliveries, more = page_of(session.exec(query).all(), limit)
    return DeliveryPage(
        items=_deliveries_public(session=session, deliveries=deliveries),
        next_cursor=encode_cursor(
            {"deliveries_before": deliveries[-1].id, "webhook": subscription_id}
        )
        if more
        else None,
    )


def _deliveries_public(
    *, session: Session, deliveries: Sequence[WebhookDelivery]
) -> list[DeliveryPublic]:
    history: dict[int, list[DeliveryAttemptPublic]] = {d.id: [] for d in deliveries}  # type: ignore[misc]  # SQLModel types the key optional; a stored row has one
    for attempt in session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_(list(history)))
        .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.attempt))
    ):
        history[attempt.delivery_id].append(DeliveryAttemptPublic.model_validate(attempt))
    return [
        DeliveryPublic(
            id=d.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
            event_id=d.event_id,
            event_type=cast(WebhookEvent, d.event_type),  # only events are queued
            status=cast(DeliveryStatus, d.status),  # the only values written
            attempts=d.attempts,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            delivered_at=d.delivered_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            # Personal data is not kept in the log: the contact sent is not shown.
            payload=_map_supplier(d.payload, lambda record: {**record, "contact": None}),
            history=history[d.id],  # type: ignore[index]  # SQLModel types the key optional; a stored row has one
        )
        for d in deliveries
    ]


def retry_delivery(
    *, session: Session, subscription_id: int, delivery_id: int, actor: Caller
) -> DeliveryPublic:
    """Queue a delivery again (whatever its status), due now; one more attempt if it fails."""
    subscription = _subscription(session=session, subscription_id=subscription_id, caller=actor)
    delivery = session.exec(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription.id,
        )
    ).first()
    if delivery is None:
        raise NotFound(detail=f"No delivery {delivery_id} for webhook {subscription.id}.")
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.locked_until = None
    delivery.delivered_at = None
    session.flush()
    record(
        session=session,
        actor=actor,
        action="update",
        entity="webhook",
        entity_id=subscription.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        fields=["deliveries"],
    )
    return _deliveries_public(session=session, deliveries=[delivery])[0]


# ---------------------------------------------------------------- outbox: planning


def take_plan_lock(*, session: Session) -> bool:
    """PostgreSQL: whether this transaction may fan out and scan (one worker at a time).

    SQLite needs no lock: the worker's write transactions begin with BEGIN IMMEDIATE, so
    they run one after the other.
    """
    return try_transaction_lock(session.connection(), key=_PLAN_LOCK_KEY)


def _active_subscriptions(*, session: Session, now: datetime) -> list[WebhookSubscription]:
    # Locked for the transaction, so a subscription deleted meanwhile waits for this fan-out
    # (and then fails the deliveries queued here) instead of racing it.
    return list(
        session.exec(
            select(WebhookSubscription)
            .join(ApiKey, col(ApiKey.id) == WebhookSubscription.owner_key_id)
            .where(col(WebhookSubscription.deleted_at).is_(None), _key_is_live(now))
            .order_by(col(WebhookSubscription.id))
            .with_for_update(skip_locked=True, of=WebhookSubscription)
        )
    )


def cancel_orphaned(*, session: Session, now: datetime) -> int:
    """Pending deliveries of subscriptions whose owner key was revoked or has expired fail."""
    dead_owner = (
        select(WebhookSubscription.id)
        .join(ApiKey, col(ApiKey.id) == WebhookSubscription.owner_key_id)
        .where(~_key_is_live(now))
    )
    result = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.subscription_id).in_(dead_owner),
        )
        .values(
            status="failed",
            next_attempt_at=None,
            locked_until=None,
            last_error="owner API key revoked or expired",
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]  # SQLModel types Session.execute as Result; an UPDATE gives a CursorResult


def _supplier_of(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The supplier record a delivery's payload carries (supplier events), if any."""
    data = payload.get("data")
    supplier = data.get("supplier") if isinstance(data, dict) else None
    return supplier if isinstance(supplier, dict) else None


def _map_supplier(
    payload: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """`payload` with the supplier record it carries passed through `change` (a copy)."""
    supplier = _supplier_of(payload)
    if supplier is None:
        return payload
    return {**payload, "data": {**payload["data"], "supplier": change(supplier)}}


def _queue(
    *, session: Session, subscription: WebhookSubscription, envelope: dict[str, Any], now: datetime
) -> None:
    """A delivery of the event `envelope` (see `_envelope`) to `subscription`."""
    # Stored without the contact: the current one is put in when sent (`claim_next`).
    payload = _map_supplier(envelope, without_contact)
    session.add(
        WebhookDelivery(
            subscription_id=subscription.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
            event_id=envelope["id"],
            event_type=envelope["type"],
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
    )


def fan_out(*, session: Session, now: datetime, batch: int = 500) -> tuple[int, bool]:
    """Queue deliveries for change-feed events the subscriptions have not seen yet, and move
    their cursors. Returns (deliveries queued, whether more events wait)."""
    # Cheap check first, so idle passes neither lock nor write anything.
    behind = session.scalar(
        select(func.min(WebhookSubscription.last_seq))
        .join(ApiKey, col(ApiKey.id) == WebhookSubscription.owner_key_id)
        .where(col(WebhookSubscription.deleted_at).is_(None), _key_is_live(now))
    )
    newest = session.scalar(select(func.max(ChangeEvent.seq)))
    if behind is None or newest is None or behind >= newest:
        return 0, False
    subscriptions = _active_subscriptions(session=session, now=now)
    if not subscriptions:
        return 0, False
    start = min(s.last_seq for s in subscriptions)
    events = list_changes(session=session, after=start, limit=batch, caller=_FEED_READER)
    if not events:
        return 0, False
    queued = 0
    for event, supplier in events:
        kind = f"supplier.{event.kind}"
        envelope: dict[str, Any] | None = None
        for subscription in subscriptions:
            if event.seq <= subscription.last_seq or kind not in subscription.events:  # type: ignore[operator]  # SQLModel types the key optional; a stored row has one
                continue
            if envelope is None:
                item = ChangeEventPublic.model_validate(  # the type and a stored record, checked
                    {
                        "id": str(event.seq),
                        "type": kind,
                        "occurred_at": event.occurred_at,
                        "supplier_id": event.supplier_id,
                        "version": event.version,
                        "supplier": supplier,
                    }
                ).model_dump(mode="json")
                envelope = _envelope(f"chg_{event.seq}", kind, item["occurred_at"], item)
            _queue(session=session, subscription=subscription, envelope=envelope, now=now)
            queued += 1
    last: int = events[-1][0].seq  # type: ignore[assignment]  # SQLModel types the key optional; a stored row has one
    for subscription in subscriptions:
        subscription.last_seq = max(subscription.last_seq, last)
    session.flush()
    return queued, len(events) == batch


def _envelope(event_id: str, kind: str, occurred_at: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "occurred_at": occurred_at, "data": data}


def scan_expiring(*, session: Session, now: datetime) -> tuple[int, int]:
    """Announce active certificates of live suppliers that expire within 30 days, once each.

    Returns (notices made, deliveries queued).
    """
    today = today_of(now)
    horizon = today + timedelta(days=EXPIRY_NOTICE_DAYS)
    cert = SupplierCertification.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
    notice = CertificateExpiryNotice.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
    supplier = Supplier.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
    number = func.coalesce(cert.c.certificate_number, literal(""))
    noticed = (
        select(literal(1))
        .select_from(notice)
        .where(
            notice.c.supplier_id == cert.c.supplier_id,
            notice.c.standard_code == cert.c.standard_code,
            notice.c.certificate_number == number,
            notice.c.expires_on == cert.c.expires_on,
        )
        .exists()
    )
    rows = session.execute(
        select(cert, supplier.c.name.label("supplier_name"))
        .join(supplier, supplier.c.id == cert.c.supplier_id)
        .where(
            supplier.c.deleted_at.is_(None),
            cert.c.status == "active",
            cert.c.expires_on >= today,
            cert.c.expires_on <= horizon,
            ~noticed,
        )
        .order_by(cert.c.expires_on, cert.c.id)
    ).all()
    if not rows:
        return 0, 0
    wanted = [
        s for s in _active_subscriptions(session=session, now=now) if CERTIFICATE_EVENT in s.events
    ]
    notices = queued = 0
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        key = (row.supplier_id, row.standard_code, row.certificate_number or "", row.expires_on)
        if key in seen:  # the same certificate listed twice on one profile
            continue
        seen.add(key)
        made = CertificateExpiryNotice(
            supplier_id=row.supplier_id,
            standard_code=row.standard_code,
            certificate_number=row.certificate_number or "",
            expires_on=row.expires_on,
            created_at=now,
        )
        session.add(made)
        session.flush()
        notices += 1
        envelope = _envelope(
            f"cert_{made.id}",
            CERTIFICATE_EVENT,
            now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            {
                "supplier_id": row.supplier_id,
                "supplier_name": row.supplier_name,
                "expires_on": row.expires_on.isoformat(),
                "days_left": (row.expires_on - today).days,
                "certificate": {
                    "id": row.id,
                    "standard": row.standard_code,
                    "certificate_number": row.certificate_number,
                    "issuer": row.issuer,
                    "issued_on": row.issued_on.isoformat() if row.issued_on else None,
                    "expires_on": row.expires_on.isoformat(),
                    "status": row.status,
                    "scope": row.scope,
                    "verification": row.verification,
                },
            },
        )
        for subscription in wanted:
            _queue(session=session, subscription=subscription, envelope=envelope, now=now)
            queued += 1
    session.flush()
    return notices, queued


# ---------------------------------------------------------------- outbox: sending


@dataclass(frozen=True)
class Claim:
    """A delivery a worker holds until `locked_until`, with what it needs to send it."""

    delivery_id: int
    subscription_id: int
    attempt: int
    started_at: datetime
    url: str
    body: bytes
    secret: str
    event_id: str
    event_type: str


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact JSON, UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def claim_next(
    *, session: Session, now: datetime, lease: timedelta, skip: set[int] | None = None
) -> Claim | None:
    """Take the next due delivery (PostgreSQL: rows other workers hold are skipped)."""
    query = (
        select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret)
        .join(WebhookSubscription, col(WebhookSubscription.id) == WebhookDelivery.subscription_id)
        .join(ApiKey, col(ApiKey.id) == WebhookSubscription.owner_key_id)
        .where(
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.next_attempt_at) <= now,
            or_(
                col(WebhookDelivery.locked_until).is_(None),
                col(WebhookDelivery.locked_until) <= now,
            ),
            col(WebhookSubscription.deleted_at).is_(None),
            _key_is_live(now),
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(1)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    if skip:
        query = query.where(col(WebhookDelivery.subscription_id).not_in(skip))
    found = session.exec(query).first()
    if found is None:
        return None
    delivery, url, secret = found
    delivery.attempts += 1
    delivery.locked_until = now + lease
    delivery.last_attempt_at = now
    session.flush()
    payload = delivery.payload
    supplier = _supplier_of(payload)
    if supplier is not None:  # the supplier's contact as it is now (null once deleted)
        contacts = current_contacts(session=session, ids=[supplier["id"]], caller=_FEED_READER)
        contact = contacts.get(supplier["id"])
        shown = contact.model_dump() if contact else None
        payload = _map_supplier(payload, lambda record: {**record, "contact": shown})
    return Claim(
        delivery_id=delivery.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        subscription_id=delivery.subscription_id,
        attempt=delivery.attempts,
        started_at=now,
        url=url,
        body=body_of(payload),
        secret=secret,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
    )


def backoff(*, attempts: int, settings: Settings) -> timedelta:
    """Wait before the next attempt: base doubling per attempt, up to 10% jitter, capped."""
    delay = settings.webhooks_backoff_base_seconds * 2 ** min(attempts - 1, 30)
    delay *= 1 + random.random() * 0.1
    return timedelta(seconds=min(delay, settings.webhooks_backoff_max_seconds))


def record_attempt(
    *,
    session: Session,
    claim: Claim,
    ok: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    now: datetime,
    settings: Settings,
) -> str:
    """Log the attempt and move the delivery on; returns its status (or `superseded`)."""
    delivery = session.exec(
        select(WebhookDelivery).where(WebhookDelivery.id == claim.delivery_id).with_for_update()
    ).first()
    if delivery is None:
        return "superseded"
    error = error[:500] if error else None
    session.add(
        WebhookAttempt(
            delivery_id=claim.delivery_id,
            attempt=claim.attempt,
            started_at=claim.started_at,
            duration_ms=duration_ms,
            status_code=status_code,
            error=error,
        )
    )
    # Deleted meanwhile, or the lease ran out and another worker took it over.
    if delivery.status != "pending" or delivery.attempts != claim.attempt:
        session.flush()
        return "superseded"
    delivery.last_status_code = status_code
    delivery.last_error = error
    delivery.locked_until = None
    if ok:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.webhooks_max_attempts:
        delivery.status = "failed"
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + backoff(attempts=delivery.attempts, settings=settings)
    session.flush()
    return delivery.status


def prune(*, session: Session, now: datetime, days: int, batch: int = 1000) -> int:
    """Forget delivered and failed deliveries older than `days` (and their attempts)."""
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    ids = list(
        session.exec(
            select(WebhookDelivery.id)
            .where(
                col(WebhookDelivery.status) != "pending", col(WebhookDelivery.created_at) < cutoff
            )
            .order_by(col(WebhookDelivery.id))
            .limit(batch)
        )
    )
    if ids:
        session.execute(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(ids)))
        session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)))
    return len(ids)


def today_of(now: datetime) -> date:
    return now.astimezone(UTC).date()
