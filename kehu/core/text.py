"""Chinese text helpers: pinyin for search, width normalisation."""

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower-case, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def pinyin_full(text: str) -> str:
    """``中石化`` → ``zhongshihua``; Latin letters and digits kept as they are."""
    return "".join(lazy_pinyin(normalize(text), errors="default")).replace(" ", "")


def pinyin_initials(text: str) -> str:
    """``中石化`` → ``zsh``; a Latin word contributes its first letter."""
    parts = lazy_pinyin(normalize(text), style=Style.FIRST_LETTER, errors=lambda s: s.split())
    out = []
    for part in parts:
        part = part.strip()
        if part:
            out.append(part[0] if part.isalpha() and part.isascii() else part)
    return "".join(out).replace(" ", "")
