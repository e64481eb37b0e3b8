"""Okta's `search` filter expressions, as the Groups API takes them.

    profile.name eq "R&D \\"core\\"" and (type eq "OKTA_GROUP" or type eq "APP_GROUP")

Grammar (SCIM filtering, RFC 7644 section 3.4.2.2, the subset Okta documents for groups): an
attribute path, an operator `eq`, `sw`, `co` with a double-quoted string literal, or `pr` alone;
clauses joined by `and` (binding tighter) and `or`, grouped by parentheses. A string literal is a
JSON string: `\\"` is a quote and `\\\\` a backslash. String comparisons ignore case, as Okta's
search index does. Anything else is Okta's 400 E0000031.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from sandbox.okta import errors

Record = Mapping[str, str | None]
"""The searchable attributes of one object, by path (`profile.name`, `type`, `id`, ...)."""
Predicate = Callable[[Record], bool]

_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))')
_OPERATORS = ("eq", "sw", "co")


ALL_OPERATORS = frozenset({*_OPERATORS, "pr"})


def parse_search(
    expression: str, attributes: frozenset[str], operators: frozenset[str] = ALL_OPERATORS
) -> Predicate:
    """A predicate for `expression` over records with these `attributes`, comparing with these
    `operators` only (a list's `filter` takes fewer than a group `search`), or E0000031."""
    tokens = _tokens(expression)
    predicate, rest = _alternatives(tokens, (attributes, operators))
    if rest:
        raise errors.invalid_search()
    return predicate


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise errors.invalid_search()
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


_Grammar = tuple[frozenset[str], frozenset[str]]
"""The attributes and operators an expression may use."""


def _alternatives(tokens: list[tuple[str, str]], grammar: _Grammar) -> tuple[Predicate, list]:
    first, rest = _conjunction(tokens, grammar)
    options = [first]
    while rest and rest[0] == ("word", "or"):
        option, rest = _conjunction(rest[1:], grammar)
        options.append(option)
    return (lambda record: any(option(record) for option in options)), rest


def _conjunction(tokens: list[tuple[str, str]], grammar: _Grammar) -> tuple[Predicate, list]:
    first, rest = _clause(tokens, grammar)
    parts = [first]
    while rest and rest[0] == ("word", "and"):
        part, rest = _clause(rest[1:], grammar)
        parts.append(part)
    return (lambda record: all(part(record) for part in parts)), rest


def _clause(tokens: list[tuple[str, str]], grammar: _Grammar) -> tuple[Predicate, list]:
    attributes, operators = grammar
    if tokens[:1] == [("paren", "(")]:
        inner, rest = _alternatives(tokens[1:], grammar)
        if rest[:1] != [("paren", ")")]:
            raise errors.invalid_search()
        return inner, rest[1:]
    if len(tokens) < 2 or tokens[0][0] != "word" or tokens[0][1] not in attributes:
        raise errors.invalid_search()
    attribute, operator = tokens[0][1], tokens[1]
    if operator[0] != "word" or operator[1] not in operators:
        raise errors.invalid_search()
    if operator == ("word", "pr"):
        return (lambda record: bool(record.get(attribute))), tokens[2:]
    if len(tokens) < 3 or tokens[2][0] != "string":
        raise errors.invalid_search()
    try:
        expected = json.loads(tokens[2][1]).lower()
    except ValueError as exc:  # an escape JSON does not know, e.g. \q
        raise errors.invalid_search() from exc
    return _comparison(attribute, operator[1], expected), tokens[3:]


def _comparison(attribute: str, operator: str, expected: str) -> Predicate:
    def holds(record: Record) -> bool:
        actual = (record.get(attribute) or "").lower()
        if operator == "eq":
            return actual == expected
        if operator == "sw":
            return actual.startswith(expected)
        return expected in actual

    return holds
