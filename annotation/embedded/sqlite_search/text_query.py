"""Translate the text query the Argilla UI sends (Elasticsearch ``simple_query_string`` syntax:
words ANDed, ``"a phrase"``, ``prefix*``, ``-excluded``, ``a | b``) into FTS5 MATCH expressions.

Every term is quoted before it reaches FTS5, so no user input is ever parsed as FTS5 syntax.
Accents and case are folded by the index's ``unicode61 remove_diacritics 2`` tokenizer, on the
query as on the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'(?P<neg>-)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"|+()~]+))|(?P<or>\|)')
_WORDISH = re.compile(r"\w")


@dataclass(frozen=True)
class FtsQuery:
    """``include``: what a record must match (None: everything); ``exclude``: what it must not."""

    include: str | None
    exclude: str | None


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _term(text: str) -> str | None:
    prefix = text.endswith("*")
    text = text.rstrip("*").strip()
    if not _WORDISH.search(text):
        return None
    return _quote(text) + (" *" if prefix else "")


def to_fts(q: str) -> FtsQuery:
    """Parse ``q``; an empty or punctuation-only query matches everything."""
    groups: list[list[str]] = [[]]
    excluded: list[str] = []
    for match in _TOKEN.finditer(q):
        if match["or"]:
            if groups[-1]:
                groups.append([])
            continue
        term = _term(match["phrase"] if match["phrase"] is not None else match["word"])
        if term is None:
            continue
        (excluded if match["neg"] else groups[-1]).append(term)
    alternatives = ["(" + " AND ".join(group) + ")" for group in groups if group]
    include = " OR ".join(alternatives) if alternatives else None
    exclude = " OR ".join(excluded) if excluded else None
    return FtsQuery(include=include, exclude=exclude)
