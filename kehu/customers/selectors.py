"""Reads of customers, always through the user's visibility."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from kehu.accounts.models import Region, User
from kehu.accounts.permissions import customer_scope
from kehu.core.queries import get_or_404
from kehu.core.text import normalize, pinyin_full

from .models import Contact, Customer, CustomerNeed, Industry


def customer_visible(*, user: User) -> QuerySet[Customer]:
    scope = customer_scope(user)
    qs = Customer.objects.all()
    return qs if scope is None else qs.filter(scope)


def customer_get(*, user: User, pk: int | str) -> Customer:
    """The customer if ``user`` may see it; otherwise 404, so its existence is not revealed."""
    return get_or_404(customer_visible(user=user).select_related("owner__team", "region", "industry"), pk)


def search_terms(query: str) -> list[str]:
    """What to look for in ``search_text``: the words as typed, and a phone's digits."""
    text = normalize(query)
    if not text:
        return []
    terms = []
    for word in text.split(" "):
        digits = "".join(ch for ch in word if ch.isdigit())
        if digits and len(digits) >= 4 and len(digits) >= len(word) - 3:
            terms.append(digits)
        else:
            # Chinese typed: match the characters; pinyin typed: matches pinyin or initials.
            terms.append(word)
    return terms


@dataclass
class CustomerFilters:
    q: str = ""
    owner: int | None = None
    team: int | None = None
    region: int | None = None
    industry: int | None = None
    lifecycle: str = ""
    colour: str = ""
    grade: str = ""
    key_account: bool | None = None
    ordering: str = "code"


ORDERINGS = {
    "code": ("code",),
    "-code": ("-code",),
    "name": ("pinyin", "code"),
    "-name": ("-pinyin", "-code"),
    "-updated": ("-updated_at", "-id"),
    "grade": ("abc_grade", "code"),
}


def customer_list(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    qs = customer_visible(user=user)
    for term in search_terms(filters.q):
        qs = qs.filter(search_text__contains=term)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(owner__team_id=filters.team)
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    if filters.industry:
        qs = qs.filter(industry_id=filters.industry)
    if filters.lifecycle:
        qs = qs.filter(lifecycle=filters.lifecycle)
    if filters.colour:
        qs = qs.filter(colour=filters.colour)
    if filters.grade:
        qs = qs.filter(abc_grade="" if filters.grade == "-" else filters.grade)
    if filters.key_account is not None:
        qs = qs.filter(is_key_account=filters.key_account)
    order = ORDERINGS.get(filters.ordering, ORDERINGS["code"])
    return qs.select_related("owner", "region", "industry").order_by(*order)


def contact_visible(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(customer__in=customer_visible(user=user))


def build_search_text(customer: Customer, contacts: list[Contact] | None = None) -> str:
    """Everything a user may type to find a customer, lower-case, in one string."""
    if contacts is None:
        contacts = list(customer.contacts.all()) if customer.pk else []
    return search_text_of(
        code=customer.code, name=customer.name, short_name=customer.short_name, pinyin=customer.pinyin,
        initials=customer.initials, uscc=customer.uscc, phone=customer.phone, address=customer.address,
        contacts=[(c.name, c.phone, c.wechat) for c in contacts],
    )


def search_text_of(*, code: str, name: str, short_name: str, pinyin: str, initials: str, uscc: str, phone: str,
                   address: str, contacts: Iterable[tuple[str, str, str]] = ()) -> str:
    """``build_search_text`` from plain values (bulk writers have no model instances);
    contacts as (name, phone, WeChat)."""
    parts = [code, name, short_name, pinyin, initials, pinyin_full(short_name) if short_name else "", uscc,
             phone.replace("-", ""), address]
    for c_name, c_phone, c_wechat in contacts:
        parts += [c_name, pinyin_full(c_name), c_phone.replace("-", ""), c_wechat]
    return normalize(" ".join(dict.fromkeys(p for p in parts if p)))  # each word once


def contact_get(*, user: User, pk: int | str) -> Contact:
    """The contact if ``user`` may see its customer; otherwise 404."""
    return get_or_404(contact_visible(user=user).select_related("customer__owner__team"), pk)


def need_visible(*, user: User) -> QuerySet[CustomerNeed]:
    """The needs (C4) of the customers ``user`` may see."""
    return CustomerNeed.objects.filter(customer__in=customer_visible(user=user))


NEED_ORDERINGS = {
    "customer": ("customer__code", "category", "id"),
    "category": ("category", "customer__code", "id"),
    "-updated": ("-updated_at", "-id"),
}


def need_list(*, user: User, customer: int | None = None, category: str = "",
              ordering: str = "customer") -> QuerySet[CustomerNeed]:
    qs = need_visible(user=user)
    if customer:
        qs = qs.filter(customer_id=customer)
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("customer").order_by(*NEED_ORDERINGS[ordering])


def need_get(*, user: User, pk: Any) -> CustomerNeed:
    """The need if ``user`` may see its customer; otherwise 404."""
    return get_or_404(need_visible(user=user).select_related("customer__owner__team"), pk)


INDUSTRY_ORDERINGS = {"code": ("code",), "-code": ("-code",), "name": ("name", "code")}


def industry_list(*, q: str = "", sunset: bool | None = None, ordering: str = "code") -> QuerySet[Industry]:
    """Every industry; everyone signed in may read them."""
    qs = Industry.objects.all()
    if q.strip():
        q = q.strip()
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    if sunset is not None:
        qs = qs.filter(sunset=sunset)
    return qs.order_by(*INDUSTRY_ORDERINGS[ordering])


def industry_get(*, pk: Any) -> Industry:
    return get_or_404(Industry.objects, pk)


def province_regions() -> dict[str, int]:
    """The region each province belongs to: the first region, by code, that lists it."""
    out: dict[str, int] = {}
    for region in Region.objects.order_by("code"):
        for province in region.province_list():
            out.setdefault(province, region.pk)
    return out
