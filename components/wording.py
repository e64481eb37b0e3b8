"""Counts in messages: "1 problem", "3 problems", "0 problems"."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is exactly one.

    The plural defaults to the noun plus "s"; pass it for any other form ("try", "tries").
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
