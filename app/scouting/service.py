"""The matches of a request: ranked, filtered by the buyer's marks, paged and explained.

The matches are ranked on this worker's search index on every call (`app.scouting.ranking`);
pages, marks and responses are cut from that ranking, and only the suppliers of a page are
explained (`app.scouting.explanations`).
"""

import hashlib

import numpy as np
from sqlmodel import Session

from app.auth.caller import Caller
from app.catalogue.labels import LabelCodes, LabelKind, Language
from app.cursors import cursor_mismatch, decode_cursor, encode_cursor, page_of
from app.scouting import explanations, ranking
from app.scouting.models import ScoutingRequest
from app.scouting.requests import get_owned_request
from app.scouting.schemas import MarkFilter, MatchPage
from app.scouting.verdicts import marks_of, responses_of

# The kind of code an explanation's `code` is, by criterion (provinces are not labelled).
CRITERION_KINDS: dict[str, LabelKind] = {
    "supply_chain": "supply_chain",
    "required_capability": "capability",
    "preferred_capability": "capability",
    "required_certification": "certification",
    "certificate_lapses": "certification",
    "size_class": "size_class",
}


def _fingerprint(request: ScoutingRequest, state: str | None) -> str:
    raw = f"{request.id}|{request.version}|{state}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _after(cursor: str | None, fingerprint: str) -> tuple[float, int] | None:
    """The (-score, supplier id) position a cursor of this ranking continues after."""
    if cursor is None:
        return None
    payload = decode_cursor(cursor)
    position = (payload.get("s"), payload.get("i"))
    if (
        payload.get("f") != fingerprint
        or not isinstance(position[0], int | float)
        or not isinstance(position[1], int)
    ):
        raise cursor_mismatch()
    return -float(position[0]), position[1]


def list_matches(
    *,
    session: Session,
    request_id: int,
    caller: Caller,
    state: MarkFilter | None,
    limit: int,
    cursor: str | None,
    lang: Language,
) -> MatchPage:
    """A page of the matches of the caller's request, best first, each explained; the codes
    shown labelled."""
    request = get_owned_request(session=session, request_id=request_id, caller=caller)
    criteria = ranking.criteria_of(session=session, request=request)
    ranked = ranking.rank(session=session, criteria=criteria)
    marks = marks_of(session=session, request=request)
    responses = responses_of(session=session, request=request)
    if state is not None:
        chosen = [sid for sid, m in marks.items() if state == "unmarked" or m.state == state]
        marked = np.isin(ranked.ids, np.array(chosen, dtype=np.int64))
        ranked = ranked.where(~marked if state == "unmarked" else marked)
    fingerprint = _fingerprint(request, state)
    rows, more = page_of(ranked.page(after=_after(cursor, fingerprint), limit=limit + 1), limit)
    next_cursor = (
        encode_cursor({"f": fingerprint, "s": -rows[-1][0], "i": rows[-1][1]}) if more else None
    )
    items = explanations.explain(
        session=session,
        criteria=criteria,
        rows=rows,
        caller=caller,
        marks=marks,
        responses=responses,
    )
    codes = LabelCodes()
    for match in items:
        codes.add_supplier(match.supplier)
        for note in (*match.matched, *match.missing, *match.warnings):
            kind = CRITERION_KINDS.get(note.criterion)
            if kind is not None:
                codes.add(kind, [note.code])
            codes.add("verification", [note.verification])
    return MatchPage(
        items=items,
        total=len(ranked),
        next_cursor=next_cursor,
        labels=codes.labels(session=session, lang=lang),
    )
