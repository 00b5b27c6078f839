"""Highlights of a search hit: the matched words in `<mark>`, everything else HTML-escaped.

A word of the text is marked when its folded form starts with one of the query's prefixes
(a word's forms and those of its typo corrections and synonyms) or equals one of its whole
words (phrases, short words): the same test the index matched it with.
"""

import html
import re

from app.search.text import fold

SNIPPET_CHARACTERS = 160
ELLIPSIS = "…"
_WORD = re.compile(r"[^\W_]+")


class Marker:
    """Marks the words of a text the query matched."""

    def __init__(self, prefixes: set[str], whole: set[str]) -> None:
        self.prefixes = tuple(sorted(prefixes))
        self.whole = whole

    def matches(self, word: str) -> bool:
        folded = fold(word)
        return folded in self.whole or folded.startswith(self.prefixes)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each matched word of `text`."""
        return [m.span() for m in _WORD.finditer(text) if self.matches(m.group())]

    def mark(self, text: str, start: int = 0, end: int | None = None) -> str:
        """text[start:end], escaped, with its matched words in `<mark>`."""
        end = len(text) if end is None else end
        out, at = [], start
        for left, right in self.spans(text[start:end]):
            left, right = left + start, right + start
            out += [html.escape(text[at:left]), "<mark>", html.escape(text[left:right]), "</mark>"]
            at = right
        out.append(html.escape(text[at:end]))
        return "".join(out)

    def snippet(self, text: str, size: int = SNIPPET_CHARACTERS) -> str:
        """About `size` characters of `text` around its densest run of matched words, cut at
        word boundaries, `…` where text was left out; the beginning if nothing matched."""
        if len(text) <= size:
            return self.mark(text)
        spans = self.spans(text)
        start = 0
        if spans:
            # The window holding the most matched words, starting at one of them.
            best, count = 0, 0
            for i, (left, _right) in enumerate(spans):
                inside = sum(1 for s in spans[i:] if s[1] <= left + size)
                if inside > count:
                    best, count = i, inside
            start = spans[best][0]
            # Up to a quarter of the window of context before the first matched word.
            back = max(0, start - size // 4)
            if back > 0:
                # From the first word that starts inside the context (not one cut by it).
                whole = [
                    m.start()
                    for m in _WORD.finditer(text, back, start)
                    if m.start() > back or not text[back - 1].isalnum()
                ]
                start = whole[0] if whole else start
            else:
                start = 0
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start, end)
            end = cut if cut > start else end
        prefix = ELLIPSIS if start > 0 else ""
        suffix = ELLIPSIS if end < len(text) else ""
        return prefix + self.mark(text, start, end).strip() + suffix
