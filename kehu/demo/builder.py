"""Builds the demo company: people, catalogue, customers and prospects, two years of sales, and
the credit that lets customers buy on terms (investigations, approved applications, limits: see
``credit.py``).

Deterministic: every random draw comes from ``random.Random`` seeded with the build's seed (one
generator per phase, so a change in one phase does not reshuffle the others), and nothing
depends on the clock except ``today``, which callers may fix.

Fast: rows are made in memory, already consistent (order totals are the sum of their lines,
receivables are never overpaid, order statuses match their receivables), numbered by the builder
and loaded with COPY on PostgreSQL or batched INSERTs elsewhere — never one save per row. The
search columns (pinyin, initials, search_text) and the parsed address come from the same helpers
the customer services use, so a demo customer looks exactly like one typed in.
"""

import bisect
import datetime
import math
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from kehu.accounts.models import Region, Role, Team, User
from kehu.core.geo import ParsedAddress, parse_addresses
from kehu.core.text import pinyin_full, pinyin_initials
from kehu.core.uscc import ALPHABET, check_char
from kehu.customers.duplicates import company_name_key
from kehu.customers.models import (
    ColourGrade,
    Contact,
    Customer,
    CustomerCodeSequence,
    CustomerNeed,
    GeoSource,
    Industry,
    Lifecycle,
    PursuitDecision,
    SourceMethod,
)
from kehu.customers.selectors import build_search_text
from kehu.ledger.models import (
    NumberSequence,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Product,
    Receivable,
)
from kehu.ledger.rollup import sales_rollup_rebuild

from . import data
from .bulk import DemoBuildError, Progress, TableWriter, fast_load, next_id, reset_sequences
from .credit import CREDIT_MODELS, ensure_policy, make_credit
from .models import DemoBuild

CUSTOMER_CODE_PREFIX = "KH"
DEFAULT_CUSTOMERS = 2000
LINES_PER_CUSTOMER = 50
# Customers' sizes are lognormal with this spread; with the industries' sizes, fuel buyers and
# customers lost along the way, about the top fifth of customers make four fifths of sales, as
# the handbook's ABC rule (C1) expects.
SIZE_SIGMA = 0.9
# Lines per order: 1 to 8, mostly 1 to 3.
LINES_PER_ORDER = [1] * 30 + [2] * 25 + [3] * 18 + [4] * 12 + [5] * 8 + [6] * 5 + [8] * 2
SEASON = {1: 0.85, 2: 0.55, 3: 1.05, 4: 1.1, 5: 1.1, 6: 1.05, 7: 0.95, 8: 0.95, 9: 1.1, 10: 0.95, 11: 1.1, 12: 1.15}
TERMS = ((0, 20), (30, 35), (45, 15), (60, 20), (90, 10))
# The tables the builder fills in bulk.
LOADED = (Customer, Contact, CustomerNeed, Order, OrderLine, Receivable, Payment, PaymentAllocation) + CREDIT_MODELS
PROGRESS_PHASES = {
    "people": 0.02, "customers": 0.18, "orders": 0.54, "payments": 0.12, "cards": 0.09, "credit": 0.03, "finish": 0.02,
}


def default_prospects(customers: int) -> int:
    return max(30, round(customers * 300 / DEFAULT_CUSTOMERS))


def default_order_lines(customers: int) -> int:
    return customers * LINES_PER_CUSTOMER


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 2026
    customers: int = DEFAULT_CUSTOMERS
    prospects: int | None = None
    order_lines: int | None = None
    months: int = 24
    today: datetime.date | None = None

    def resolved(self) -> "DemoOptions":
        today = self.today or timezone.localdate()
        prospects = default_prospects(self.customers) if self.prospects is None else self.prospects
        lines = default_order_lines(self.customers) if self.order_lines is None else self.order_lines
        return DemoOptions(self.seed, self.customers, prospects, lines, self.months, today)


@dataclass
class DemoSummary:
    customers: int = 0
    prospects: int = 0
    contacts: int = 0
    orders: int = 0
    order_lines: int = 0
    receivables: int = 0
    payments: int = 0
    credit_limits: int = 0  # customers on credit, each with an approved limit
    sales_total: Decimal = Decimal("0.00")
    outstanding: Decimal = Decimal("0.00")
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def build_demo(options: DemoOptions, *, progress: Progress | None = None) -> DemoSummary:
    """Add the demo company to the database, in one transaction."""
    options = options.resolved()
    assert options.prospects is not None and options.order_lines is not None and options.today is not None
    if options.customers < 1:
        raise DemoBuildError("The demo needs at least one customer.")
    if options.order_lines < options.customers:
        raise DemoBuildError("Give at least one order line per customer (--order-lines ≥ --customers).")
    if options.months < 1:
        raise DemoBuildError("The demo needs at least one month of orders.")
    started = time.monotonic()
    progress = progress or Progress(None)
    progress.phases = progress.phases or PROGRESS_PHASES
    with transaction.atomic():
        builder = _Builder(options, progress)
        summary = builder.run()
        summary.seconds = time.monotonic() - started
        DemoBuild.objects.create(
            seed=options.seed, customers=options.customers, prospects=options.prospects,
            order_lines=options.order_lines, months=options.months, today=options.today,
            seconds=round(summary.seconds, 1),
        )
    summary.seconds = time.monotonic() - started  # with the commit
    progress.close()
    return summary


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def _cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def _quantity(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}"


def _round_half_even(numerator: int, denominator: int) -> int:
    """Round numerator/denominator as Decimal.quantize does by default (half to even)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = remainder * 2
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


class _WeightedChoice:
    """rng.choices for one item, with the cumulative weights computed once."""

    def __init__(self, items: list, weights: list[float]) -> None:
        self.items = items
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


@dataclass
class _Product:
    pk: int
    sales_unit: str
    pack_size: str
    price_cents: int
    fuel: bool


@dataclass
class _Account:
    """What the order generator needs to know about one customer."""

    pk: int
    code: str
    owner_id: int
    region: int
    size: float
    factor: float  # quantity multiplier, about 1 for a median customer
    terms: int
    behaviour: str  # good, slow, bad
    pay_day: int  # day of month a monthly payer pays; 0 = pays each invoice
    discount: float
    mix: list[int] = field(default_factory=list)  # indexes into the product list, repeated by weight
    start: int = 0  # date ordinals of the window the customer ordered in
    end: int = 0
    prospect: bool = False


class _Builder:
    def __init__(self, options: DemoOptions, progress: Progress) -> None:
        self.o = options
        self.today: datetime.date = options.today  # type: ignore[assignment]
        self.today_ord = self.today.toordinal()
        self.first_day = add_months(self.today, -options.months) + datetime.timedelta(days=1)
        self.progress = progress
        self.tz = timezone.get_default_timezone() if settings.USE_TZ else None
        self._stamps: dict[tuple[int, int], datetime.datetime] = {}
        self.summary = DemoSummary()

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"kehu-demo:{self.o.seed}:{phase}")

    def stamp(self, ordinal: int, hour: int = 10) -> datetime.datetime:
        """A timestamp on a given day, cached: there are only a few thousand distinct ones."""
        key = (ordinal, hour)
        value = self._stamps.get(key)
        if value is None:
            day = datetime.date.fromordinal(ordinal)
            value = datetime.datetime(day.year, day.month, day.day, hour, (ordinal * 7 + hour * 13) % 60, tzinfo=self.tz)
            self._stamps[key] = value
        return value

    # -- the organisation and the catalogue ------------------------------------------------------

    def run(self) -> DemoSummary:
        self.progress.phase("people", "people and products", 1)
        self.make_people()
        self.make_catalogue()
        ensure_policy()
        with fast_load(LOADED):
            self.make_customers()
            self.make_orders()
            self.make_payments()
            self.write_customers()
            make_credit(self)
            self.progress.phase("finish", "indexes, keys and statistics", 1)
        self.finish()
        sales_rollup_rebuild()  # the orders went in by bulk load, past the ledger's services
        return self.summary

    def make_people(self) -> None:
        self.regions: dict[str, Region] = {}
        for spec in data.REGIONS:
            region, _ = Region.objects.get_or_create(
                code=spec.code, defaults={"name": spec.name, "provinces": ",".join(p for p, _ in spec.provinces)}
            )
            self.regions[spec.code] = region
        users: dict[str, User] = {}
        rng = self.rng("people")
        password = make_password(data.DEMO_PASSWORD)  # hashed once: Argon2 is slow on purpose
        for person in data.USERS:
            phone = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            user, created = User.objects.get_or_create(username=person.username)
            if created:  # people who exist already (a second build, --force) are left as they are
                user.display_name = person.display_name
                user.role = person.role
                user.approval_limit = Decimal(person.approval_limit)
                user.is_staff = person.superuser
                user.is_superuser = person.superuser
                user.email = f"{person.username}@demo.kehu.example"
                user.phone = phone
                user.password = password
                user.save()
            users[person.username] = user
        self.teams: dict[str, Team] = {}
        for spec in data.REGIONS:
            team, _ = Team.objects.get_or_create(
                name=spec.team, defaults={"region": self.regions[spec.code], "supervisor": users[spec.supervisor]}
            )
            self.teams[spec.code] = team
        for person in data.USERS:
            user = users[person.username]
            if person.region and user.team_id is None:
                user.team = self.teams[person.region]
                user.save(update_fields=["team"])
        self.users = users
        # Each region's customers go to its reps, a few to the supervisor who handles them himself.
        self.owners: dict[str, _WeightedChoice] = {}
        for spec in data.REGIONS:
            reps = [users[u.username] for u in data.USERS if u.role == Role.REP and u.region == spec.code]
            people = [users[spec.supervisor].pk] + [r.pk for r in reps]
            weights = [0.4] + [rng.uniform(0.8, 1.3) for _ in reps]
            self.owners[spec.code] = _WeightedChoice(people, weights)

    def make_catalogue(self) -> None:
        self.industries: list[Industry] = []
        for spec in data.INDUSTRIES:
            industry, _ = Industry.objects.get_or_create(
                code=spec.code, defaults={"name": spec.name, "name_en": spec.name_en, "sunset": spec.sunset}
            )
            self.industries.append(industry)
        self.products: list[_Product] = []
        self.product_variants: dict[str, list[int]] = {}  # product key → indexes into self.products
        for item in data.PRODUCTS:
            for suffix, pack_size, pack_unit, sales_unit, price in item.packs:
                unit_name = {"barrel": "桶", "drum": "桶", "t": "吨"}[sales_unit]
                name = item.name if sales_unit == "t" else f"{item.name} {suffix}/{unit_name}"
                product, _ = Product.objects.get_or_create(
                    code=f"{item.key}-{suffix}".upper(),
                    defaults={
                        "name": name, "category": item.category, "grade": item.grade,
                        "pack_size": Decimal(pack_size), "pack_unit": pack_unit, "sales_unit": sales_unit,
                        "list_price": data.money(price),
                    },
                )
                self.product_variants.setdefault(item.key, []).append(len(self.products))
                self.products.append(
                    _Product(product.pk, sales_unit, pack_size, price * 100, item.category in {"diesel", "gasoline"})
                )

    # -- customers and prospects -----------------------------------------------------------------

    def _places(self) -> dict[str, _WeightedChoice]:
        """Per province, a weighted choice of districts: big cities draw three times as many."""
        out = {}
        for spec in data.REGIONS:
            for province, _share in spec.provinces:
                found = data.districts(province)
                per_city: dict[str, int] = {}
                for d in found:
                    per_city[d.city] = per_city.get(d.city, 0) + 1
                weights = [(3.0 if d.city in data.BIG_CITIES else 1.0) / per_city[d.city] for d in found]
                out[province] = _WeightedChoice(list(found), weights)
        return out

    def make_customers(self) -> None:
        o = self.o
        n_customers, n_prospects = o.customers, o.prospects or 0
        total = n_customers + n_prospects
        self.progress.phase("customers", "customers", total)
        rng = self.rng("customers")
        places = self._places()
        region_choice = _WeightedChoice(list(data.REGIONS), [r.share for r in data.REGIONS])
        province_choice = {
            r.code: _WeightedChoice([p for p, _ in r.provinces], [s for _, s in r.provinces]) for r in data.REGIONS
        }
        industry_choice = _WeightedChoice(list(range(len(data.INDUSTRIES))), [i.share for i in data.INDUSTRIES])
        terms_choice = _WeightedChoice([t for t, _ in TERMS], [w for _, w in TERMS])
        legal_choice = _WeightedChoice([f for f, _ in data.LEGAL_FORMS], [w for _, w in data.LEGAL_FORMS])
        title_choice = _WeightedChoice(list(data.CONTACT_TITLES), [w for *_, w in data.CONTACT_TITLES])
        region_index = {spec.code: i for i, spec in enumerate(data.REGIONS)}

        self.customer_pk0 = next_id(Customer)
        self.contact_pk0 = next_id(Contact)
        existing_codes = set(
            Customer.objects.filter(code__startswith=CUSTOMER_CODE_PREFIX).values_list("code", flat=True)
        )
        self.used_uscc = set(Customer.objects.exclude(uscc="").values_list("uscc", flat=True))
        seq = CustomerCodeSequence.objects.filter(prefix=CUSTOMER_CODE_PREFIX).first()
        code_number = seq.next_value if seq else 1
        names_seen: set[str] = set()

        self.customers: list[Customer] = []
        self.contacts: list[list[Contact]] = []
        self.needs: list[CustomerNeed] = []
        self.accounts: list[_Account] = []
        prefixes: list[str] = []
        for index in range(total):
            prospect = index >= n_customers
            spec = region_choice(rng)
            province = province_choice[spec.code](rng)
            place = places[province](rng)
            industry_no = industry_choice(rng)
            industry = data.INDUSTRIES[industry_no]
            size = rng.lognormvariate(0, SIZE_SIGMA) * industry.size
            while True:
                code = f"{CUSTOMER_CODE_PREFIX}{code_number:06d}"
                code_number += 1
                if code not in existing_codes:
                    break
            name, short_name, brand = self._company_name(rng, place, industry, legal_choice, names_seen)
            street = rng.choice(data.STREETS)
            detail = f"{street}{rng.randint(1, 999)}号"
            if rng.random() < 0.2:
                detail += f"{rng.randint(1, 12)}幢"
            address = place.prefix + detail
            owner_id = self.owners[spec.code](rng)
            phone = ""
            area = data.AREA_CODES.get(place.city)
            if area and rng.random() < 0.7:
                digits = 8 if len(area) == 3 or rng.random() < 0.7 else 7
                phone = f"{area}-{rng.randint(2, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
            uscc = self._uscc(rng, place.adcode) if rng.random() < (0.6 if prospect else 0.87) else ""
            created = self._created(rng, prospect)
            customer = Customer(
                id=self.customer_pk0 + index, code=code, name=name, short_name=short_name, uscc=uscc,
                industry_id=self.industries[industry_no].pk, region_id=self.regions[spec.code].pk,
                owner_id=owner_id, phone=phone, address=address,
                lifecycle=Lifecycle.PROSPECT if prospect else Lifecycle.CUSTOMER,
                payment_terms_days=0 if prospect else terms_choice(rng),
                created_by_id=owner_id, created_at=self.stamp(created, 9), updated_at=self.stamp(created, 9),
            )
            if rng.random() < 0.12:
                customer.website = f"www.{pinyin_initials(brand + industry.words[0])}.com.cn"
            if prospect:
                self._prospect_fields(rng, customer, index - n_customers, industry, place)
            else:
                self._customer_fields(rng, customer, industry, place)
            contacts = self._contacts(rng, customer, title_choice, prospect)
            self._needs(rng, customer, industry, prospect)
            self.customers.append(customer)
            self.contacts.append(contacts)
            prefixes.append(place.prefix)
            account = _Account(
                pk=customer.pk, code=code, owner_id=owner_id, region=region_index[spec.code], size=size,
                factor=min(25.0, max(0.3, size**0.35)),  # the median size is 1
                terms=customer.payment_terms_days, behaviour="good", pay_day=0, discount=0.0, prospect=prospect,
            )
            if not prospect:
                self._account_habits(rng, account, industry)
            self.accounts.append(account)
            if index % 500 == 0:
                self.progress.update(index // 2)
        self.next_code_number = code_number
        self._key_accounts()
        self._locate(prefixes)
        for i, (customer, contacts) in enumerate(zip(self.customers, self.contacts, strict=True)):
            # Exactly what the customer services store, so searching finds demo customers the same way.
            customer.pinyin = pinyin_full(customer.name)[:400]
            customer.initials = pinyin_initials(customer.name)[:120]
            customer.name_key = company_name_key(customer.name)
            # In Contact's default order, as customer.contacts.all() gives them to the services.
            ordered = sorted(contacts, key=lambda c: (not c.is_primary, c.name))
            customer.search_text = build_search_text(customer, ordered)
            if i % 500 == 0:
                self.progress.update(total // 2 + i // 2)
        self.summary.customers = n_customers
        self.summary.prospects = n_prospects
        self.summary.contacts = sum(len(c) for c in self.contacts)

    def _company_name(self, rng, place, industry, legal_choice, seen: set[str]) -> tuple[str, str, str]:
        city = place.city
        town = city[:-1] if city.endswith("市") and len(city) > 2 else city
        if place.district.endswith("市") and rng.random() < 0.6:
            town = place.district[:-1]  # county-level cities name their firms after themselves
        for attempt in range(30):
            brand = rng.choice(data.BRAND_FIRST) + rng.choice(data.BRAND_SECOND)
            word = rng.choice(industry.words)
            form = legal_choice(rng)
            if form == "厂" and industry.code not in {"MFG", "TEX", "FOOD", "CHEM"}:
                form = "有限公司"
            if industry.code == "FUEL" and rng.random() < 0.4:
                word, form = "", "加油站"
            name = f"{town}{brand}{word}{form}"
            if attempt == 29:
                name = f"{town}{brand}{word}{form}{place.district}分公司"
            if name not in seen:
                seen.add(name)
                short = f"{brand}{word[:2]}" if rng.random() < 0.6 else ""
                return name, short, brand
        return name, "", brand

    def _uscc(self, rng, adcode: str) -> str:
        while True:
            body = "91" + adcode + "".join(rng.choice(ALPHABET) for _ in range(9))
            code = body + check_char(body)
            if code not in self.used_uscc:
                self.used_uscc.add(code)
                return code

    def _created(self, rng, prospect: bool) -> int:
        if prospect:
            return self.today_ord - rng.randint(5, 540)
        return self.first_day.toordinal() - rng.randint(30, 2000)

    def _customer_fields(self, rng, customer: Customer, industry, place) -> None:
        roll = rng.random()
        if roll < 0.10:
            customer.lifecycle = Lifecycle.DORMANT
        elif roll < 0.15:
            customer.lifecycle = Lifecycle.LOST
        if rng.random() < 0.7:
            method = rng.choice(SourceMethod.values)
            customer.source = method
            customer.source_detail = self._source_detail(rng, method, industry, place)
        if rng.random() < 0.45:
            customer.current_supplier = rng.choice(data.COMPETITORS)
        if rng.random() < 0.5:
            customer.our_share_pct = rng.randrange(30, 101, 5)
        if rng.random() < 0.3:
            customer.buying_process = rng.choice(data.BUYING_PROCESSES)

    def _prospect_fields(self, rng, customer: Customer, number: int, industry, place) -> None:
        methods = SourceMethod.values
        colours = ColourGrade.values
        # The first few cycle through every method and colour, so even a small demo shows them all.
        method = methods[number % len(methods)] if number < len(methods) else rng.choice(methods)
        if number < len(colours):
            colour = colours[number]
        else:
            colour = _WeightedChoice(colours, [10, 30, 60])(rng)
        customer.source = method
        customer.source_detail = self._source_detail(rng, method, industry, place)
        customer.colour = colour
        if rng.random() < 0.3:
            customer.colour_sub = rng.randint(1, 3)
        if colour == ColourGrade.GREEN:
            decisions = _WeightedChoice(PursuitDecision.values, [40, 40, 20])
        elif colour == ColourGrade.YELLOW:
            decisions = _WeightedChoice(PursuitDecision.values, [85, 15, 0])
        else:
            decisions = _WeightedChoice(PursuitDecision.values, [100, 0, 0])
        decision = decisions(rng)
        if number < 3:
            decision = PursuitDecision.values[number]  # every decision shows up too
        customer.pursuit = decision
        customer.pursuit_reason = rng.choice(data.PURSUIT_REASONS[decision])
        if rng.random() < 0.9:
            customer.current_supplier = rng.choice(data.COMPETITORS)
        if rng.random() < 0.4:
            customer.buying_process = rng.choice(data.BUYING_PROCESSES)

    def _source_detail(self, rng, method, industry, place) -> str:
        template = rng.choice(data.SOURCE_DETAILS[method])
        city = place.city[:-1] if place.city.endswith("市") else place.city
        year = self.today.year - rng.randint(0, 2)
        return template.format(year=year, industry=industry.name, city=city)

    def _contacts(self, rng, customer: Customer, title_choice, prospect: bool) -> list[Contact]:
        count = _WeightedChoice([1, 2, 3], [45, 35, 20])(rng)
        if prospect:
            count = min(count, 2)
        out = []
        for n in range(count):
            surname = rng.choice(data.SURNAMES)
            given = rng.choice(data.GIVEN_CHARS)
            if rng.random() < 0.6:
                given += rng.choice(data.GIVEN_CHARS)
            name = surname + given
            title, role, _weight = title_choice(rng)
            mobile = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            roll = rng.random()
            if roll < 0.5:
                wechat = mobile
            elif roll < 0.8:
                wechat = f"{pinyin_full(name)}{rng.randint(1, 9999)}"
            else:
                wechat = "wxid_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
            contact = Contact(
                customer_id=customer.pk, name=name, title=title, phone=mobile, wechat=wechat,
                decision_role=role, is_primary=(n == 0),
                created_at=customer.created_at, updated_at=customer.created_at,
            )
            if rng.random() < 0.25:
                contact.email = (
                    f"{rng.randint(10**7, 10**10)}@qq.com" if rng.random() < 0.5 else f"{pinyin_full(name)}@163.com"
                )
            if rng.random() < 0.45:
                lunar = rng.random() < 1 / 3
                month = rng.randint(1, 12)
                if lunar:
                    day = rng.randint(1, 30)
                    contact.birthday_leap = month in (4, 5, 6) and rng.random() < 0.03
                else:
                    day = rng.randint(1, [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
                contact.birthday_lunar = lunar
                contact.birthday_month, contact.birthday_day = month, day
                if rng.random() < 0.6:
                    contact.birthday_year = rng.randint(1960, 1996)
            if rng.random() < 0.08:
                contact.notes = rng.choice(("喜欢喝普洱茶", "爱好钓鱼", "周末常打羽毛球", "孩子明年高考", "不喝酒", "喜欢足球"))
            out.append(contact)
        return out

    def _needs(self, rng, customer: Customer, industry, prospect: bool) -> None:
        if rng.random() >= (0.5 if prospect else 0.35):
            return
        categories: list[str] = []
        for key in industry.products:
            spec = next(p for p in data.PRODUCTS if p.key == key)
            if spec.category not in categories:
                categories.append(spec.category)
        for category in rng.sample(categories, min(len(categories), rng.randint(1, 3))):
            fuel = category in {"diesel", "gasoline"}
            need = CustomerNeed(
                customer_id=customer.pk, category=category, description=data.NEED_DESCRIPTIONS[category],
                monthly_volume=Decimal(rng.randint(5, 300) if fuel else rng.randint(1, 80) * 100),
                unit="t" if fuel else "L",
                current_supplier=rng.choice(data.COMPETITORS) if rng.random() < 0.7 else "",
                our_share_pct=0 if prospect else rng.randrange(20, 101, 10),
                created_at=customer.created_at, updated_at=customer.created_at,
            )
            self.needs.append(need)

    def _account_habits(self, rng, account: _Account, industry) -> None:
        """How a customer buys and pays: product mix, discount, payment behaviour, active window."""
        roll = rng.random()
        account.behaviour = "good" if roll < 0.72 else "slow" if roll < 0.93 else "bad"
        if account.behaviour == "good" and rng.random() < 0.5:
            account.pay_day = rng.choice((10, 15, 20, 25))
        account.discount = min(0.15, 0.02 + 0.03 * math.log1p(account.factor)) + rng.uniform(-0.01, 0.02)
        keys = list(industry.products)
        fuel_keys = [k for k in keys if k.startswith(("DSL", "GAS"))]
        if industry.code != "FUEL" and fuel_keys and rng.random() < 0.5:
            keys = [k for k in keys if k not in fuel_keys]  # half buy only lubricants from us
        chosen = rng.sample(keys, min(len(keys), rng.randint(2, 6)))
        if industry.code == "FUEL":
            chosen = list(dict.fromkeys(fuel_keys[:2] + chosen))
        for key in chosen:
            variants = self.product_variants[key]
            # Big buyers take drums and tonnes, small ones pails.
            variant = variants[-1] if account.factor >= 1.5 or len(variants) == 1 else rng.choice(variants)
            account.mix.extend([variant] * rng.randint(1, 5))

    def _key_accounts(self) -> None:
        """C3: the biggest buyers of each region (about 1 in 100) are key accounts."""
        by_region: dict[int, list[int]] = {}
        for i, account in enumerate(self.accounts):
            if not account.prospect and self.customers[i].lifecycle == Lifecycle.CUSTOMER:
                by_region.setdefault(account.region, []).append(i)
        for members in by_region.values():
            members.sort(key=lambda i: (-self.accounts[i].size, i))
            for i in members[: max(1, len(members) // 100)]:
                self.customers[i].is_key_account = True

    def _locate(self, prefixes: list[str]) -> None:
        """Province, city, district and centroid from parse_addresses, once per district."""
        unique = list(dict.fromkeys(prefixes))
        parsed: dict[str, ParsedAddress] = dict(zip(unique, parse_addresses(unique), strict=True))
        for customer, prefix in zip(self.customers, prefixes, strict=True):
            p = parsed[prefix]
            customer.province, customer.city, customer.district, customer.adcode = p.province, p.city, p.district, p.adcode
            if p.lng is not None:
                customer.lng, customer.lat, customer.geo_source = p.lng, p.lat, GeoSource.DISTRICT

    # -- orders ----------------------------------------------------------------------------------

    def _windows(self, rng) -> None:
        first = self.first_day.toordinal()
        last = self.today_ord
        for index, (customer, account) in enumerate(zip(self.customers, self.accounts, strict=True)):
            if account.prospect:
                continue
            start, end = first, last
            if customer.lifecycle == Lifecycle.DORMANT:
                end = last - rng.randint(185, 330)
            elif customer.lifecycle == Lifecycle.LOST:
                end = last - rng.randint(400, 640)
            elif rng.random() < 0.3:
                start = rng.randint(first, max(first, last - 45))  # a customer won during the period
                joined = start - rng.randint(0, 20)
                customer.created_at = customer.updated_at = self.stamp(joined, 9)
                for contact in self.contacts[index]:
                    contact.created_at = contact.updated_at = customer.created_at
            end = max(end, min(last, start + 20))  # a short --months still leaves room to order
            account.start, account.end = start, end

    def _day_odds(self) -> list[float]:
        """How likely an order falls on each day of the period: seasons, growth, fewer at weekends."""
        first = self.first_day.toordinal()
        odds = []
        for ordinal in range(first, self.today_ord + 1):
            day = datetime.date.fromordinal(ordinal)
            value = SEASON[day.month] * (1 + 0.08 * (ordinal - first) / 365)
            if day.weekday() >= 5:
                value *= 0.3
            odds.append(value)
        top = max(odds)
        return [v / top for v in odds]

    def _allocate_lines(self) -> list[int]:
        """Lines per customer, proportional to size and active time, summing exactly to the target."""
        total = self.o.order_lines or 0
        period = self.today_ord - self.first_day.toordinal() + 1
        weights = [
            0.0 if a.prospect else (a.size**0.6) * max(a.end - a.start + 1, 1) / period for a in self.accounts
        ]
        whole = sum(weights)
        raw = [total * w / whole for w in weights]
        lines = [0 if a.prospect else max(1, int(r)) for a, r in zip(self.accounts, raw, strict=True)]
        diff = total - sum(lines)
        if diff > 0:
            order = sorted(
                (i for i, a in enumerate(self.accounts) if not a.prospect), key=lambda i: (-(raw[i] - int(raw[i])), i)
            )
            for k in range(diff):
                lines[order[k % len(order)]] += 1
        elif diff < 0:
            order = sorted(range(len(lines)), key=lambda i: (-lines[i], i))
            k = 0
            while diff < 0:
                i = order[k % len(order)]
                if lines[i] > 1:
                    lines[i] -= 1
                    diff += 1
                k += 1
        return lines

    def make_orders(self) -> None:
        rng = self.rng("orders")
        self._windows(rng)
        lines_per_customer = self._allocate_lines()
        odds = self._day_odds()
        first = self.first_day.toordinal()
        # Order headers as one sortable int each: date, customer, line count.
        headers: list[int] = []
        for index, (account, n_lines) in enumerate(zip(self.accounts, lines_per_customer, strict=True)):
            span = account.end - account.start
            while n_lines > 0:
                size = min(n_lines, LINES_PER_ORDER[int(rng.random() * 100)])
                n_lines -= size
                while True:
                    ordinal = account.start + int(rng.random() * (span + 1))
                    if rng.random() < odds[ordinal - first]:
                        break
                headers.append((ordinal << 40) | (index << 8) | size)
        headers.sort()
        self.progress.phase("orders", "order lines", self.o.order_lines or 0)

        order_pk = next_id(Order)
        line_pk = next_id(OrderLine)
        receivable_pk = next_id(Receivable)
        orders = TableWriter(Order, [
            "id", "number", "customer_id", "handler_id", "order_date", "status", "payment_method",
            "payment_terms_days", "total", "confirmed_at", "delivered_on", "invoiced_on", "cancelled_at",
            "notes", "created_by_id", "created_at", "updated_at",
        ])
        order_lines = TableWriter(OrderLine, ["id", "order_id", "product_id", "quantity", "unit_price", "amount"])
        receivables = TableWriter(Receivable, [
            "id", "order_id", "customer_id", "amount", "paid", "written_off", "issued_on", "due_on", "settled_on",
            "created_at", "updated_at",
        ])
        # Fuel prices move month by month; lubricant list prices hold.
        months = self.o.months + 2
        fuel_index = [1.0]
        for _ in range(months):
            fuel_index.append(min(1.15, max(0.88, fuel_index[-1] * (1 + rng.uniform(-0.035, 0.035)))))
        sequences: dict[str, int] = {
            s.prefix: s.next_value for s in NumberSequence.objects.filter(prefix__startswith="SO")
        }
        self.sequences_used: dict[str, int] = {}
        self.events: list[tuple[int, int, int, int]] = []  # pay date, customer index, receivable id (0 = none), cents
        # What each customer bought (confirmed orders, in cents) and in how many orders: in the
        # last 12 months and in all, for the ABC grade and the credit limits.
        self.sales_12m = [0] * len(self.accounts)
        self.orders_12m = [0] * len(self.accounts)
        self.sales_all = [0] * len(self.accounts)
        self.orders_all = [0] * len(self.accounts)
        year_ago = self.today_ord - 365
        today = self.today_ord
        products = self.products
        accounts = self.accounts
        stamp = self.stamp
        events = self.events
        sales_12m, orders_12m = self.sales_12m, self.orders_12m
        sales_all, orders_all = self.sales_all, self.orders_all
        quantities = {key: list(values) for key, values in data.LINE_QUANTITIES.items()}
        month_first = self.first_day.year * 12 + self.first_day.month
        prefix_cache: dict[int, str] = {}
        date_cache: dict[int, datetime.date] = {}
        lines_done = 0
        sales_total = 0
        outstanding = 0
        n_receivables = 0
        status_counts: dict[str, int] = {}
        for header in headers:
            ordinal = header >> 40
            index = (header >> 8) & 0xFFFFFFFF
            size = header & 0xFF
            account = accounts[index]
            day = date_cache.get(ordinal)
            if day is None:
                day = date_cache[ordinal] = datetime.date.fromordinal(ordinal)
            month_key = day.year * 12 + day.month
            prefix = prefix_cache.get(month_key)
            if prefix is None:
                prefix = prefix_cache[month_key] = f"SO{day:%Y%m}-"
            number_value = self.sequences_used.get(prefix) or sequences.get(prefix, 1)
            self.sequences_used[prefix] = number_value + 1
            number = f"{prefix}{number_value:06d}"

            # The lines.
            fuel_factor = fuel_index[month_key - month_first]
            factor = account.factor
            keep = 1 - account.discount
            mix = account.mix
            total = 0
            seen: list[int] = []
            for _ in range(size):
                p = mix[int(rng.random() * len(mix))]
                if p in seen:
                    p = mix[int(rng.random() * len(mix))]
                seen.append(p)
                product = products[p]
                if product.fuel:
                    milli = min(500_000, max(500, int(rng.uniform(2, 25) * factor * 1000)))
                    price = round(product.price_cents * keep * fuel_factor / 100) * 100
                else:
                    base = quantities[(product.sales_unit, product.pack_size)]
                    qty = max(1, round(base[int(rng.random() * len(base))] * factor * rng.uniform(0.7, 1.3)))
                    milli = min(qty, 50_000) * 1000
                    price = round(product.price_cents * keep / 100) * 100
                amount = _round_half_even(milli * price, 1000)
                total += amount
                order_lines.add((line_pk, order_pk, product.pk, _quantity(milli), _cents(price), _cents(amount)))
                line_pk += 1
            lines_done += size

            # Where the order has got to by today.
            age = today - ordinal
            cash = account.terms == 0
            roll = rng.random()
            confirmed = delivered = invoiced = cancelled = None
            settled = 0
            paid = 0
            if roll < 0.015:
                status = OrderStatus.CANCELLED
                if rng.random() < 0.7:
                    confirmed = ordinal
                cancelled = min(today, ordinal + rng.randint(0, 3))
            elif (age <= 5 and roll < 0.4) or (age <= 14 and roll < 0.05):
                status = OrderStatus.DRAFT
            else:
                confirmed = ordinal
                delivered = ordinal + rng.randint(1, 4)
                invoiced = delivered + rng.randint(0, 10)
                if delivered > today:
                    status = OrderStatus.CONFIRMED
                    delivered = invoiced = None
                elif invoiced > today:
                    status = OrderStatus.DELIVERED
                    invoiced = None
                else:
                    status = OrderStatus.INVOICED
            last_change = max(x for x in (ordinal, confirmed, delivered, invoiced, cancelled) if x is not None)
            if cash and status in (OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.INVOICED) and total:
                # Cash customers pay when they order; the money pays the invoice when it is issued.
                events.append((ordinal, index, receivable_pk if invoiced else 0, total))
                if invoiced:
                    paid, settled = total, invoiced
            elif status == OrderStatus.INVOICED and total:
                assert invoiced is not None  # an invoiced order has its invoice day
                due = invoiced + account.terms
                for pay_day, cents in self._payment_plan(rng, account, invoiced, due, total):
                    if pay_day <= today:
                        events.append((pay_day, index, receivable_pk, cents))
                        paid += cents
                        settled = pay_day
                if paid < total:
                    settled = 0
            if status == OrderStatus.INVOICED:
                assert invoiced is not None  # as above
                if settled:
                    status = OrderStatus.PAID
                    last_change = max(last_change, settled)
                receivables.add((
                    receivable_pk, order_pk, account.pk, _cents(total), _cents(paid), "0.00",
                    date_cache.get(invoiced) or datetime.date.fromordinal(invoiced),
                    datetime.date.fromordinal(invoiced + account.terms),
                    datetime.date.fromordinal(settled) if settled else None,
                    stamp(invoiced, 16), stamp(max(invoiced, settled), 16),
                ))
                receivable_pk += 1
                n_receivables += 1
                outstanding += total - paid
            if status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED):
                sales_total += total
                sales_all[index] += total
                orders_all[index] += 1
                if ordinal > year_ago:
                    sales_12m[index] += total
                    orders_12m[index] += 1
            status_counts[status] = status_counts.get(status, 0) + 1
            orders.add((
                order_pk, number, account.pk, account.owner_id, day, status,
                PaymentMethod.CASH if cash else PaymentMethod.CREDIT, account.terms, _cents(total),
                stamp(confirmed, 11) if confirmed else None,
                datetime.date.fromordinal(delivered) if delivered else None,
                datetime.date.fromordinal(invoiced) if invoiced else None,
                stamp(cancelled, 15) if cancelled else None,
                "", account.owner_id, stamp(ordinal, 9 + (order_pk % 8)), stamp(last_change, 17),
            ))
            order_pk += 1
            if lines_done % 2000 < size:
                self.progress.update(lines_done)
        orders.flush()
        order_lines.flush()
        receivables.flush()
        self.summary.orders = orders.count
        self.summary.order_lines = order_lines.count
        self.summary.receivables = receivables.count
        self.summary.sales_total = Decimal(sales_total).scaleb(-2)
        self.summary.outstanding = Decimal(outstanding).scaleb(-2)
        self.summary.counts.update({f"orders_{k}": v for k, v in sorted(status_counts.items())})

    def _payment_plan(self, rng, account: _Account, invoiced: int, due: int, total: int) -> list[tuple[int, int]]:
        """When a receivable gets paid, in one or two instalments, by the customer's habits."""
        if account.behaviour == "good":
            if account.pay_day:
                day = datetime.date.fromordinal(due)
                pay = day.replace(day=account.pay_day)
                if pay < day:
                    pay = add_months(pay, 1)
                return [(pay.toordinal(), total)]
            return [(max(invoiced, due + rng.randint(-5, 7)), total)]
        if account.behaviour == "slow":
            return [(due + rng.randint(10, 60), total)]
        roll = rng.random()
        if roll < 0.05:
            return []  # never paid: a bad-debt case for the credit controller
        if roll < 0.45:
            part = total * rng.randint(30, 70) // 100
            return [(due + rng.randint(0, 30), part), (due + rng.randint(60, 300), total - part)]
        return [(due + rng.randint(30, 240), total)]

    # -- payments --------------------------------------------------------------------------------

    def make_payments(self) -> None:
        """One payment per customer and day, allocated to the receivables it paid."""
        rng = self.rng("payments")
        events = self.events
        events.sort()
        self.progress.phase("payments", "payments", len(events))
        payment_pk = next_id(Payment)
        allocation_pk = next_id(PaymentAllocation)
        payments = TableWriter(Payment, [
            "id", "customer_id", "received_on", "amount", "unallocated", "channel", "reference", "created_by_id",
            "created_at", "updated_at",
        ])
        allocations = TableWriter(PaymentAllocation, ["id", "payment_id", "receivable_id", "amount"])
        channel_choice = _WeightedChoice(["bank", "acceptance", "cash", "other"], [80, 12, 5, 3])
        credit_user = self.users["credit"].pk
        accounts = self.accounts
        stamp = self.stamp
        i = 0
        n = len(events)
        while i < n:
            day, index = events[i][0], events[i][1]
            amount = unallocated = 0
            while i < n and events[i][0] == day and events[i][1] == index:
                _day, _index, receivable, cents = events[i]
                amount += cents
                if receivable:
                    allocations.add((allocation_pk, payment_pk, receivable, _cents(cents)))
                    allocation_pk += 1
                else:
                    unallocated += cents
                i += 1
            received = datetime.date.fromordinal(day)
            channel = channel_choice(rng) if amount >= 2_000_000 else rng.choice(("bank", "bank", "bank", "cash"))
            if channel == "acceptance":
                reference = f"银承{received:%Y%m%d}{rng.randrange(10**8):08d}"
            elif channel == "bank":
                reference = f"电汇{received:%Y%m%d}{payment_pk % 1_000_000:06d}"
            else:
                reference = ""
            payments.add((
                payment_pk, accounts[index].pk, received, _cents(amount), _cents(unallocated), channel, reference,
                credit_user, stamp(day, 14), stamp(day, 14),
            ))
            payment_pk += 1
            if payment_pk % 1000 == 0:
                self.progress.update(i)
        payments.flush()
        allocations.flush()
        self.summary.payments = payments.count
        self.summary.counts["allocations"] = allocations.count
        self.events = []

    # -- customer cards --------------------------------------------------------------------------

    def _grade(self) -> None:
        """C1's default method over the last 12 months; analytics will own this once it grades."""
        ranked = sorted(
            (i for i, a in enumerate(self.accounts) if not a.prospect),
            key=lambda i: (-self.sales_12m[i], self.accounts[i].code),
        )
        total = sum(max(0, self.sales_12m[i]) for i in ranked)
        above = 0
        graded_at = self.stamp(self.today_ord, 6)
        for i in ranked:
            sales = self.sales_12m[i]
            if sales <= 0 or total <= 0:
                grade = "C"
            elif above < 0.80 * total:
                grade = "A"
            elif above < 0.95 * total:
                grade = "B"
            else:
                grade = "C"
            above += max(0, sales)
            self.customers[i].abc_grade = grade
            self.customers[i].abc_graded_at = graded_at

    def write_customers(self) -> None:
        self._grade()
        self.progress.phase("cards", "customer cards", len(self.customers))
        columns = [f.attname for f in Customer._meta.concrete_fields]
        customers = TableWriter(Customer, columns, batch=20_000)
        contact_columns = [f.attname for f in Contact._meta.concrete_fields]
        contacts = TableWriter(Contact, contact_columns, batch=20_000)
        contact_pk = self.contact_pk0
        for n, (customer, people) in enumerate(zip(self.customers, self.contacts, strict=True)):
            customers.add_instance(customer)
            for contact in people:
                contact.id = contact_pk
                contact_pk += 1
                contacts.add_instance(contact)
            if n % 1000 == 0:
                self.progress.update(n)
        customers.flush()
        contacts.flush()
        need_pk = next_id(CustomerNeed)
        needs = TableWriter(CustomerNeed, [f.attname for f in CustomerNeed._meta.concrete_fields])
        for need in self.needs:
            need.id = need_pk
            need_pk += 1
            needs.add_instance(need)
        needs.flush()
        self.summary.counts["needs"] = needs.count

    def finish(self) -> None:
        for prefix, value in self.sequences_used.items():
            NumberSequence.objects.update_or_create(prefix=prefix, defaults={"next_value": value})
        CustomerCodeSequence.objects.update_or_create(
            prefix=CUSTOMER_CODE_PREFIX, defaults={"next_value": self.next_code_number}
        )
        reset_sequences(LOADED)
        if connection.vendor == "postgresql":
            tables = [m._meta.db_table for m in LOADED]
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def describe(summary: DemoSummary) -> str:
    return (
        f"{summary.customers:,} customers and {summary.prospects:,} prospects with {summary.contacts:,} contacts; "
        f"{summary.orders:,} orders with {summary.order_lines:,} lines, {summary.receivables:,} receivables, "
        f"{summary.payments:,} payments; {summary.credit_limits:,} customers on credit with approved limits; "
        f"sales {summary.sales_total:,.2f} CNY, outstanding {summary.outstanding:,.2f} CNY; "
        f"built in {summary.seconds:.1f}s"
    )
