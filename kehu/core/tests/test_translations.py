"""The Chinese translation is complete, keeps its placeholders, and the committed .mo matches the .po.

The .mo is committed so a fresh machine needs no GNU gettext; these tests need none either
(stdlib only). When one fails after new strings were added:

    kehu makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'test-artifacts/*'
    (translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po, drop their ``#, fuzzy``)
    kehu compilemessages -l zh_Hans --ignore '.venv/*'

File times are deliberately not compared: git does not keep them, so after a clone the .mo may look
older than the .po while being perfectly current. The .mo is compared with the .po entry by entry
instead, which catches a stale .mo whatever the clock says.
"""

from __future__ import annotations

import gettext
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"


# --- a small .po reader ------------------------------------------------------------------------

@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index -> text; 0 for singular
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"django.po line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(token: str, where: int) -> str:
    token = token.strip()
    if len(token) < 2 or not (token.startswith('"') and token.endswith('"')):
        raise ValueError(f"django.po line {where}: not a quoted string: {token!r}")
    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), token[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file in order, the header (msgid "") first; obsolete ``#~`` entries skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field continuation lines extend
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if not text:
            finish()
            target = None
            continue
        if text.startswith("#~"):
            continue
        if text.startswith("#"):
            if current is not None and current.msgstr:  # a comment starts the next entry
                finish()
            if text.startswith("#,"):
                pending_flags |= {f.strip() for f in text[2:].split(",") if f.strip()}
            continue
        match = _KEYWORD.match(text)
        if match:
            keyword, index, token = match.groups()
            value = _unquote(token, number)
            if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
                finish()
            if current is None:
                current = Entry(line=number, flags=pending_flags)
                pending_flags = set()
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, current.line, target = value, number, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if text.startswith('"') and current is not None and target is not None:
            value = _unquote(text, number)
            name, slot = target
            if name == "msgstr":
                current.msgstr[slot] += value
            else:
                setattr(current, name, getattr(current, name) + value)
            continue
        raise ValueError(f"django.po line {number}: cannot read {raw!r}")
    finish()
    return entries


def read_mo(path: Path) -> dict[str, str]:
    """The raw key -> value table of a GNU .mo file (keys joined as msgfmt writes them)."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    assert order, f"{path} is not a GNU .mo file"
    _revision, count, keys_at, values_at = struct.unpack(order + "4I", data[4:20])
    table = {}
    for i in range(count):
        klen, kpos = struct.unpack(order + "2I", data[keys_at + 8 * i:keys_at + 8 * i + 8])
        vlen, vpos = struct.unpack(order + "2I", data[values_at + 8 * i:values_at + 8 * i + 8])
        table[data[kpos:kpos + klen].decode("utf-8")] = data[vpos:vpos + vlen].decode("utf-8")
    return table


def mo_key(entry: Entry) -> str:
    key = entry.msgid if entry.msgid_plural is None else f"{entry.msgid}\0{entry.msgid_plural}"
    return key if entry.msgctxt is None else f"{entry.msgctxt}\x04{key}"


def mo_value(entry: Entry) -> str:
    return "\0".join(entry.msgstr[i] for i in sorted(entry.msgstr))


# --- placeholders ------------------------------------------------------------------------------

_PRINTF = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[diouxXeEfFgGcrsa%])")
_BRACE = re.compile(r"(?<!\{)\{(?!\{)([^{}]*)\}(?!\})")


def placeholders(text: str, flags: set[str]) -> list[str]:
    """The format directives of a message, sorted; ``%%`` and stray ``%`` count only in python-format ones."""
    if "python-format" in flags:
        found = [m.group(0) for m in _PRINTF.finditer(text)]
        found += ["stray %"] * _PRINTF.sub("", text).count("%")
    else:
        found = [m.group(0) for m in _PRINTF.finditer(text) if m.group("conv") != "%"]
    if "python-brace-format" in flags:
        found += ["{" + m.group(1) + "}" for m in _BRACE.finditer(text)]
    return sorted(found)


# --- the tests ---------------------------------------------------------------------------------

ENTRIES = parse_po(PO_PATH)
HEADER = ENTRIES[0]
MESSAGES = ENTRIES[1:]


def test_po_has_the_header_and_messages():
    assert HEADER.msgid == "" and HEADER.msgctxt is None, "the .po must start with its header"
    assert len(MESSAGES) > 100, "the .po looks truncated"
    assert "fuzzy" not in HEADER.flags, "the header is still marked fuzzy"


def test_header_declares_chinese_plurals():
    header = dict(line.split(":", 1) for line in HEADER.msgstr[0].splitlines() if ":" in line)
    assert header.get("Plural-Forms", "").strip() == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in header.get("Content-Type", "")


def test_every_message_is_translated():
    problems = []
    for entry in MESSAGES:
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label} is marked fuzzy")
        if entry.msgid_plural is not None:
            if sorted(entry.msgstr) != [0]:
                problems.append(f"{entry.label} needs exactly one plural form, msgstr[0] (nplurals=1)")
        elif sorted(entry.msgstr) != [0]:
            problems.append(f"{entry.label} has no msgstr")
        problems += [f"{entry.label} has an empty msgstr" for text in entry.msgstr.values() if not text.strip()]
    assert not problems, "untranslated entries:\n" + "\n".join(problems)


def test_placeholders_are_kept():
    problems = []
    for entry in MESSAGES:
        wanted = placeholders(entry.msgid_plural if entry.msgid_plural is not None else entry.msgid, entry.flags)
        for index, text in entry.msgstr.items():
            got = placeholders(text, entry.flags)
            if got != wanted:
                problems.append(f"{entry.label} msgstr[{index}] has {got}, the source has {wanted}")
    assert not problems, "\n".join(problems)


def test_sentences_use_chinese_punctuation():
    """ASCII , ; : ? ! or a full stop straight after a Chinese character reads as a typo in Chinese."""
    cjk_then_ascii = re.compile(r"[\u3400-\u9fff][,;:?!]|[\u3400-\u9fff]\.(?!\w)")
    problems = [f"{e.label}: {t!r}" for e in MESSAGES for t in e.msgstr.values() if cjk_then_ascii.search(t)]
    assert not problems, "\n".join(problems)


def test_mo_is_compiled_from_this_po():
    assert MO_PATH.exists(), "django.mo is missing: run kehu compilemessages -l zh_Hans"
    compiled = read_mo(MO_PATH)
    expected = {mo_key(e): mo_value(e) for e in ENTRIES if "fuzzy" not in e.flags or e is HEADER}
    stale = sorted(k for k in expected if compiled.get(k) != expected[k] and k != "")
    extra = sorted(set(compiled) - set(expected))
    assert not stale and not extra, (
        "django.mo is out of date with django.po; run kehu compilemessages -l zh_Hans\n"
        f"changed or missing in the .mo: {stale[:20]}\nin the .mo but not the .po: {extra[:20]}"
    )


def test_mo_loads_with_the_stdlib():
    with MO_PATH.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    assert catalog.info().get("plural-forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    for entry in MESSAGES:
        if entry.msgid_plural is not None:
            for n in (1, 2, 11):
                assert catalog.ngettext(entry.msgid, entry.msgid_plural, n) == entry.msgstr[0], entry.label
        elif entry.msgctxt is not None:
            assert catalog.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr[0], entry.label
        else:
            assert catalog.gettext(entry.msgid) == entry.msgstr[0], entry.label


@pytest.mark.parametrize("source, chinese", [
    ("Line %(n)d: the quantity must be greater than zero.", "第 %(n)d 行：数量必须大于零。"),
    ("“%(value)s” is not a phone number: use an 11-digit mobile or a landline with its area code.",
     "“%(value)s”不是电话号码：请填写 11 位手机号，或带区号的座机号。"),
    ("“%(value)s” is not a phone number.", "“%(value)s”不是电话号码。"),
    ("New order", "新建订单"),
    ("Save and confirm", "保存并确认"),
    ("Confirmed", "已确认"),
    ("Customers", "客户"),
    ("Log in", "登录"),
    ("Export CSV", "导出 CSV"),
])
def test_django_serves_the_agreed_wordings(source, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(source) == chinese
