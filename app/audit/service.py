"""Recording and reading the audit trail."""

from collections.abc import Iterable
from datetime import datetime

from asgi_correlation_id import correlation_id
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventPublic, AuditPage
from app.auth.caller import Caller
from app.cursors import decode_cursor, encode_cursor, page_of
from app.errors import field_error, invalid


def record(
    *,
    session: Session,
    actor: Caller,
    action: str,
    entity: str,
    entity_id: int,
    fields: Iterable[str] = (),
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits or rolls back with the write)."""
    event = AuditEvent(
        key_id=actor.key_id,
        role=actor.role,
        action=action,
        entity=entity,
        entity_id=entity_id,
        fields=sorted(set(fields)),
        request_id=correlation_id.get(),
    )
    session.add(event)
    return event


_BOOKKEEPING = frozenset({"id", "version", "updated_at", "created_at", "size_class"})


def changed_fields(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Top-level fields whose value differs, bookkeeping fields left out."""
    return sorted(
        k
        for k in after
        if k not in _BOOKKEEPING and _comparable(before.get(k)) != _comparable(after[k])
    )


def given_fields(record: dict[str, object]) -> list[str]:
    """The fields a new record was given a value (`changed_fields` from nothing, cheaper)."""
    return sorted(k for k, v in record.items() if k not in _BOOKKEEPING and v is not None)


def _comparable(value: object) -> object:
    # Replaced certificates get new row ids; the same certificate again is not a change.
    if isinstance(value, list) and value and isinstance(value[0], dict) and "id" in value[0]:
        return [{k: v for k, v in item.items() if k != "id"} for item in value]
    return value


def list_events(
    *,
    session: Session,
    limit: int,
    cursor: str | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    key_id: int | None = None,
    role: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditPage:
    """A page of events, newest first, from the position of `cursor`."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit + 1)
    if cursor is not None:
        before_id = decode_cursor(cursor).get("audit_before")
        if not isinstance(before_id, int):
            raise invalid([field_error(["query", "cursor"], "not an audit cursor")])
        query = query.where(col(AuditEvent.id) < before_id)
    for column, value in (
        (AuditEvent.entity, entity),
        (AuditEvent.entity_id, entity_id),
        (AuditEvent.key_id, key_id),
        (AuditEvent.role, role),
        (AuditEvent.action, action),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(col(AuditEvent.occurred_at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.occurred_at) < until)
    events, more = page_of(session.exec(query).all(), limit)
    return AuditPage(
        items=[AuditEventPublic.model_validate(e) for e in events],
        next_cursor=encode_cursor({"audit_before": events[-1].id}) if more else None,
    )
