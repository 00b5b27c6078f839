"""Full-text matching, one implementation per database behind one small interface.

`match(session, q)` returns a subquery of (`id`, `rank`): the suppliers whose text matches
`q`, higher rank first. Everything else about a search (filters, facets, sorting, paging) is
shared SQL in `app.search.service`.

- PostgreSQL: `websearch_to_tsquery` in Italian and English (stemmed, accents folded) against
  the weighted, GIN-indexed `supplier_search.search_vector`; pg_trgm similarity on the folded
  name catches typos; an exact name match ranks first.
- SQLite: FTS5 ranked by bm25 with column weights (the table's `rank`, set in 0002; bm25()
  itself cannot be used once SQLite flattens the match into the page query).
  FTS5 has no Italian stemmer, so each query word is stemmed here (Snowball, Italian and
  English) and searched as a prefix of the indexed words; typos in names are found through a
  trigram FTS5 index and scored with RapidFuzz.
"""

import re
import unicodedata
from functools import lru_cache
from typing import Protocol

import snowballstemmer
from rapidfuzz import fuzz
from sqlalchemy import CTE, Float, Integer, Subquery, TextClause, bindparam, column, text
from sqlmodel import Session

EXACT_NAME_BONUS = 1000.0
MAX_TERMS = 32
PREFIX_MIN_LENGTH = 3
# Queries up to this many characters are also compared with company names for typos.
NAME_TYPO_MAX_LENGTH = 40
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")


class TextMatcher(Protocol):
    def match(
        self, *, session: Session, q: str, ranked: bool = True, alone: bool = False
    ) -> Subquery | CTE:
        """(id, rank) of matching live suppliers; with ranked=False just the ids, cheaper.

        `alone`: the match is the whole search (no other filter), so it is not joined.
        """
        ...


def fold(value: str) -> str:
    """Lower case without accents: `Qualità` -> `qualita`."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def query_words(q: str) -> list[str]:
    """The words of a query as the matchers see them: folded and split at every character
    that is not a letter or digit (`e.e.e` is three words). MAX_TERMS caps their number."""
    return _WORD.findall(fold(q))


def fuzzy_names(q: str) -> bool:
    """Whether a query is short enough to be a company name with a typo. Longer queries only
    find a name spelt exactly: comparing every name's trigrams with a long query cost seconds
    (PostgreSQL scanned all names) and never finds a name a buyer meant to type."""
    return len(fold(q).strip()) <= NAME_TYPO_MAX_LENGTH


_TSQUERY = "(websearch_to_tsquery('escouting_it', :q) || websearch_to_tsquery('escouting_en', :q))"


def _postgres_match(*, fuzzy: bool, ranked: bool) -> TextClause:
    """The PostgreSQL match: full text, plus names within a typo of `q` (`fuzzy`) or equal.

    Each name condition is a branch of its own: joined with OR, the planner gave up the
    trigram index and compared every name (1.3 s at 100,000 suppliers for a 36-letter query).
    """
    hits = (
        ["x.name_folded % escouting_fold(:q)", "escouting_fold(:q) <% x.name_folded"]
        if fuzzy
        else ["x.name_folded = escouting_fold(:q)"]  # the trigram index answers equality too
    )
    if not ranked:
        names = "".join(
            f" UNION SELECT x.supplier_id AS id FROM supplier_search x WHERE {hit}" for hit in hits
        )
        return text(
            "SELECT x.supplier_id AS id FROM supplier_search x "
            f"WHERE x.search_vector @@ {_TSQUERY}{names}"
        )
    # ts_rank, not ts_rank_cd: the same weights and term frequencies, half the cost (no
    # cover-density pass over the positions).
    name_rank = (
        "0.5 * greatest(similarity(x.name_folded, escouting_fold(:q)), "
        "word_similarity(escouting_fold(:q), x.name_folded)) "
        "+ CASE WHEN x.name_folded = escouting_fold(:q) THEN :bonus ELSE 0 END"
    )
    names = "".join(
        f" UNION ALL SELECT x.supplier_id AS id, {name_rank} AS rank "
        f"FROM supplier_search x WHERE {hit}"
        for hit in hits
    )
    return text(
        "SELECT id, max(rank) AS rank FROM ("
        f"SELECT x.supplier_id AS id, ts_rank(x.search_vector, {_TSQUERY}) AS rank "
        f"FROM supplier_search x WHERE x.search_vector @@ {_TSQUERY}{names}"
        ") AS hits GROUP BY id"
    )


class PostgresMatcher:
    # `supplier_search` (revision 0005) holds live suppliers only, with narrow rows, so a match
    # never reads `supplier`. Two index-driven branches (GIN tsvector, GIN trigram) instead of
    # one OR, so neither branch re-evaluates the other's condition row by row.
    _RANKED = {
        fuzzy: _postgres_match(fuzzy=fuzzy, ranked=True).columns(
            column("id", Integer), column("rank", Float)
        )
        for fuzzy in (True, False)
    }
    _UNRANKED = {
        fuzzy: _postgres_match(fuzzy=fuzzy, ranked=False).columns(column("id", Integer))
        for fuzzy in (True, False)
    }

    def match(
        self, *, session: Session, q: str, ranked: bool = True, alone: bool = False
    ) -> Subquery | CTE:
        fuzzy = fuzzy_names(q)
        if not ranked:
            return self._UNRANKED[fuzzy].bindparams(q=q).subquery("text_match")
        ranked_match = self._RANKED[fuzzy].bindparams(q=q, bonus=EXACT_NAME_BONUS)
        if alone:
            return ranked_match.subquery("text_match")
        # Joined with filters, ranked once up front: as a subquery, the planner may re-run it
        # per parallel worker or under a nested loop.
        return ranked_match.cte("text_match").prefix_with("MATERIALIZED")


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


def _prefixes(word: str) -> list[str]:
    """The word and its Italian and English stems, minimal set of prefixes to search.

    Words shorter than PREFIX_MIN_LENGTH are searched as they are: as a prefix, `e*` would
    make FTS5 merge the posting lists of every indexed word starting with `e`."""
    forms = {word}
    if len(word) > 3 and not word.isdigit():
        forms |= {_stemmer(lang).stemWord(word) for lang in ("italian", "english")}
    forms = {f for f in forms if len(f) >= 3 or f == word}
    return sorted(f for f in forms if not any(o != f and f.startswith(o) for o in forms))


def _prefix_term(form: str) -> str:
    return f"{_quote(form)}*" if len(form) >= PREFIX_MIN_LENGTH else _quote(form)


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def fts5_query(q: str) -> tuple[str | None, str | None]:
    """Translate web-search syntax (words, "phrases", `or`, `-exclusions`) to FTS5.

    Returns (positive query, excluded query); either may be None. Every user string is quoted,
    so no input can inject FTS5 syntax.
    """
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for negated, phrase, bare in _TOKEN.findall(fold(q))[: MAX_TERMS * 2]:
        if bare.lower() == "or" and groups:
            join_next = True
            continue
        if phrase:
            words = _WORD.findall(phrase)
            term = _quote(" ".join(words)) if words else None
        else:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            words = _WORD.findall(bare)
            term = (
                " AND ".join(
                    "(" + " OR ".join(_prefix_term(p) for p in _prefixes(w)) + ")"
                    for w in dict.fromkeys(words)
                )
                if words
                else None
            )
        if term is None:
            continue
        if negated:
            excluded.append(f"({term})")
        elif join_next:
            groups[-1].append(f"({term})")
        else:
            groups.append([f"({term})"])
        join_next = False
    # A repeated word or group adds nothing to an AND but work: each is searched once.
    alternatives = dict.fromkeys("(" + " OR ".join(g) + ")" for g in groups)
    positive = " AND ".join(list(alternatives)[:MAX_TERMS]) or None
    return positive, (" OR ".join(list(dict.fromkeys(excluded))[:MAX_TERMS]) or None)


def _trigrams(value: str) -> list[str]:
    grams = {value[i : i + 3] for i in range(len(value) - 2)}
    return sorted(g for g in grams if g.strip())[:64]


class SqliteMatcher:
    # The FTS5 tables index live suppliers only (revision 0005), so no match reads `supplier`.
    FUZZY_CANDIDATES = 200
    FUZZY_MIN_SCORE = 80.0
    RARE_GRAMS = 7

    def match(
        self, *, session: Session, q: str, ranked: bool = True, alone: bool = False
    ) -> Subquery | CTE:
        positive, excluded = fts5_query(q)
        parts: list[str] = []
        params: dict[str, object] = {}
        not_excluded = "NOT IN (SELECT rowid FROM supplier_fts WHERE supplier_fts MATCH :ex)"
        if excluded:
            params["ex"] = excluded
        if positive:
            params["positive"] = positive
            parts.append(
                "SELECT rowid AS id, "
                + ("-rank" if ranked else "0.0")
                + " AS rank FROM supplier_fts "
                "WHERE supplier_fts MATCH :positive"
                + (f" AND rowid {not_excluded}" if excluded else "")
            )
        elif excluded:
            parts.append(
                "SELECT id, 0.0 AS rank FROM supplier "
                f"WHERE deleted_at IS NULL AND id {not_excluded}"
            )
        scored = self._names(session=session, q=q)
        if scored:
            rows = ", ".join(f"(:id{i}, :rank{i})" for i in range(len(scored)))
            parts.append(f"SELECT column1 AS id, column2 AS rank FROM (VALUES {rows})")
            for i, (supplier_id, rank) in enumerate(scored):
                params[f"id{i}"], params[f"rank{i}"] = supplier_id, rank
        if not parts:
            parts.append("SELECT NULL AS id, NULL AS rank WHERE 0")
        sql = f"SELECT id, max(rank) AS rank FROM ({' UNION ALL '.join(parts)}) GROUP BY id"
        return (
            text(sql)
            .bindparams(**params)
            .columns(column("id", Integer), column("rank", Float))
            .subquery("text_match")
        )

    def __init__(self) -> None:
        self._scored: dict[str, list[tuple[int, float]]] = {}

    def _rarest(self, *, session: Session, grams: list[str]) -> list[str]:
        """The needle's trigrams that occur in names, rarest first, at most RARE_GRAMS.

        Any RARE_GRAMS distinct trigrams still find a name two edits away (an edit breaks at
        most three trigrams), and the rare ones carry nearly all of the bm25 ranking, while
        common ones ("ing", "ria") would make the index visit most suppliers.
        """
        frequency = dict(
            session.execute(
                text(
                    "SELECT term, doc FROM supplier_name_trgm_vocab WHERE term IN :grams"
                ).bindparams(bindparam("grams", expanding=True)),
                {"grams": grams},
            ).all()
        )
        present = sorted((g for g in grams if frequency.get(g)), key=lambda g: (frequency[g], g))
        return present[: self.RARE_GRAMS]

    def _names(self, *, session: Session, q: str) -> list[tuple[int, float]]:
        """Suppliers whose name equals `q` or is within a typo of it, with a rank bonus."""
        if q not in self._scored:
            self._scored[q] = self._score_names(session=session, q=q)
        return self._scored[q]

    def _exact_names(self, *, session: Session, needle: str) -> list[tuple[int, float]]:
        """Suppliers whose folded name is exactly `needle` (a long query: no typo search).
        Candidates contain the needle's longest word (the trigram index finds substrings)."""
        longest = max(needle.split(), key=len, default="")
        if len(longest) < 3:
            return []
        candidates = session.execute(
            text(
                "SELECT s.id, s.name FROM supplier_name_trgm t JOIN supplier s ON s.id = t.rowid "
                "WHERE supplier_name_trgm MATCH :word LIMIT :n"
            ),
            {"word": _quote(longest), "n": self.FUZZY_CANDIDATES},
        )
        return [
            (supplier_id, EXACT_NAME_BONUS)
            for supplier_id, name in candidates
            if " ".join(_WORD.findall(fold(name))) == needle
        ]

    def _score_names(self, *, session: Session, q: str) -> list[tuple[int, float]]:
        needle = " ".join(_WORD.findall(fold(q)))
        if not fuzzy_names(q):  # long: only a name spelt exactly
            return self._exact_names(session=session, needle=needle)
        grams = _trigrams(needle)
        if len(needle) < 4 or not grams:
            return []
        grams = self._rarest(session=session, grams=grams)
        if not grams:
            return []
        candidates = session.execute(
            text(
                "SELECT s.id, s.name FROM supplier_name_trgm t JOIN supplier s ON s.id = t.rowid "
                "WHERE supplier_name_trgm MATCH :grams ORDER BY t.rank LIMIT :n"
            ),
            {"grams": " OR ".join(_quote(g) for g in grams), "n": self.FUZZY_CANDIDATES},
        )
        scored = []
        for supplier_id, name in candidates:
            folded = " ".join(_WORD.findall(fold(name)))
            if folded == needle:
                scored.append((supplier_id, EXACT_NAME_BONUS))
                continue
            score = max(
                fuzz.ratio(folded, needle),
                fuzz.partial_ratio(needle, folded) if len(needle) >= 6 else 0.0,
            )
            if score >= self.FUZZY_MIN_SCORE:
                scored.append((supplier_id, score / 100.0))
        return scored


def matcher_for(dialect: str) -> TextMatcher:
    return PostgresMatcher() if dialect == "postgresql" else SqliteMatcher()
