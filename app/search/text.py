"""Text analysis shared by the search engine and scouting: folding, words, stems, queries.

A query is parsed once into groups of terms (`parse_query`): every group must match, a group
matches when one of its alternatives does (`or`), an alternative is a bare word or a quoted
phrase, and excluded terms (`-word`) remove suppliers. A word matches an indexed word that
starts with one of its forms (`forms`: the word and its Italian and English Snowball stems);
a phrase matches its exact words in a row. The engine (`app.search.index`) evaluates it.
"""

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

EXACT_NAME_BONUS = 1000.0
MAX_TERMS = 32
PREFIX_MIN_LENGTH = 3
# Queries up to this many characters are also compared with company names for typos.
NAME_TYPO_MAX_LENGTH = 40
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")


class _Unaccented(dict[int, str]):
    """Character -> its compatibility decomposition without combining marks, computed on first
    use (remembered for the Latin, Greek and Cyrillic blocks, where text nearly always is).
    Per character this equals decomposing the whole text, since only the marks would be
    reordered, and they are dropped."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if code < 0x0530:
            self[code] = value
        return value


_UNACCENTED = _Unaccented()


def fold(value: str) -> str:
    """Lower case without accents: `Qualità` -> `qualita`."""
    if value.isascii():
        return value.lower()
    return value.translate(_UNACCENTED).lower()


def query_words(q: str) -> list[str]:
    """The words of a query as the matchers see them: folded and split at every character
    that is not a letter or digit (`e.e.e` is three words). MAX_TERMS caps their number."""
    return _WORD.findall(fold(q))


def fuzzy_names(q: str) -> bool:
    """Whether a query is short enough to be a company name with a typo. Longer queries only
    find a name spelt exactly: comparing every name's trigrams with a long query cost seconds
    (PostgreSQL scanned all names) and never finds a name a buyer meant to type."""
    return len(fold(q).strip()) <= NAME_TYPO_MAX_LENGTH


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


def forms(word: str) -> list[str]:
    """The word and its Italian and English stems, minimal set of prefixes to search.

    Words shorter than PREFIX_MIN_LENGTH are searched as they are: as a prefix, `e*` would
    make FTS5 merge the posting lists of every indexed word starting with `e`."""
    forms = {word}
    if len(word) > 3 and not word.isdigit():
        forms |= {_stemmer(lang).stemWord(word) for lang in ("italian", "english")}
    forms = {f for f in forms if len(f) >= 3 or f == word}
    return sorted(f for f in forms if not any(o != f and f.startswith(o) for o in forms))


class Term(NamedTuple):
    """A bare word (one element) or a quoted phrase (its words in order)."""

    words: tuple[str, ...]
    phrase: bool


class ParsedQuery(NamedTuple):
    # Every group must match; a group is a list of alternatives; an alternative is a list of
    # terms that must all match (a bare token split at punctuation gives several words).
    groups: list[list[list[Term]]]
    excluded: list[list[Term]]


def parse_query(q: str) -> ParsedQuery:
    """Web-search syntax (words, "phrases", `or`, `-exclusions`) as groups of terms; repeated
    groups and exclusions count once, at most MAX_TERMS of each."""
    groups: list[list[list[Term]]] = []
    excluded: list[list[Term]] = []
    join_next = False
    for negated, phrase, bare in _TOKEN.findall(fold(q))[: MAX_TERMS * 2]:
        if bare == "or" and groups:
            join_next = True
            continue
        if phrase:
            words = tuple(_WORD.findall(phrase))
            terms = [Term(words, True)] if words else []
        else:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            terms = [Term((w,), False) for w in dict.fromkeys(_WORD.findall(bare))]
        if not terms:
            continue
        if negated:
            excluded.append(terms)
        elif join_next:
            groups[-1].append(terms)
        else:
            groups.append([terms])
        join_next = False
    unique_groups = list({repr(g): g for g in groups}.values())[:MAX_TERMS]
    unique_excluded = list({repr(t): t for t in excluded}.values())[:MAX_TERMS]
    return ParsedQuery(unique_groups, unique_excluded)


def name_needle(q: str) -> str:
    """The query as a company name is compared: its folded words, one space apart."""
    return " ".join(_WORD.findall(fold(q)))


def words_of(value: str) -> list[str]:
    """The folded words of a text, as the index stores them."""
    return _WORD.findall(fold(value))
