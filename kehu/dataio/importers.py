"""One importer per kind: check rows a chunk at a time and, when committing, write them in bulk.

A preview runs an importer with ``commit=False`` (reads only); the commit runs it again with
``commit=True`` inside one transaction, so the checks are the same code both times. Once any row has failed, the commit stops
writing and only goes on checking, so the user sees every error, and the caller rolls back.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.permissions import (
    assignable_owners,
    can_edit_customer,
    can_import_order_history,
    can_manage_organisation,
)
from kehu.core.text import normalize, pinyin_initials
from kehu.core.uscc import normalize_uscc
from kehu.credit.models import AuditEntry
from kehu.customers.assignment import ME, REGION, OwnerAssigner, RuleError
from kehu.customers.duplicates import company_name_key
from kehu.customers.geocoding import geocode_later
from kehu.customers.models import (
    ADDRESS_GEO_SOURCES,
    ColourGrade,
    Contact,
    Customer,
    GeoSource,
    Industry,
    Lifecycle,
    SourceMethod,
)
from kehu.customers.selectors import build_search_text, province_regions
from kehu.customers.services import customer_reserve_codes, industry_save
from kehu.ledger.models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentChannel,
    PaymentMethod,
    Product,
    ProductCategory,
    Receivable,
    Unit,
)
from kehu.ledger.rollup import sales_rollup_rebuild
from kehu.ledger.services import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    customer_apply_unallocated_payments,
    customers_promote_on_order,
    due_date,
    line_amount,
    payment_record,
)

from . import bulk as fast
from . import values as v
from .base import CustomerResolver, Importer, Row
from .limits import CreditLimitImporter
from .mapping import CREATE, Kind
from .permissions import can_import

# ── value vocabularies typed in Chinese or English ────────────────────────────────────────────

def _choices(enum: Any, extra: dict[str, str]) -> dict[str, str]:
    """Values by their codes, their labels in every language Kehu speaks (so an export in either
    imports again), and the words other systems use."""
    out = {normalize(str(value)): value for value in enum.values}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            out.update({normalize(str(label)): value for value, label in enum.choices})
    out.update({normalize(k): val for k, val in extra.items()})
    return out


SOURCE_WORDS = _choices(SourceMethod, {
    "展览会搜集法": "exhibition", "展览会": "exhibition", "展会": "exhibition",
    "特定行业开发法": "target_industry", "特定行业": "target_industry", "行业开发": "target_industry",
    "报纸过滤法": "news", "报纸": "news", "新闻": "news",
    "既有客户利用法": "previous_customers", "既有客户": "previous_customers", "老客户": "previous_customers",
    "转介绍": "referral", "介绍": "referral", "推荐": "referral",
    "来电": "inbound", "来访": "inbound", "主动咨询": "inbound", "其他": "other",
})
COLOUR_WORDS = _choices(ColourGrade, {"红": "red", "红色": "red", "成交": "red", "黄": "yellow", "黄色": "yellow",
                                      "短期有望": "yellow", "绿": "green", "绿色": "green", "潜在": "green"})
STATUS_WORDS = _choices(OrderStatus, {
    "草稿": "draft", "已确认": "confirmed", "确认": "confirmed", "已发货": "delivered", "已送货": "delivered",
    "发货": "delivered", "已开票": "invoiced", "开票": "invoiced", "已付款": "paid", "已收款": "paid",
    "已结清": "paid", "已回款": "paid", "已取消": "cancelled", "取消": "cancelled", "作废": "cancelled",
})
PAYMENT_WORDS = _choices(PaymentMethod, {"赊销": "credit", "月结": "credit", "挂账": "credit", "现金": "cash",
                                         "现款": "cash", "预付": "cash", "款到发货": "cash"})
CHANNEL_WORDS = _choices(PaymentChannel, {"银行": "bank", "转账": "bank", "银行转账": "bank", "电汇": "bank",
                                          "现金": "cash", "承兑": "acceptance", "承兑汇票": "acceptance",
                                          "银行承兑汇票": "acceptance", "其他": "other"})
CATEGORY_WORDS = _choices(ProductCategory, {
    "机油": "engine_oil", "发动机油": "engine_oil", "柴油机油": "engine_oil", "汽油机油": "engine_oil",
    "液压油": "hydraulic_oil", "齿轮油": "gear_oil", "润滑脂": "grease", "黄油": "grease",
    "工业油": "industrial_oil", "工业润滑油": "industrial_oil", "其他工业油": "industrial_oil",
    "柴油": "diesel", "汽油": "gasoline",
})
LIFECYCLE_WORDS = _choices(Lifecycle, {
    "线索": "prospect", "潜在": "prospect", "潜在客户": "prospect", "意向客户": "prospect", "意向": "prospect",
    "lead": "prospect", "成交": "customer", "成交客户": "customer", "老客户": "customer", "正式客户": "customer",
    "休眠": "dormant", "沉睡": "dormant", "流失": "lost", "流失客户": "lost",
})
UNIT_WORDS = _choices(Unit, {"升": "L", "公斤": "kg", "千克": "kg", "吨": "t", "桶": "drum", "大桶": "barrel",
                             "箱": "carton", "l": "L"})
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
# A lunar birthday: 农历八月十五, 农历 8-15, 阴历闰四月初八, lunar 8/15.
_LUNAR = re.compile(r"^(?:农历|阴历|旧历|lunar)\s*(闰)?\s*([\d一二三四五六七八九十正冬腊]{1,3})\s*[-/.月]\s*"
                    r"([\d初十廿卅一二三四五六七八九]{1,3})\s*[日号]?$", re.IGNORECASE)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _lunar_number(text: str) -> int | None:
    """``8``, ``八``, ``十二``, ``正`` (1), ``冬`` (11), ``腊`` (12), ``初八``, ``十五``, ``廿三``, ``三十``."""
    if text.isdecimal():
        return int(text)
    special = {"正": 1, "冬": 11, "腊": 12, "十": 10, "廿": 20, "卅": 30}
    if text in special:
        return special[text]
    text = text.removeprefix("初")
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    tens = {"十": 1, "廿": 2, "卅": 3}
    if text[0] in tens and len(text) == 2:
        return tens[text[0]] * 10 + _CN_DIGITS.get(text[1], 99)
    if len(text) == 2 and text[1] == "十":  # 二十, 三十
        return _CN_DIGITS.get(text[0], 99) * 10
    if len(text) == 3 and text[1] == "十":  # 二十一
        return _CN_DIGITS.get(text[0], 99) * 10 + _CN_DIGITS.get(text[2], 99)
    return None


def _industry_code(name: str) -> str:
    """A free code for an industry added by an import: its pinyin initials, numbered if taken."""
    base = (pinyin_initials(name).upper() or "IND")[:14]
    code, n = base, 1
    while Industry.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


# ── customers and prospects ─────────────────────────────────────────────────────────────────

CUSTOMER_TEXT = {"code": 40, "name": 120, "short_name": 40, "address": 200, "website": 200, "notes": 2000,
                 "contact_name": 60, "contact_title": 60, "source_detail": 200}
UPDATABLE = ["name", "short_name", "uscc", "phone", "address", "industry_id", "owner_id", "website", "notes",
             "source", "source_detail", "colour"]


@dataclass
class CustomerRow:
    row: int
    values: dict[str, Any]  # model field → value, only what the file gives
    contact: tuple[str, str, str] | None  # name, title, phone
    key: tuple


class CustomerImporter(Importer):
    kind = Kind.CUSTOMERS
    lifecycle = Lifecycle.CUSTOMER

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.owners = {u.pk: u for u in assignable_owners(self.user).select_related("team")}
        self.industries: dict[str, int] = {}
        for ind in Industry.objects.all():
            for key in (ind.code, ind.name, ind.name_en):
                if key:
                    self.industries[normalize(key)] = ind.pk
        self.region_of = province_regions()
        self.addresses = fast.Addresses()
        self.file_codes: set[str] = set()
        self.assigner: OwnerAssigner | None = None
        self.file_usccs: dict[str, int] = {}
        self.file_name_keys: dict[str, int] = {}
        self.relocated: list[int] = []  # customers written with a new address: to geocode after the commit

    def industry(self, row: int, raw: Any) -> int | None:
        """The industry a cell names, or the one the user mapped it to, or a new one they chose to add."""
        name = v.text(raw)
        found = self.industries.get(normalize(name))
        if found is not None:
            return found
        answer = self.answer("industry", raw)
        if answer and answer.isdecimal() and int(answer) in self.industries.values():
            return int(answer)
        if answer == CREATE and can_manage_organisation(self.user):
            if len(name) > 60:
                self.error(row, "industry", raw, _("Longer than %(n)d characters.") % {"n": 60})
                return None
            if not self.writing:
                return None  # it will be added when the file goes in
            industry = industry_save(user=self.user, data={"code": _industry_code(name), "name": name})
            self.industries[normalize(name)] = industry.pk
            return industry.pk
        self.unknown(row, "industry", raw, _("No such industry in Kehu's list."))
        return None

    def check_allowed(self) -> None:
        if not self.owners:
            raise PermissionDenied(_("Your role does not own customers, so it cannot import them."))
        self.assigner = None
        if self.assign or self.user.pk in self.owners:
            try:
                self.assigner = OwnerAssigner(user=self.user, rule=self.assign or ME, owners=self.owners)
            except RuleError as exc:
                raise PermissionDenied(str(exc)) from None

    def read_row(self, row: int, data: dict[str, Any]) -> CustomerRow | None:
        before = self.outcome.error_count
        out: dict[str, Any] = {}
        for name, length in CUSTOMER_TEXT.items():
            if name in self.columns and not name.startswith("contact"):
                value = self.string(row, data, name, length)
                if value:
                    out[name] = value
        if not out.get("name"):
            self.error(row, "name", data.get("name"), _("The company name is missing."))
        raw_uscc = data.get("uscc")
        if not v.is_blank(raw_uscc):
            try:
                out["uscc"] = normalize_uscc(v.text(raw_uscc))
            except ValidationError as exc:
                self.error(row, "uscc", raw_uscc, exc.messages[0])
            else:  # one company, one customer: within the file too, whatever the rows' keys
                first = self.file_usccs.setdefault(out["uscc"], row)
                if first != row:
                    self.error(row, "uscc", raw_uscc, _("Row %(row)d has this unified social credit code already.") % {"row": first})
        phone = self.parse(row, data, "phone", v.parse_phone)
        if phone:
            out["phone"] = phone
        if not v.is_blank(data.get("industry")):
            out["industry_id"] = self.industry(row, data["industry"])
        owner = self.person(row, data, "owner")
        if owner is not None:
            if owner.pk not in self.owners:
                self.error(row, "owner", data["owner"], _("You cannot import into %(name)s's book.") % {"name": owner})
            out["owner_id"] = owner.pk
        if "lifecycle" in self.columns:
            # A lead from another system with no status is a prospect: it has bought nothing yet.
            out["lifecycle"] = self.choice(row, data, "lifecycle", LIFECYCLE_WORDS) or Lifecycle.PROSPECT
        if self.kind == Kind.PROSPECTS:
            source = self.choice(row, data, "source", SOURCE_WORDS)
            if source:
                out["source"] = source
            elif v.is_blank(data.get("source")):
                self.error(row, "source", "", _("A prospect needs its source method (P1)."))
            colour = self.choice(row, data, "colour", COLOUR_WORDS)
            if colour:
                out["colour"] = colour
        contact = None
        contact_name = self.string(row, data, "contact_name", 60)
        if contact_name:
            contact = (contact_name, self.string(row, data, "contact_title", 60), phone or "")
        if out.get("code"):
            key: tuple = ("code", out["code"])
        elif out.get("uscc"):
            key = ("uscc", out["uscc"])
        else:
            key = ("name", out.get("name", ""), out.get("phone", ""))
        if self.repeated(row, key, "code" if key[0] == "code" else "uscc" if key[0] == "uscc" else "name", key[1]):
            return None
        if self.outcome.error_count > before:
            return None
        if out.get("code"):
            self.file_codes.add(out["code"])
        return CustomerRow(row, out, contact, key)

    def process(self, chunk: list[Row]) -> None:
        rows = [r for r in (self.read_row(n, d) for n, d in chunk) if r is not None]
        codes = {r.values["code"] for r in rows if "code" in r.values}
        usccs = {r.values["uscc"] for r in rows if "uscc" in r.values}
        names = {r.values["name"] for r in rows if r.key[0] == "name"}
        # Keys first (a few columns); whole customers only for the rows that match one.
        keys = list(Customer.objects.filter(Q(code__in=codes) | Q(uscc__in=usccs) | Q(name__in=names))
                    .values_list("pk", "code", "uscc", "name", "phone")) if rows else []
        by_code = {code: pk for pk, code, _u, _n, _p in keys}
        by_uscc = {uscc: (pk, code) for pk, code, uscc, _n, _p in keys if uscc}
        by_name: dict[tuple[Any, Any], int] = {(name, phone): pk for pk, _c, _u, name, phone in keys}
        matched: list[int | None] = []
        for r in rows:
            if r.key[0] == "code":
                matched.append(by_code.get(r.values["code"]))
            elif r.key[0] == "uscc":
                matched.append(by_uscc.get(r.values["uscc"], (None, ""))[0])
            else:
                matched.append(by_name.get((r.values.get("name"), r.values.get("phone", ""))))
        wanted = {pk for pk in matched if pk is not None}
        if self.assigner is not None and self.assigner.rule == REGION:
            provinces = self.addresses.parse(r.values.get("address", "") for r in rows)
        else:
            provinces = {}
        found_by_pk = {c.pk: c for c in Customer.objects.select_related("owner__team").filter(pk__in=wanted)} if wanted else {}
        contacts: dict[int, set[tuple[str, str]]] = {}
        if wanted:
            for cid, name, phone in Contact.objects.filter(customer__in=wanted).values_list("customer_id", "name", "phone"):
                contacts.setdefault(cid, set()).add((name, phone))

        creates: list[CustomerRow] = []
        updates: list[tuple[Customer, bool]] = []
        new_contacts: list[tuple[Customer | CustomerRow, tuple[str, str, str]]] = []
        lookalikes = self._lookalikes([r for r, pk in zip(rows, matched, strict=True) if pk is None])
        for r, found_pk in zip(rows, matched, strict=True):
            found = found_by_pk.get(found_pk) if found_pk is not None else None
            other_pk, other_code = by_uscc.get(r.values.get("uscc", ""), (None, ""))
            if other_pk is not None and other_pk != found_pk:
                self.error(r.row, "uscc", r.values["uscc"], _(
                    "Customer %(code)s already has this unified social credit code; one company is one customer."
                ) % {"code": other_code})
                continue
            if found is None:
                twin = lookalikes.get(r.row)
                if twin is not None:
                    self.error(r.row, "name", r.values.get("name", ""), twin)
                    continue
                if "owner_id" not in r.values:
                    if self.assigner is None:
                        self.error(r.row, "owner", "", _("Name the owner rep in an owner column, or choose who gets new customers."))
                        continue
                    parsed = provinces.get(r.values.get("address", ""))
                    r.values["owner_id"] = self.assigner.owner_for(parsed.province if parsed else "")
                owner = self.owners[r.values["owner_id"]]
                label = str(owner)
                self.outcome.assigned[label] = self.outcome.assigned.get(label, 0) + 1
                creates.append(r)
                self.outcome.created += 1
                if r.contact:
                    new_contacts.append((r, r.contact))
                continue
            if not can_edit_customer(self.user, found):
                self.error(r.row, "code" if r.key[0] == "code" else "name", r.key[1],
                           _("Customer %(code)s is in another rep's book; you cannot change it.") % {"code": found.code})
                continue
            r.values.pop("lifecycle", None)  # a stage is set when a customer comes in; later, its own rules move it
            changed = {k: val for k, val in r.values.items() if getattr(found, k) != val}
            contact_new = r.contact is not None and (r.contact[0], r.contact[2]) not in contacts.get(found.pk, set())
            if not changed and not contact_new:
                self.outcome.skipped += 1
                continue
            self.outcome.updated += 1
            address_changed = "address" in changed
            for k, val in changed.items():
                setattr(found, k, val)
            updates.append((found, address_changed))
            if contact_new and r.contact:
                new_contacts.append((found, r.contact))
                contacts.setdefault(found.pk, set()).add((r.contact[0], r.contact[2]))
        if self.writing:
            self.write(creates, updates, new_contacts)

    def finish(self) -> None:
        if self.writing:  # when the import commits, in the worker: the request never waits for the service
            geocode_later(customer_ids=self.relocated, user=self.user)

    def _lookalikes(self, rows: list[CustomerRow]) -> dict[int, str]:
        """New rows that look like a customer Kehu has (or an earlier row of the file): the same
        phone or the same company name once folded (customers.duplicates). One company is one
        customer: such a row is refused with the existing record and its owner named."""
        keys = {r.row: company_name_key(r.values.get("name", "")) for r in rows}
        phones = {r.values["phone"] for r in rows if r.values.get("phone")}
        found = list(Customer.objects.filter(Q(name_key__in={k for k in keys.values() if k}) | Q(phone__in=phones))
                     .values_list("code", "name", "name_key", "phone", "owner__display_name", "owner__username")) if rows else []
        by_key = {k: (c, n, d or u) for c, n, k, _p, d, u in found if k}
        by_phone = {p: (c, n, d or u) for c, n, _k, p, d, u in found if p}
        out: dict[int, str] = {}
        for r in rows:
            hit, reason = by_key.get(keys[r.row]), _("the same company name")
            if hit is None and r.values.get("phone"):
                hit, reason = by_phone.get(r.values["phone"]), _("the same phone")
            if hit is not None:
                out[r.row] = _("%(code)s %(name)s, owned by %(owner)s, has %(reasons)s.") % {
                    "code": hit[0], "name": hit[1], "owner": hit[2], "reasons": reason}
                continue
            first = self.file_name_keys.setdefault(keys[r.row], r.row) if keys[r.row] else r.row
            if first != r.row:
                out[r.row] = _("Row %(row)d is the same company.") % {"row": first}
        return out

    def _region(self, province: str) -> int | None:
        return self.region_of.get(province)

    def _locate(self, customers: list[Customer]) -> None:
        """As customers.services._locate does for one, for many: each distinct address parsed once."""
        parsed_of = self.addresses.parse(c.address for c in customers)
        for c in customers:
            if c.geo_source in ADDRESS_GEO_SOURCES:  # found from the old address: not this one's position
                c.lng = c.lat = None
                c.geo_source = GeoSource.NONE
            if not c.address:
                c.province = c.city = c.district = c.adcode = ""
                continue
            parsed = parsed_of[c.address]
            c.province, c.city, c.district, c.adcode = parsed.province, parsed.city, parsed.district, parsed.adcode
            if c.geo_source != GeoSource.EXACT and parsed.lng is not None:
                c.lng, c.lat, c.geo_source = parsed.lng, parsed.lat, GeoSource.DISTRICT
            if c.region_id is None and parsed.province:
                c.region_id = self._region(parsed.province)

    def write(self, creates: list[CustomerRow], updates: list[tuple[Customer, bool]],
              new_contacts: list[tuple[Any, tuple[str, str, str]]]) -> None:
        codes = iter(customer_reserve_codes(count=sum(1 for r in creates if "code" not in r.values),
                                                taken=self.file_codes))
        parsed_of = self.addresses.parse(r.values.get("address", "") for r in creates)
        now = timezone.now()
        rows: list[tuple] = []
        for r in creates:
            values = r.values
            code = values.get("code") or next(codes)
            name = values.get("name", "")
            address = values.get("address", "")
            parsed = parsed_of.get(address) if address else None
            province, city, district, adcode = (parsed.province, parsed.city, parsed.district, parsed.adcode) if parsed else ("", "", "", "")
            lng = lat = None
            geo = GeoSource.NONE
            if parsed is not None and parsed.lng is not None:
                lng, lat, geo = parsed.lng, parsed.lat, GeoSource.DISTRICT
            pinyin = fast.pinyin_full(name)[:400]
            initials = fast.pinyin_initials(name)[:120]
            phone = values.get("phone", "")
            short_name = values.get("short_name", "")
            uscc = values.get("uscc", "")
            search = fast.search_text(code=code, name=name, short_name=short_name, pinyin=pinyin, initials=initials,
                                      uscc=uscc, phone=phone, address=address,
                                      contacts=[(r.contact[0], r.contact[2], "")] if r.contact else ())
            rows.append((
                now, now, code, name, short_name, uscc, values.get("industry_id"), self._region(province) if province else None,
                values["owner_id"], phone, values.get("website", ""), address, province, city, district, adcode, lng, lat, geo,
                values.get("lifecycle") or self.lifecycle, values.get("colour", ""), values.get("source", ""), values.get("source_detail", ""),
                values.get("notes", ""), pinyin, initials, search, self.user.pk, company_name_key(name),
            ))
        ids = fast.insert_rows(Customer, NEW_CUSTOMER_COLUMNS, rows, ids=True, batch_size=1000)
        for r, pk in zip(creates, ids, strict=True):
            r.values["_pk"] = pk
            if r.values.get("address"):
                self.relocated.append(pk)
        moved = [c for c, address_changed in updates if address_changed]
        self._locate(moved)
        self.relocated += [c.pk for c in moved if c.address]
        contacts_of: dict[int, list[Contact]] = {}
        contact_rows: list[tuple] = []
        for target, (name, title, phone) in new_contacts:
            if isinstance(target, CustomerRow):
                contact_rows.append((now, now, target.values["_pk"], name, title, phone, True))
            else:
                contacts_of.setdefault(target.pk, []).append(Contact(customer=target, name=name, title=title, phone=phone))
        for c, _moved in updates:
            c.updated_at = now
            c.pinyin = fast.pinyin_full(c.name)[:400]
            c.initials = fast.pinyin_initials(c.name)[:120]
            c.search_text = build_search_text(c, contacts=list(c.contacts.all()) + contacts_of.get(c.pk, []))
            c.name_key = company_name_key(c.name)
        if updates:
            Customer.objects.bulk_update(
                [c for c, _m in updates],
                [f for f in UPDATABLE if f not in ("industry_id", "owner_id")] + [
                    "industry", "owner", "province", "city", "district", "adcode", "lng", "lat", "geo_source",
                    "region", "pinyin", "initials", "search_text", "name_key", "updated_at"],
                batch_size=500,
            )
        for group in contacts_of.values():
            for contact in group:
                contact_rows.append((now, now, contact.customer.pk, contact.name, contact.title, contact.phone, False))
        fast.insert_rows(Contact, NEW_CONTACT_COLUMNS, contact_rows, batch_size=1000)


NEW_CUSTOMER_COLUMNS = [
    "created_at", "updated_at", "code", "name", "short_name", "uscc", "industry_id", "region_id", "owner_id", "phone",
    "website", "address", "province", "city", "district", "adcode", "lng", "lat", "geo_source", "lifecycle", "colour",
    "source", "source_detail", "notes", "pinyin", "initials", "search_text", "created_by_id", "name_key",
]
NEW_CONTACT_COLUMNS = ["created_at", "updated_at", "customer_id", "name", "title", "phone", "is_primary"]


class ProspectImporter(CustomerImporter):
    kind = Kind.PROSPECTS
    lifecycle = Lifecycle.PROSPECT


# ── contacts ─────────────────────────────────────────────────────────────────────────────────

class ContactImporter(Importer):
    kind = Kind.CONTACTS

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.customers = CustomerResolver(self)

    def birthday(self, row: int, data: dict[str, Any]) -> dict[str, Any]:
        raw = data.get("birthday")
        if v.is_blank(raw):
            return {}
        lunar = _LUNAR.match(v.text(raw).strip()) if isinstance(raw, str) else None
        if lunar:
            month, day = _lunar_number(lunar.group(2)), _lunar_number(lunar.group(3))
            # A lunar month has 29 or 30 days: 三十一 / 31 is no day of it.
            if month is None or day is None or not 1 <= month <= 12 or not 1 <= day <= 30:
                self.error(row, "birthday", raw, _("“%(value)s” is not a lunar date that exists: a lunar month has "
                                                   "12 months of at most 30 days.") % {"value": v.text(raw)})
                return {}
            return {"birthday_lunar": True, "birthday_leap": bool(lunar.group(1)), "birthday_month": month,
                    "birthday_day": day}
        match = _MONTH_DAY.match(v.text(raw)) if isinstance(raw, str) else None
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            try:
                datetime.date(2000, month, day)
            except ValueError:
                self.error(row, "birthday", raw, _("“%(value)s” is not a date that exists.") % {"value": v.text(raw)})
                return {}
            return {"birthday_month": month, "birthday_day": day}
        day_value = self.parse(row, data, "birthday", v.parse_date)
        if day_value is None:
            return {}
        return {"birthday_year": day_value.year, "birthday_month": day_value.month, "birthday_day": day_value.day}

    def process(self, chunk: list[Row]) -> None:
        self.customers.prefetch(chunk)
        planned: list[tuple[int, Customer, dict[str, Any]]] = []
        for row, data in chunk:
            before = self.outcome.error_count
            customer = self.customers.get(row, data)
            name = self.string(row, data, "name", 60)
            if not name:
                self.error(row, "name", "", _("The contact's name is missing."))
            values = {
                "name": name, "title": self.string(row, data, "title", 60),
                "phone": self.parse(row, data, "phone", v.parse_phone) or "",
                "wechat": self.string(row, data, "wechat", 60), "email": self.string(row, data, "email", 254),
                "notes": self.string(row, data, "notes", 200), **self.birthday(row, data),
            }
            if values["email"] and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", values["email"]):
                self.error(row, "email", values["email"], _("“%(value)s” is not an e-mail address.") % {"value": values["email"]})
            if customer is not None and not can_edit_customer(self.user, customer):
                self.error(row, "customer_code", customer.code, _("Customer %(code)s is in another rep's book; you cannot change it.") % {"code": customer.code})
            if customer is None or self.outcome.error_count > before:
                continue
            if self.repeated(row, (customer.pk, name, values["phone"]), "name", name):
                continue
            planned.append((row, customer, values))
        existing = set(Contact.objects.filter(customer__in={c.pk for _r, c, _v in planned}).values_list("customer_id", "name", "phone"))
        new: list[Contact] = []
        for _row, customer, values in planned:
            if (customer.pk, values["name"], values["phone"]) in existing:
                self.outcome.skipped += 1
            else:
                self.outcome.created += 1
                new.append(Contact(customer=customer, **values))
        if self.writing and new:
            Contact.objects.bulk_create(new, batch_size=1000)
            touched = {c.customer_id: c.customer for c in new}
            by_customer: dict[int, list[Contact]] = {}
            for contact in Contact.objects.filter(customer__in=touched):
                by_customer.setdefault(contact.customer_id, []).append(contact)
            for pk, customer in touched.items():
                customer.search_text = build_search_text(customer, contacts=by_customer.get(pk, []))
            Customer.objects.bulk_update(list(touched.values()), ["search_text"], batch_size=500)


# ── products ─────────────────────────────────────────────────────────────────────────────────

class ProductImporter(Importer):
    kind = Kind.PRODUCTS

    def check_allowed(self) -> None:
        if not can_import(self.user, self.kind):
            raise PermissionDenied(_("Only an administrator changes the product catalogue."))

    def process(self, chunk: list[Row]) -> None:
        codes = {v.text(d.get("code")) for _n, d in chunk}
        existing = {p.code: p for p in Product.objects.filter(code__in=codes)}
        for row, data in chunk:
            before = self.outcome.error_count
            out: dict[str, Any] = {"code": self.string(row, data, "code", 40), "name": self.string(row, data, "name", 120)}
            if not out["code"]:
                self.error(row, "code", "", _("The product code is missing."))
            if not out["name"]:
                self.error(row, "name", "", _("The product name is missing."))
            for name, words in (("category", CATEGORY_WORDS), ("pack_unit", UNIT_WORDS), ("sales_unit", UNIT_WORDS)):
                value = self.choice(row, data, name, words)
                if value:
                    out[name] = value
            if "grade" in self.columns:
                out["grade"] = self.string(row, data, "grade", 60)
            price = self.parse(row, data, "list_price", v.parse_decimal)
            if price is not None:
                if price > MAX_UNIT_PRICE:
                    self.error(row, "list_price", data.get("list_price"), _("A price of %(value)s is not believable; check it.") % {"value": price})
                out["list_price"] = price
            elif v.is_blank(data.get("list_price")):
                self.error(row, "list_price", "", _("The list price is missing."))
            pack = self.parse(row, data, "pack_size", v.parse_decimal, places="0.001")
            if pack is not None:
                if pack <= 0:
                    self.error(row, "pack_size", data.get("pack_size"), _("The pack size must be greater than zero."))
                out["pack_size"] = pack
            active = self.parse(row, data, "active", v.parse_bool)
            if active is not None:
                out["active"] = active
            product = existing.get(out["code"])
            if product is None and "category" not in out:
                self.error(row, "category", data.get("category"), _("A new product needs its category."))
            if self.outcome.error_count > before or self.repeated(row, out["code"], "code", out["code"]):
                continue
            if product is None:
                self.outcome.created += 1
            elif all(getattr(product, k) == val for k, val in out.items()):
                self.outcome.skipped += 1
                continue
            else:
                self.outcome.updated += 1
            if self.writing:
                product = product or Product()
                for k, val in out.items():
                    setattr(product, k, val)
                try:
                    product.full_clean()
                except ValidationError as exc:
                    for field_name, messages in exc.message_dict.items():
                        self.error(row, field_name, data.get(field_name), " ".join(messages))
                    continue
                product.save()


# ── orders ───────────────────────────────────────────────────────────────────────────────────

@dataclass(slots=True)
class OrderState:
    row: int
    customer_id: int
    pk: int | None = None
    existing: bool = False
    status: str = OrderStatus.PAID
    order_date: datetime.date | None = None
    terms: int = 0
    lines: int = 0


ORDER_COLUMNS = ["created_at", "updated_at", "number", "customer_id", "handler_id", "order_date", "status", "payment_method",
                 "payment_terms_days", "total", "confirmed_at", "delivered_on", "invoiced_on", "cancelled_at", "notes",
                 "created_by_id"]
TOTAL = ORDER_COLUMNS.index("total")
LINE_COLUMNS = ["order_id", "product_id", "quantity", "unit_price", "amount"]


class OrderImporter(Importer):
    """Rows are order lines, grouped into orders by order number (they need not be adjacent).

    Who imports decides what the orders become (DESIGN.md: every path that makes an order count
    passes the credit check). The back office (``can_import_order_history``: credit control, admin)
    brings history in from the ERP: orders keep the status the file gives — with no status column
    they are taken as paid, settled business — and each is recorded in the audit trail as history
    brought in by that person. Everyone else's orders arrive as drafts whatever the file says, and
    count only once confirmed through the one confirm step, which checks credit (``ledger.orders_confirm``
    for many at once). Invoiced history gets its receivable, due after the customer's payment terms
    (``ledger.due_date``), paid from any money the customer has on account as the ledger pays an
    invoice; line amounts are the ledger's (``ledger.line_amount``); a prospect with history that
    counts becomes a customer (``ledger.customers_promote_on_order``).

    Each chunk's new orders and lines are written as it goes (only the orders' small state is kept);
    an order whose lines come in a later chunk has its total summed again at the end.
    """

    kind = Kind.ORDERS

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.customers = CustomerResolver(self, light=True)
        self.orders: dict[str, OrderState] = {}
        self.products_by_code: dict[str, Product] = {}
        self.products_by_name: dict[str, Product | None] = {}
        for p in Product.objects.all():
            self.products_by_code[p.code] = p
            key = normalize(p.name)
            self.products_by_name[key] = None if key in self.products_by_name else p
        self.touched_pks: set[int] = set()  # orders created in an earlier chunk that got more lines
        self.today = timezone.localdate()
        self.noons: dict[datetime.date, datetime.datetime] = {}
        self.history = can_import_order_history(self.user)

    def check_allowed(self) -> None:
        if not can_import(self.user, self.kind):
            raise PermissionDenied(_("Your role does not enter orders."))

    def product(self, row: int, data: dict[str, Any]) -> Product | None:
        code = v.text(data.get("product_code"))
        if code:
            product = self.products_by_code.get(code)
            if product is None:
                self.error(row, "product_code", code, _("No product has this code."))
            return product
        name = normalize(v.text(data.get("product_name")))
        if not name:
            self.error(row, "product_code", "", _("Name the product: its code or its name."))
            return None
        if name not in self.products_by_name:
            self.error(row, "product_name", data.get("product_name"), _("No product has this name."))
            return None
        product = self.products_by_name[name]
        if product is None:
            self.error(row, "product_name", data.get("product_name"), _("More than one product has this name; give the product code."))
        return product

    def line(self, row: int, data: dict[str, Any], product: Product | None) -> tuple[Decimal, Decimal, Decimal] | None:
        quantity = self.parse(row, data, "quantity", v.parse_decimal, places="0.001")
        price = self.parse(row, data, "unit_price", v.parse_decimal)
        amount = self.parse(row, data, "amount", v.parse_decimal)
        if quantity is None:
            if v.is_blank(data.get("quantity")):
                self.error(row, "quantity", "", _("The quantity is missing."))
            return None
        if quantity <= 0:
            self.error(row, "quantity", data.get("quantity"), _("The quantity must be greater than zero."))
            return None
        if quantity > MAX_QUANTITY:
            self.error(row, "quantity", data.get("quantity"), _("A quantity of %(q)s is not believable; check it.") % {"q": f"{quantity:,}"})
            return None
        if price is None and amount is not None:
            price = (amount / quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        elif price is None:
            if product is None:
                return None
            price = product.list_price
        if price > MAX_UNIT_PRICE:
            self.error(row, "unit_price", data.get("unit_price"), _("A price of %(value)s is not believable; check it.") % {"value": price})
            return None
        computed = line_amount(quantity=quantity, unit_price=price)
        if amount is None:
            amount = computed
        elif abs(amount - computed) > Decimal("1.00") and not v.is_blank(data.get("unit_price")):
            self.error(row, "amount", data.get("amount"), _("The amount is not the quantity times the unit price (%(value)s).") % {"value": computed})
            return None
        return quantity, price, amount

    def process(self, chunk: list[Row]) -> None:
        self.customers.prefetch(chunk)
        orders = self.orders
        now = timezone.now()
        numbers = {n for n in (v.text(d.get("number")) for _n, d in chunk) if n and n not in orders}
        in_db = dict(Order.objects.filter(number__in=numbers).values_list("number", "customer_id")) if numbers else {}
        new_orders: dict[str, list] = {}  # number → the order's row (its total at index TOTAL)
        new_lines: list[tuple[str, int, Decimal, Decimal, Decimal]] = []
        for row, data in chunk:
            before = self.outcome.error_count
            number = self.string(row, data, "number", 40)
            if not number:
                self.error(row, "number", "", _("The order number is missing."))
                continue
            customer = self.customers.get(row, data)
            state = orders.get(number)
            if customer is None:
                continue
            if state is None:
                order_date = self.parse(row, data, "order_date", v.parse_date)
                if order_date is None and v.is_blank(data.get("order_date")):
                    self.error(row, "order_date", "", _("The order date is missing."))
                elif order_date is not None and order_date > self.today + datetime.timedelta(days=366):
                    self.error(row, "order_date", data.get("order_date"), _("The order date is too far in the future."))
                status = self.choice(row, data, "status", STATUS_WORDS)
                if not self.history:
                    # Not history: a draft, whatever the file says, confirmed later through the credit check.
                    if status not in (None, OrderStatus.DRAFT) or "status" not in self.columns:
                        self.outcome.drafted += 1
                    status = OrderStatus.DRAFT
                elif status == OrderStatus.HELD:
                    self.error(row, "status", data.get("status"), _("An imported order cannot be held for credit; import it as a draft."))
                status = status or OrderStatus.PAID
                method = self.choice(row, data, "payment_method", PAYMENT_WORDS) or PaymentMethod.CREDIT
                handler = self.person(row, data, "handler")
                if self.outcome.error_count > before or order_date is None:
                    self.product(row, data)  # report the line's errors too
                    self.line(row, data, None)
                    continue
                state = OrderState(row=row, customer_id=customer.pk, status=status, order_date=order_date,
                                   terms=0 if method == PaymentMethod.CASH else customer.payment_terms_days)
                orders[number] = state
                if number in in_db:
                    state.existing = True
                    if in_db[number] != customer.pk:
                        self.error(row, "number", number, _("Order %(number)s exists already for another customer.") % {"number": number})
                else:
                    confirmed = status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)
                    noon = self.noons.get(order_date)
                    if noon is None:
                        noon = self.noons[order_date] = timezone.make_aware(datetime.datetime.combine(order_date, datetime.time(12)))
                    new_orders[number] = [
                        now, now, number, customer.pk, handler.pk if handler else customer.owner_id, order_date, status,
                        method, state.terms, Decimal("0.00"), noon if confirmed else None,
                        order_date if status in (OrderStatus.DELIVERED, OrderStatus.INVOICED, OrderStatus.PAID) else None,
                        order_date if status in (OrderStatus.INVOICED, OrderStatus.PAID) else None,
                        noon if status == OrderStatus.CANCELLED else None,
                        self.string(row, data, "notes", 200), self.user.pk,
                    ]
            elif state.customer_id != customer.pk:
                self.error(row, "customer_code", v.text(data.get("customer_code") or data.get("customer_name")),
                           _("Row %(row)d gives order %(number)s another customer.") % {"row": state.row, "number": number})
                continue
            product = self.product(row, data)
            line = self.line(row, data, product)
            if product is None or line is None or self.outcome.error_count > before:
                continue
            state.lines += 1
            if state.existing:
                self.outcome.skipped += 1
                continue
            self.outcome.created += 1
            quantity, price, amount = line
            new_lines.append((number, product.pk, quantity, price, amount))
        if not self.writing:
            return
        for number, _product, _q, _p, amount in new_lines:
            order = new_orders.get(number)
            if order is not None:
                order[TOTAL] += amount
        pks = fast.insert_rows(Order, ORDER_COLUMNS, [tuple(o) for o in new_orders.values()], ids=True)
        for number, pk in zip(new_orders, pks, strict=True):
            orders[number].pk = pk
        rows = []
        for number, product_pk, quantity, price, amount in new_lines:
            order_pk = orders[number].pk
            if number not in new_orders:
                self.touched_pks.add(order_pk)  # type: ignore[arg-type]  # saved: it has a key
            rows.append((order_pk, product_pk, quantity, price, amount))
        fast.insert_rows(OrderLine, LINE_COLUMNS, rows, batch_size=5000)

    def finish(self) -> None:
        if not self.writing:
            return
        touched = sorted(self.touched_pks)
        for start in range(0, len(touched), 1000):
            pks = touched[start:start + 1000]
            totals = dict(OrderLine.objects.filter(order_id__in=pks).values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s"))
            Order.objects.bulk_update([Order(pk=pk, total=totals[pk]) for pk in pks], ["total"])
        invoiced = [pk for s in self.orders.values() if s.pk and s.status == OrderStatus.INVOICED for pk in [s.pk]]
        invoiced_customers: set[int] = set()
        for start in range(0, len(invoiced), 2000):
            batch = Order.objects.filter(pk__in=invoiced[start:start + 2000]).values_list("pk", "customer_id", "total", "order_date", "payment_terms_days")
            Receivable.objects.bulk_create([
                Receivable(order_id=pk, customer_id=cid, amount=total, issued_on=day, due_on=due_date(issued_on=day, terms_days=terms))
                for pk, cid, total, day, terms in batch
            ])
            invoiced_customers.update(cid for _pk, cid, *_rest in batch)
        # Money already on account pays the imported invoices, as it pays an invoice made in Kehu.
        with_money = Payment.objects.filter(customer_id__in=invoiced_customers, unallocated__gt=0).values_list("customer_id", flat=True)
        for customer_id in sorted(set(with_money)):
            customer_apply_unallocated_payments(customer_id=customer_id, day=self.today)
        live = {s.customer_id for s in self.orders.values() if s.pk and s.status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)}
        sales_rollup_rebuild(customer_ids={s.customer_id for s in self.orders.values() if s.pk})  # grading's roll-up
        customers_promote_on_order(customer_ids=sorted(live))
        self.audit_history()

    def audit_history(self) -> None:
        """Each order brought in past draft is on the credit audit trail as history, with who brought it."""
        pks = [s.pk for s in self.orders.values() if s.pk and s.status != OrderStatus.DRAFT]
        for start in range(0, len(pks), 2000):
            rows = Order.objects.filter(pk__in=pks[start:start + 2000]).values_list(
                "pk", "customer_id", "number", "status", "total", "order_date")
            AuditEntry.objects.bulk_create([
                AuditEntry(user=self.user, action="order.import_history", object_type="order", object_id=pk,
                           customer_id=cid, after={"number": number, "status": status, "total": str(total),
                                                   "order_date": day.isoformat(), "source": "import"})
                for pk, cid, number, status, total, day in rows
            ], batch_size=2000)


# ── payments ─────────────────────────────────────────────────────────────────────────────────

class PaymentImporter(Importer):
    """Each new payment goes through ledger's payment_record, which pays the oldest receivables first."""

    kind = Kind.PAYMENTS

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.customers = CustomerResolver(self)
        self.today = timezone.localdate()

    def check_allowed(self) -> None:
        if not can_import(self.user, self.kind):
            raise PermissionDenied(_("Your role does not record payments."))

    def process(self, chunk: list[Row]) -> None:
        self.customers.prefetch(chunk)
        planned = []
        for row, data in chunk:
            before = self.outcome.error_count
            customer = self.customers.get(row, data)
            day = self.parse(row, data, "received_on", v.parse_date)
            if day is None and v.is_blank(data.get("received_on")):
                self.error(row, "received_on", "", _("The date the money came in is missing."))
            elif day is not None and day > self.today:
                self.error(row, "received_on", data.get("received_on"), _("A payment cannot be received in the future."))
            amount = self.parse(row, data, "amount", v.parse_decimal)
            if amount is None and v.is_blank(data.get("amount")):
                self.error(row, "amount", "", _("The amount is missing."))
            elif amount is not None and amount <= 0:
                self.error(row, "amount", data.get("amount"), _("The amount must be greater than zero."))
            channel = self.choice(row, data, "channel", CHANNEL_WORDS) or PaymentChannel.BANK
            reference = self.string(row, data, "reference", 60)
            if customer is None or self.outcome.error_count > before:
                continue
            key = (customer.pk, day, amount, reference)
            if self.repeated(row, key, "reference", reference):
                continue
            planned.append((row, customer, day, amount, channel, reference))
        existing = set(Payment.objects.filter(customer__in={p[1].pk for p in planned}).values_list("customer_id", "received_on", "amount", "reference"))
        for row, customer, day, amount, channel, reference in planned:
            if (customer.pk, day, amount, reference) in existing:
                self.outcome.skipped += 1
                continue
            self.outcome.created += 1
            if self.writing:
                try:
                    payment_record(user=self.user, customer=customer, amount=amount, received_on=day, channel=channel, reference=reference)
                except ValidationError as exc:
                    self.error(row, "amount", amount, " ".join(exc.messages))



IMPORTERS: dict[str, type[Importer]] = {
    Kind.CUSTOMERS: CustomerImporter,
    Kind.PROSPECTS: ProspectImporter,
    Kind.CONTACTS: ContactImporter,
    Kind.PRODUCTS: ProductImporter,
    Kind.ORDERS: OrderImporter,
    Kind.PAYMENTS: PaymentImporter,
    Kind.CREDIT_LIMITS: CreditLimitImporter,
}

