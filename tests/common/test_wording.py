"""Counts in messages read right for one and for many."""

from __future__ import annotations

import pytest

from ssoprov.wording import counted


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 problems"), (1, "1 problem"), (2, "2 problems")],
)
def test_the_noun_is_singular_only_for_exactly_one(count: int, expected: str) -> None:
    assert counted(count, "problem") == expected


def test_an_irregular_plural_is_used_as_given() -> None:
    assert [counted(n, "try", "tries") for n in (1, 3)] == ["1 try", "3 tries"]
