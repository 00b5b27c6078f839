"""Text analysis shared by the search engine and scouting: folding, words, stems, queries.

A query is parsed once into groups (`parse_query`): each bare word, quoted phrase or run of
words the glossary knows is a group; `or` joins groups into one; the glossary (`Synonyms`)
adds alternatives to a group; excluded terms (`-word`) remove suppliers; stop words are left
out. A document matches when it matches one group or more, and ranks by how many (see
`app.search.index.TextMatch`). A word matches an indexed word that starts with one of its
forms (`forms`: the word and its Italian and English Snowball stems) or, from 5 letters, an
indexed word within 1 edit (2 from 9 letters); a phrase matches its exact words in a row.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer
from rapidfuzz.distance import OSA

EXACT_NAME_BONUS = 100_000.0
MAX_TERMS = 32
MAX_SYNONYMS = 12  # alternatives the glossary may add to one word or run of words
PREFIX_MIN_LENGTH = 3
# Queries up to this many characters are also compared with company names for typos.
NAME_TYPO_MAX_LENGTH = 40
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")
# Italian and English function words: left out of a query that has other words (they would
# match nearly every description), kept in phrases and in a query made of nothing else.
STOP_WORDS = frozenset(
    [
        "a",
        "ad",
        "al",
        "alla",
        "alle",
        "agli",
        "ai",
        "allo",
        "an",
        "and",
        "as",
        "at",
        "by",
        "con",
        "da",
        "dal",
        "dalla",
        "dai",
        "dalle",
        "degli",
        "dei",
        "del",
        "della",
        "delle",
        "dello",
        "di",
        "e",
        "ed",
        "for",
        "from",
        "gli",
        "i",
        "il",
        "in",
        "la",
        "le",
        "lo",
        "nel",
        "nella",
        "nelle",
        "nei",
        "of",
        "on",
        "per",
        "su",
        "sul",
        "sulla",
        "sui",
        "tra",
        "fra",
        "the",
        "to",
        "un",
        "una",
        "uno",
        "with",
    ]
)


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
    match every indexed word starting with `e`."""
    return list(_forms(word))


@lru_cache(maxsize=65536)
def _forms(word: str) -> tuple[str, ...]:
    forms = {word}
    if len(word) > 3 and not word.isdigit():
        forms |= {_stemmer(lang).stemWord(word) for lang in ("italian", "english")}
    forms = {f for f in forms if len(f) >= 3 or f == word}
    return tuple(sorted(f for f in forms if not any(o != f and f.startswith(o) for o in forms)))


def typo_budget(word: str) -> int:
    """Edits a query word may be away from an indexed word: none below 5 letters or with a
    digit (codes, part numbers), 1 from 5 letters, 2 from 9."""
    if len(word) < 5 or not word.isalpha():
        return 0
    return 1 if len(word) < 9 else 2


class Term(NamedTuple):
    """A bare word (one element) or a quoted phrase (its words in order)."""

    words: tuple[str, ...]
    phrase: bool


class Alternative(NamedTuple):
    """Terms that must all match; `synonym`: brought in by the glossary, not typed;
    `corrected`: through a glossary term within a typo of the typed word."""

    terms: tuple[Term, ...]
    synonym: bool = False
    corrected: bool = False


class ParsedQuery(NamedTuple):
    # A document matches the query when it matches one group or more (ranked by how many); a
    # group is a list of alternatives (`or`, glossary synonyms), one is enough.
    groups: list[list[Alternative]]
    excluded: list[Alternative]


class Synonyms:
    """The glossary: groups of equivalent terms (acronyms, synonyms, translations).

    A term is looked up by its key: the folded words, each longer word (5+ letters) reduced to
    its stem, so `controllo non distruttivo` finds the entry `controlli non distruttivi`."""

    def __init__(self, entries: Iterable[Sequence[str]] = ()) -> None:
        self.entries: list[list[tuple[str, ...]]] = []
        self.by_key: dict[tuple[str, ...], list[int]] = {}
        self.longest = 1
        self.words_by_length: dict[int, list[str]] = {}  # one-word terms, for typos
        for entry in entries:
            terms = list(dict.fromkeys(t for t in (tuple(words_of(term)) for term in entry) if t))
            if len(terms) < 2:
                continue
            number = len(self.entries)
            self.entries.append(terms)
            for term in terms:
                key = synonym_key(term)
                found = self.by_key.setdefault(key, [])
                if number not in found:
                    found.append(number)
                self.longest = max(self.longest, len(key))
                if len(term) == 1 and term[0] not in self.words_by_length.get(len(term[0]), ()):
                    self.words_by_length.setdefault(len(term[0]), []).append(term[0])

    def __len__(self) -> int:
        return len(self.entries)

    def alternatives(self, words: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The terms equivalent to `words` (itself excluded), glossary order."""
        found: list[tuple[str, ...]] = []
        for number in self.by_key.get(synonym_key(words), ()):
            found += [t for t in self.entries[number] if t != words and t not in found]
        return found[:MAX_SYNONYMS]

    def corrected(self, word: str) -> list[tuple[str, ...]]:
        """For a word the glossary does not know: the one-word terms within its typo budget
        (`typo_budget`), fewest edits first, and their equivalents (`cleanrom` -> `cleanroom`,
        `clean room`, `camera bianca`), at most MAX_SYNONYMS."""
        budget = typo_budget(word)
        if not budget or not self.words_by_length:
            return []
        near: list[tuple[int, str]] = []
        for length in range(len(word) - budget, len(word) + budget + 1):
            for term in self.words_by_length.get(length, ()):
                edits = OSA.distance(word, term, score_cutoff=budget)
                if 0 < edits <= budget:
                    near.append((edits, term))
        found: list[tuple[str, ...]] = []
        for _edits, term in sorted(near):
            for alternative in [(term,), *self.alternatives((term,))]:
                if alternative not in found:
                    found.append(alternative)
        return found[:MAX_SYNONYMS]


NO_SYNONYMS = Synonyms()


def synonym_key(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(_key_word(w) for w in words)


@lru_cache(maxsize=4096)
def _key_word(word: str) -> str:
    if len(word) < 5 or word.isdigit():
        return word
    return min(forms(word), key=len)


def parse_query(q: str, synonyms: Synonyms = NO_SYNONYMS) -> ParsedQuery:
    """Web-search syntax (words, "phrases", `or`, `-exclusions`) as groups; the glossary adds
    alternatives to a word or to consecutive words it knows (longest first); stop words are
    dropped unless nothing else is left. Repeated groups and exclusions count once, at most
    MAX_TERMS of each."""
    tokens: list[tuple[str, str, str]] = _TOKEN.findall(fold(q))[: MAX_TERMS * 2]
    content = [b for _n, p, b in tokens if not p and b not in STOP_WORDS and _WORD.search(b)]
    keep_stop_words = not content and not any(p for _n, p, _b in tokens)
    groups: list[list[Alternative]] = []
    excluded: list[Alternative] = []
    join_next = False
    i = 0
    while i < len(tokens):
        negated, phrase, bare = tokens[i]
        i += 1
        if bare == "or" and groups:
            join_next = True
            continue
        alternatives: list[Alternative] = []
        if phrase:
            words = tuple(_WORD.findall(phrase))
            if words:
                alternatives = [Alternative((Term(words, True),))]
        else:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            words = tuple(dict.fromkeys(_WORD.findall(bare)))
            if not negated and len(words) == 1:
                words, i = _glossary_span(tokens, i, words, synonyms)
            if words and (keep_stop_words or negated or not set(words) <= STOP_WORDS):
                alternatives = [Alternative(tuple(Term((w,), False) for w in words))]
                if not negated:
                    known = synonyms.alternatives(words)
                    alternatives += [
                        Alternative(tuple(Term((w,), False) for w in _content(alt)), synonym=True)
                        for alt in known
                    ]
                    if not known and len(words) == 1 and synonyms.by_key:
                        alternatives += [
                            Alternative(
                                tuple(Term((w,), False) for w in _content(alt)),
                                synonym=True,
                                corrected=True,
                            )
                            for alt in synonyms.corrected(words[0])
                        ]
        if not alternatives:
            continue
        if negated:
            excluded.append(alternatives[0])
        elif join_next:
            groups[-1] += alternatives
        else:
            groups.append(alternatives)
        join_next = False
    unique_groups = list({repr(g): g for g in groups}.values())[:MAX_TERMS]
    unique_excluded = list({repr(t): t for t in excluded}.values())[:MAX_TERMS]
    return ParsedQuery(unique_groups, unique_excluded)


def _content(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a glossary term without its stop words (unless it has nothing else)."""
    return tuple(w for w in words if w not in STOP_WORDS) or words


def _glossary_span(
    tokens: list[tuple[str, str, str]], after: int, words: tuple[str, ...], synonyms: Synonyms
) -> tuple[tuple[str, ...], int]:
    """The longest run of bare one-word tokens from `words` on that is a glossary term (and
    the position after it); else `words` alone."""
    run = list(words)
    for negated, phrase, bare in tokens[after : after + synonyms.longest - 1]:
        found = _WORD.findall(bare)
        if phrase or negated or bare == "or" or bare.startswith("-") or len(found) != 1:
            break
        run.append(found[0])
    for size in range(len(run), 1, -1):
        if synonym_key(run[:size]) in synonyms.by_key:
            return tuple(run[:size]), after + size - 1
    return words, after


def name_needle(q: str) -> str:
    """The query as a company name is compared: its folded words, one space apart."""
    return " ".join(_WORD.findall(fold(q)))


def words_of(value: str) -> list[str]:
    """The folded words of a text, as the index stores them."""
    return _WORD.findall(fold(value))
