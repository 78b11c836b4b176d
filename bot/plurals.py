"""How a count reads: "1 open promise", "7 open promises", never "promise(s)". The one helper
every message uses, the domain's and the views' alike."""

from __future__ import annotations

# Nouns whose plural is not the noun plus "s".
_IRREGULAR = {"person": "people", "category": "categories", "reply": "replies", "entry": "entries"}


def plural(noun: str) -> str:
    """The plural of the last word: "open promise" -> "open promises"."""
    head, _, last = noun.rpartition(" ")
    word = _IRREGULAR.get(last, last + "s")
    return f"{head} {word}" if head else word


def counted(count: int, noun: str, many: str | None = None) -> str:
    """`count` and the noun in the number it needs: counted(1, "open case") is "1 open case",
    counted(3, "open case") is "3 open cases"; `many` when the plural is not the noun + s."""
    return f"{count} {noun if count == 1 else (many or plural(noun))}"
