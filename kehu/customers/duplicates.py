"""One company is one customer: the duplicate check at entry and in the import.

A company typed by two people rarely comes out the same: full-width or half-width brackets,
spaces, the legal form (有限公司 / 有限责任公司 / 股份有限公司 …) and the province or city in front of
the name, or in brackets inside it. ``company_name_key`` folds all of these away, so
"上海 宏达润滑油（集团）有限公司" and "宏达润滑油集团" meet on one key, kept indexed on the customer.
Two customers also match on their unified social credit code or on a phone number (the customer's
or a contact's). Prospecting's entry forms and the customers importer ask the same function.
"""

import csv
import functools
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass, field

from kehu.core.phone import normalize_phone
from kehu.core.uscc import normalize_uscc

from .models import Contact, Customer

# Longest first: 股份有限公司 before 有限公司 before 公司.
LEGAL_FORMS = sorted([
    "股份有限公司", "有限责任公司", "有限公司", "集团有限公司", "集团股份有限公司", "集团公司", "控股有限公司",
    "总公司", "分公司", "公司", "实业", "合伙企业", "个体工商户", "商行", "经营部", "门市部",
    "co., ltd.", "co.,ltd.", "co. ltd.", "co ltd", "company limited", "corporation", "corp.", "corp", "limited",
    "ltd.", "ltd", "inc.", "inc", "llc", "co.",
], key=len, reverse=True)
_SUFFIX_NOISE = ("集团", "控股", "股份", "（中国）", "(中国)", "中国")
_BRACKETED = re.compile(r"[(\[{（【〔]([^)\]}）】〕]*)[)\]}）】〕]")
_DROP = re.compile(r"[\s\-_·・,，.。、'\"“”‘’&/\\]+")
ADMIN_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区", "省", "市", "县", "区", "盟")


@functools.cache
def _place_names() -> tuple[str, ...]:
    """Province, city and district names, full and short (上海市 and 上海), longest first.

    From the same district table the address parser reads (cpca), so no hand-kept list."""
    names: set[str] = set()
    path = importlib.resources.files("cpca") / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row.get("name") or ""
            if not name or name in {"市辖区", "县"}:
                continue
            code = row.get("adcode", "")
            # Provinces and prefecture-level cities only: a district name such as 东区 is also a word.
            if not (code[2:6] == "0000" or code[4:6] == "00"):
                continue
            names.add(name)
            for suffix in ADMIN_SUFFIXES:
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    names.add(name[: -len(suffix)])
                    break
    return tuple(sorted(names, key=len, reverse=True))


def _strip_places(text: str) -> str:
    places = _place_names()
    changed = True
    while changed:
        changed = False
        for place in places:
            if text.startswith(place) and len(text) > len(place) + 1:
                text = text[len(place):]
                changed = True
                break
    return text


def company_name_key(name: str) -> str:
    """The company's name with its spelling variations folded away (for matching, never shown)."""
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    if not text:
        return ""
    # A bracket holding a place or a legal word is noise; one holding the trade name is not.
    def bracket(match: re.Match) -> str:
        inner = match.group(1).strip()
        if not inner or _strip_places(inner + "xx") == "xx" or inner in _SUFFIX_NOISE or inner in LEGAL_FORMS:
            return ""
        return inner
    text = _BRACKETED.sub(bracket, text)
    text = _DROP.sub("", text)
    for _round in range(3):
        before = text
        for form in LEGAL_FORMS:
            compact = _DROP.sub("", form)
            if text.endswith(compact) and len(text) > len(compact) + 1:
                text = text[: -len(compact)]
                break
        for noise in _SUFFIX_NOISE:
            if text.endswith(noise) and len(text) > len(noise) + 1:
                text = text[: -len(noise)]
        if text == before:
            break
    text = _strip_places(text)
    return text[:120]


class MatchReason:
    USCC = "uscc"
    PHONE = "phone"
    NAME = "name"


@dataclass
class Duplicate:
    customer_id: int
    code: str
    name: str
    owner_id: int
    owner_name: str
    lifecycle: str
    reasons: list[str] = field(default_factory=list)


def _clean(fn, raw: str) -> str:
    try:
        return fn(raw or "")
    except Exception:  # a malformed value cannot match anything; the form reports it
        return ""


def customer_duplicates(*, name: str = "", uscc: str = "", phones: list[str] | tuple[str, ...] = (),
                        exclude_pk: int | None = None, limit: int = 10) -> list[Duplicate]:
    """Existing customers (of anyone: the point is to see who has it) that look like this company.

    Reasons: the same unified social credit code, the same phone (the customer's or a contact's), or
    the same name once ``company_name_key`` has folded it. Each query is one indexed lookup."""
    found: dict[int, Duplicate] = {}

    def add(rows, reason: str) -> None:
        for pk, code, cname, owner_id, first, last, display, username, lifecycle in rows:
            dup = found.get(pk)
            if dup is None:
                owner = display or f"{first}{last}".strip() or username
                dup = found[pk] = Duplicate(pk, code, cname, owner_id, owner, lifecycle)
            if reason not in dup.reasons:
                dup.reasons.append(reason)

    fields = ("pk", "code", "name", "owner_id", "owner__first_name", "owner__last_name", "owner__display_name",
              "owner__username", "lifecycle")
    base = Customer.objects.exclude(pk=exclude_pk) if exclude_pk else Customer.objects.all()
    code = _clean(normalize_uscc, uscc)
    if code:
        add(base.filter(uscc=code).values_list(*fields)[:limit], MatchReason.USCC)
    numbers = sorted({n for n in (_clean(normalize_phone, p) for p in phones) if n})
    if numbers:
        add(base.filter(phone__in=numbers).values_list(*fields)[:limit], MatchReason.PHONE)
        via_contacts = Contact.objects.filter(phone__in=numbers).values_list("customer_id", flat=True)[:limit]
        add(base.filter(pk__in=list(via_contacts)).values_list(*fields), MatchReason.PHONE)
    key = company_name_key(name)
    if key:
        add(base.filter(name_key=key).values_list(*fields)[:limit], MatchReason.NAME)
    return list(found.values())[:limit]


def duplicate_message(dup: Duplicate) -> str:
    """“Customer KH000012 宏达润滑油有限公司 (owner 鲍勃) has the same phone.” in the reader's language."""
    from django.utils.translation import gettext as _

    words = {MatchReason.USCC: _("the same unified social credit code"), MatchReason.PHONE: _("the same phone"),
             MatchReason.NAME: _("the same company name")}
    reasons = _(" and ").join(str(words[r]) for r in dup.reasons)
    return _("%(code)s %(name)s, owned by %(owner)s, has %(reasons)s.") % {
        "code": dup.code, "name": dup.name, "owner": dup.owner_name, "reasons": reasons}

