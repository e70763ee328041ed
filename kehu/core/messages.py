"""Sentences kept in their source words and put in the reader's language when read.

A notification is written once (by the person who acts, or by the daily job) and read later by
someone who may use Kehu in the other language. So it keeps its sentence as the source text and
its values, and is worded when shown, as the credit check's hold reasons are::

    note = message(gettext_lazy("Your plan from %(start)s was %(result)s."),
                   start="2026-12-07", result=gettext_lazy("approved"))
    note.render()        # in the active language
    note.as_json()       # {"t": "Your plan from %(start)s was %(result)s.", "p": {"start": ..., "result": {"t": "approved"}}}
    render_json(stored)  # the same sentence from what was stored, in the active language

Lazy translations (gettext_lazy, choices' labels) are kept as their source words and translated
when read; any other value (a name, a number, a date) as it is. A list of sentences reads as one,
joined by spaces; ``joined("; ", items)`` by what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

Stored = dict[str, Any]


def _source(words: Promise) -> str:
    """The words a lazy translation was made from (no language active: gettext gives them back)."""
    with translation.override(None):
        return str(words)


@dataclass(frozen=True)
class Message:
    text: str  # the source words, a %-format with named values
    params: dict[str, Any] = field(default_factory=dict)
    translate: bool = True  # False: text is already words to show as they are

    def as_json(self) -> Stored:
        out: Stored = {"t": self.text} if self.translate else {"s": self.text}
        if self.params:
            out["p"] = {k: _value_json(v) for k, v in self.params.items()}
        return out

    def render(self) -> str:
        return render_json(self.as_json())

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Joined:
    separator: str
    items: list[Any]


def joined(separator: str, items: list[Any]) -> Joined:
    """Values (sentences, names) read one after another with ``separator`` between them."""
    return Joined(separator, list(items))


def message(words: str | Promise, /, **params: Any) -> Message:
    """A sentence to word when read: ``words`` a lazy translation (else it is shown as given)."""
    if isinstance(words, Promise):
        return Message(_source(words), params)
    return Message(str(words), params, translate=False)


def _value_json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.as_json()
    if isinstance(value, Promise):
        return {"t": _source(value)}
    if isinstance(value, Joined):
        return {"j": value.separator, "l": [_value_json(v) for v in value.items]}
    if isinstance(value, (list, tuple)):
        return [_value_json(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def _render_value(value: Any) -> Any:
    if isinstance(value, dict) and "l" in value:
        return str(value.get("j", " ")).join(str(_render_value(v)) for v in value["l"])
    if isinstance(value, dict):
        return render_json(value)
    if isinstance(value, list):
        return " ".join(str(_render_value(v)) for v in value)
    return value


def render_json(stored: Stored) -> str:
    """A stored sentence in the active language. Raises ValueError for something that is not one
    (a stored sentence whose values no longer fit its words, after an upgrade, is one)."""
    if not isinstance(stored, dict) or not isinstance(stored.get("t", stored.get("s")), str):
        raise ValueError("not a stored message")
    text = gettext(stored["t"]) if "t" in stored else stored["s"]
    params = stored.get("p")
    if not params:
        return text
    try:
        return text % {k: _render_value(v) for k, v in params.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the message's values do not fit it: {exc}") from None
