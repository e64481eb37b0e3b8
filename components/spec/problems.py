"""Spec problems rendered as one line a CI log reader can act on: file, key, what is wrong, the fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic_core import PydanticCustomError

from ssoprov.errors import SpecError


@dataclass(frozen=True)
class SpecProblem:
    file: str
    key: str
    message: str
    fix: str
    line: int | None = None
    """The line of the stack file the key is on, when the file was read."""

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.file}: {self.key}: {self.message}{where}. Fix: {self.fix}"


class InvalidSpec(SpecError):
    """One or more problems in one stack file."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


RULES_BROKEN = "ssoprov_rules"
"""The pydantic error type of `broken_rules`; its context carries the Violations."""


@dataclass(frozen=True)
class Violation:
    """A rule a model validator found broken: where (keys below the model), what is wrong, the fix."""

    at: tuple[str | int, ...]
    message: str
    fix: str


def broken_rules(violations: Sequence[Violation]) -> PydanticCustomError:
    """An error for a model validator that names each offending key, e.g. roleMappings[2].group."""
    summary = "; ".join(violation.message for violation in violations)
    context = {"summary": summary, "violations": tuple(violations)}
    return PydanticCustomError(RULES_BROKEN, "{summary}", context)


def fixable(message: str, fix: str) -> PydanticCustomError:
    """An error about the value or model being validated as a whole, carrying its own fix."""
    return broken_rules([Violation((), message, fix)])
