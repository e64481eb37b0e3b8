"""Spec problems rendered as one line a CI log reader can act on: file, key, what is wrong, the fix."""

from __future__ import annotations

from dataclasses import dataclass

from components.errors import SpecError


@dataclass(frozen=True)
class SpecProblem:
    file: str
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}. Fix: {self.fix}"


class InvalidSpec(SpecError):
    """One or more problems in one stack file."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


FIX_SEPARATOR = " Fix: "


def fixable(message: str, fix: str) -> ValueError:
    """An error for a model validator that carries its own fix (split out again when rendering)."""
    return ValueError(f"{message}.{FIX_SEPARATOR}{fix}")
