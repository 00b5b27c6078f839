"""The data generation token: what the change feed's ETag and the webhook scan key read.

Triggers change the token (`app.suppliers.models.DataGeneration`) in the same transaction as
every supplier write. No per-query cache is kept on it any more: searches and scouting matches
answer from the search index (`app.search.engine`).
"""

from sqlalchemy import select
from sqlmodel import Session, col

from app.suppliers.models import DataGeneration


def data_generation(session: Session) -> int | None:
    """The current data generation token, as this transaction sees it."""
    return session.execute(
        select(col(DataGeneration.token)).where(col(DataGeneration.id) == 1)
    ).scalar_one_or_none()
