"""Chinese text helpers: pinyin for search, width normalisation.

Pinyin is made per run of Chinese characters (and per run of everything between them), each run
remembered: a company name's words recur across thousands of customers, so imports and the demo
build convert each once. pypinyin segments phrases within a run, so the result is the same as
converting the whole text.
"""

import datetime
import functools
import re
import unicodedata

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import RE_HANS

_SPACES = re.compile(r"\s+")
_RUNS = re.compile("(" + RE_HANS.pattern.removeprefix("^").removesuffix("$") + ")")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower-case, single spaces."""
    if not text:
        return ""
    if not text.isascii():  # NFKC leaves ASCII as it is
        text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text).strip().lower()


def _runs(text: str) -> list[str]:
    """Chinese runs at odd positions, everything between them at even ones (possibly empty)."""
    return _RUNS.split(text)


def _initials_other(run: str) -> str:
    """Initials of a run with no Chinese in it, as pypinyin gives them: a Latin word's first letter,
    anything else (digits, codes, symbols) whole."""
    return "".join(w[0] if w.isalpha() and w.isascii() else w for w in run.split())


@functools.lru_cache(maxsize=100_000)
def _full_run(run: str) -> str:
    return "".join(lazy_pinyin(run, errors="default"))


@functools.lru_cache(maxsize=100_000)
def _initials_run(run: str) -> str:
    out = []
    for part in lazy_pinyin(run, style=Style.FIRST_LETTER, errors=lambda s: s.split()):  # type: ignore[arg-type, return-value]  # pypinyin also takes a list
        part = part.strip()
        if part:
            out.append(part[0] if part.isalpha() and part.isascii() else part)
    return "".join(out)


def pinyin_full(text: str) -> str:
    """``中石化`` → ``zhongshihua``; Latin letters and digits kept as they are."""
    runs = _runs(normalize(text))
    return "".join(_full_run(run) if i % 2 else run for i, run in enumerate(runs)).replace(" ", "")


def pinyin_initials(text: str) -> str:
    """``中石化`` → ``zsh``; a Latin word contributes its first letter."""
    runs = _runs(normalize(text))
    return "".join(_initials_run(run) if i % 2 else _initials_other(run) for i, run in enumerate(runs)).replace(" ", "")


def cell_text(value: object) -> str:
    """A cell as text: numbers without a trailing .0, full-width folded, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if type(value) is str and value.isascii():  # NFKC leaves ASCII as it is
        return value.strip()
    return unicodedata.normalize("NFKC", str(value)).strip()
