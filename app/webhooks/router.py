"""Webhook subscriptions for partner systems (partner and admin keys)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.auth.caller import Caller
from app.auth.deps import require_roles
from app.config import Settings, get_settings
from app.db import SessionDep
from app.errors import problem_responses
from app.params import Limit, LogCursor
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryPage,
    DeliveryPublic,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=problem_responses(401, 403))

HookOwnerDep = Annotated[Caller, Depends(require_roles("admin", "partner"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Subscription id.")]
DeliveryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Delivery id.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=problem_responses(409),
)
def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    caller: HookOwnerDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> WebhookCreated:
    """Register a URL for events; the signing secret is shown only in this response."""
    created = service.create_subscription(
        session=session, data=body, actor=caller, settings=settings
    )
    response.headers["Location"] = str(request.url_for("get_webhook", webhook_id=created.id))
    return created


@router.get("", response_model=list[WebhookPublic])
def list_webhooks(session: SessionDep, caller: HookOwnerDep) -> list[WebhookPublic]:
    """Subscriptions of the calling key (admins: all of them)."""
    return service.list_subscriptions(session=session, caller=caller)


@router.get("/{webhook_id}", response_model=WebhookPublic, responses=problem_responses(404))
def get_webhook(webhook_id: WebhookId, session: SessionDep, caller: HookOwnerDep) -> WebhookPublic:
    """One subscription (never its secret)."""
    return service.read_subscription(session=session, subscription_id=webhook_id, caller=caller)


@router.delete(
    "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
def delete_webhook(webhook_id: WebhookId, session: SessionDep, caller: HookOwnerDep) -> Response:
    """Unsubscribe: nothing more is sent, pending deliveries are dropped."""
    service.delete_subscription(session=session, subscription_id=webhook_id, actor=caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=problem_responses(404),
)
def list_deliveries(
    webhook_id: WebhookId,
    session: SessionDep,
    caller: HookOwnerDep,
    status_: Annotated[
        DeliveryStatus | None, Query(alias="status", description="Only deliveries in this state.")
    ] = None,
    limit: Limit = 20,
    cursor: LogCursor = None,
) -> DeliveryPage:
    """The delivery log, newest first: status, attempts, answers and errors."""
    return service.list_deliveries(
        session=session,
        subscription_id=webhook_id,
        caller=caller,
        status=status_,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryPublic,
    responses=problem_responses(404),
)
def retry_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, session: SessionDep, caller: HookOwnerDep
) -> DeliveryPublic:
    """Send a delivery again as soon as the worker gets to it (e.g. after it failed)."""
    return service.retry_delivery(
        session=session, subscription_id=webhook_id, delivery_id=delivery_id, actor=caller
    )
