"""No request makes Kehu fail with a server error, however malformed its input.

Every page and API route is requested by a rep, a supervisor and an administrator on a small but
complete organisation (customers with credit, orders held and invoiced, prospects, a campaign, a
pool, touches, a visit plan with a visit, a key-account candidate, an import): with real record
numbers and with numbers no record has or no database holds; with every query parameter the view
reads set to nonsense (empty, superscript and full-width digits, numbers too large for a float,
dates that do not exist or sit at the calendar's ends, very long text, markup); with the page's
own form posted with one field at a time made nonsense; and, for the API, with JSON of the wrong
types (text for numbers, huge numbers, objects, lists, nulls) for POST, PUT and PATCH.

Each request runs in a savepoint rolled back afterwards, so one request's writes (a cancelled
order, a deactivated user) do not change what the next one sees. Which parameters and fields a
view reads is learnt by watching it read them on a first, plain request.
"""

import datetime
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import fields as drf_fields

from kehu.testing import shared_rows

pytestmark = pytest.mark.django_db

# Values for query parameters and form fields: empty, a superscript digit (str.isdigit, not int),
# numbers a float or a key cannot hold, negative, a day that does not exist, the calendar's ends,
# full-width digits, markup and long text.
TEXT_VALUES = ["", "²", "-1", "1e400", "nan", "2026-02-30", "9999-12-31", "0001-01-01", "１２", "<script>",
               "99999999999999999999", "x" * 5000]
# Form fields, one at a time, and API bodies' wrong types (text for numbers, numbers no key or
# column holds, null, objects): fewer, as each posts a whole form.
FORM_VALUES = ["", "²", "1e400", "9999-12-31", "0001-01-01", "99999999999999999999"]
JSON_VALUES: list[Any] = ["x", 10**30, None, {"a": {"b": 1}}, "9999-12-31", "99999999999999999999"]
BAD_IDS = ["0", "99999999999999999999"]
BAD_API_IDS = ["0", "99999999999999999999", "²", "x"]
ACTIONS = {"ledger:order_action": ["confirm", "cancel", "deliver", "invoice", "x"],
           "visits:plan_action": ["submit", "approve", "reject", "x"],
           "prospecting:method_new": ["exhibition", "campaign", "news", "former_job", "referral", "inbound", "x"]}
SKIPPED = {"logout", "set_language", "favicon", "openapi"}


# --- the organisation ---------------------------------------------------------------------------


def _build():
    from kehu.credit.tests.world import build_world
    from kehu.customers.models import CustomerNeed, SourceMethod
    from kehu.dataio.services import job_create
    from kehu.engagement import services as engagement
    from kehu.keyaccounts.services import candidate_mark
    from kehu.prospecting import services as prospecting
    from kehu.prospecting.models import CampaignMember, HandoverRequest, SharedPoolEntry
    from kehu.testing import build_org, make_contact
    from kehu.visits.models import PlanEntry, PlanKind
    from kehu.visits.services import _plan_for, visit_check_in, visit_comment

    org = build_org()
    world = build_world(org)
    a = world.customers["a"]
    contact = make_contact(a, phone="13800138000")
    need = CustomerNeed.objects.create(customer=a, category="engine_oil")
    show = prospecting.exhibition_create(user=org.alice, data={"name": "展会", "starts_on": datetime.date(2026, 11, 1),
                                                               "ends_on": datetime.date(2026, 11, 2)})
    campaign = prospecting.campaign_create(user=org.alice, data={"name": "纺织业", "industry": org.industry})
    member = CampaignMember.objects.create(campaign=campaign, name="纺织成员有限公司")
    prospect = prospecting.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION,
                                         company={"name": "艾丽的潜客有限公司"}, origin={"exhibition": show})
    given_up = prospecting.prospect_file(user=org.alice, method=SourceMethod.INBOUND, company={"name": "放弃的潜客有限公司"})
    prospecting.decision_set(user=org.alice, customer=given_up, decision="give_up", reason="无需求")
    pool = SharedPoolEntry.objects.order_by("pk").first()
    prospecting.handover_request(user=org.bob, customer=a)
    handover = HandoverRequest.objects.order_by("pk").first()
    touch = engagement.touchpoint_plan(user=org.alice, customer=a,
                                       data={"method": "visit", "planned_on": datetime.date.today()})
    plan = _plan_for(rep=org.alice, kind=PlanKind.WEEK, day=datetime.date.today())
    entry = PlanEntry.objects.create(plan=plan, customer=a, date=datetime.date.today(), grade="C", minutes=30)
    visit = visit_check_in(user=org.alice, entry=entry, lat=31.2, lng=121.5)
    visit_comment(user=org.sam, visit=visit, text="好")
    candidate = candidate_mark(user=org.sid, customer=world.customers["b"], note="战略合作")
    job = job_create(user=org.sam, kind="customers", filename="a.csv",
                     data="公司全称,手机,业务员\n甲公司,13800138000,alice\n".encode())
    return {"org": org, "world": world, "customer": a, "contact": contact, "need": need, "exhibition": show,
            "campaign": campaign, "member": member, "prospect": prospect, "pool": pool, "handover": handover,
            "touch": touch, "plan": plan, "entry": entry, "visit": visit, "candidate": candidate, "job": job}


@pytest.fixture(scope="module")
def rows(django_db_setup, django_db_blocker):
    with shared_rows(django_db_blocker, _build) as built:
        yield built


# --- routes -------------------------------------------------------------------------------------


def _routes() -> Iterator[tuple[str, str, bool]]:
    """(regex of the whole path, name, is_api) for every route but the back office's."""

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            regex = p.pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + regex, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                yield prefix + regex, (f"{namespace}:" if namespace else "") + (p.name or "")

    for regex, name in walk(get_resolver().url_patterns, "", None):
        if regex.startswith("admin/") or name in SKIPPED:
            continue
        yield regex, name, regex.startswith("api/v1/")


GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _ids(rows, name: str, kwarg: str) -> list[str]:
    """The real record numbers a route's keyword means."""
    w = rows["world"]
    org = rows["org"]

    def pk(obj) -> list[str]:
        return [str(obj.pk)] if obj is not None else []

    by_name = [
        ("contact", rows["contact"]), ("need", rows["need"]), ("industr", org.industry), ("product", org.product),
        ("payment-allocation", None), ("payment", None), ("receivable", w.sold["a"].receivable),
        ("write_off_new", w.sold["a"].receivable), ("write-off", w.write_offs["a"]), ("write_off", w.write_offs["a"]),
        ("investigation", w.investigations["a"]), ("application", w.applications["a"]), ("limit", w.limits["a"]),
        ("exception", w.exceptions["a"]), ("review", w.reviews["a"]), ("region", org.east), ("team", org.team_east),
        ("user", org.alice), ("import", rows["job"]), ("dataio", rows["job"]), ("touchpoint", rows["touch"]),
        ("engagement:complete", rows["touch"]), ("engagement:cancel", rows["touch"]), ("exhibition", rows["exhibition"]),
        ("campaign", rows["campaign"]), ("pool", rows["pool"]), ("claim", rows["pool"]),
        ("prospecting:decide", rows["handover"]), ("candidate", rows["candidate"]), ("keyaccounts:decide", rows["candidate"]),
        ("plan", rows["plan"]), ("entr", rows["entry"]), ("visits-log", rows["visit"]), ("visit_", rows["visit"]),
        ("order", w.held["a"]), ("ledger", w.held["a"]),
    ]
    if kwarg == "contact_pk":
        return pk(rows["contact"])
    if kwarg == "member_pk":
        return pk(rows["member"])
    if kwarg in {"customer_pk", "customer_id"}:
        return pk(rows["customer"])
    if kwarg == "order_pk":
        return [str(w.held["a"].pk), str(w.sold["a"].pk)]
    if kwarg in {"att_pk", "photo_pk"}:
        return ["1"]
    if name in {"prospecting:colour", "prospecting:decision", "prospecting:revive", "api-prospect-colour",
                "api-prospect-decision", "api-prospect-revive"}:
        return pk(rows["prospect"])
    if name == "api-key-account-plan" or name == "api-key-account-health" or name == "keyaccounts:detail":
        return pk(w.customers["b"])
    for needle, obj in by_name:
        if needle in name:
            if needle == "payment" and obj is None:
                from kehu.ledger.models import Payment

                return [str(p.pk) for p in Payment.objects.order_by("pk")[:1]]
            if needle == "payment-allocation":
                from kehu.ledger.models import PaymentAllocation

                return [str(p.pk) for p in PaymentAllocation.objects.order_by("pk")[:1]]
            if needle == "order" and "customer" not in name:
                return [str(w.held["a"].pk), str(w.sold["a"].pk), str(w.held["c"].pk)]
            return pk(obj)
    return [str(rows["customer"].pk), str(w.customers["c"].pk)]  # customers by default


def _fill(regex: str, values: dict[str, str]) -> str:
    return GROUP.sub(lambda m: values[m.group(1)], regex).replace("\\.", ".").replace("\\", "")


def _urls(rows, regex: str, name: str, api: bool) -> Iterator[tuple[str, bool]]:
    """(path, whether to try its parameters and fields) for a route: the first real record (and
    each action or method), other real records, then each keyword made nonsense."""
    kwargs = GROUP.findall(regex)
    if not kwargs:
        yield "/" + _fill(regex, {}), True
        return
    seen: set[str] = set()
    real: dict[str, list[str]] = {}
    for k in kwargs:
        if k in {"action", "method"}:
            real[k] = ACTIONS.get(name, ["x"])
        else:
            real[k] = _ids(rows, name, k) or ["1"]
    # the real combinations (first value of the others)
    for k in kwargs:
        for i, v in enumerate(real[k]):
            path = "/" + _fill(regex, {**{o: real[o][0] for o in kwargs}, k: v})
            if path not in seen:
                seen.add(path)
                yield path, i == 0 or k in {"action", "method"}
    for k in kwargs:
        if k in {"action", "method"}:
            continue
        for bad in BAD_API_IDS if api and "int:" not in regex and "[0-9]" not in regex else BAD_IDS:
            yield "/" + _fill(regex, {**{o: real[o][0] for o in kwargs}, k: bad}), False


# --- watching what a view reads -----------------------------------------------------------------


class Reads:
    def __init__(self) -> None:
        self.keys: set[str] = set()


@contextmanager
def watching() -> Iterator[Reads]:
    reads = Reads()
    originals = {name: getattr(QueryDict, name) for name in ("get", "getlist", "__getitem__", "__contains__")}
    field_get_value = drf_fields.Field.get_value

    def wrap(name):
        original = originals[name]

        def method(self, key, *args, **kwargs):
            if isinstance(key, str):
                reads.keys.add(key)
            return original(self, key, *args, **kwargs)

        return method

    def get_value(self, dictionary):
        if self.field_name:
            reads.keys.add(self.field_name)
        return field_get_value(self, dictionary)

    for name in originals:
        setattr(QueryDict, name, wrap(name))
    drf_fields.Field.get_value = get_value  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        for name, original in originals.items():
            setattr(QueryDict, name, original)
        drf_fields.Field.get_value = field_get_value  # type: ignore[method-assign]


IGNORED_KEYS = {"csrfmiddlewaretoken", "lang", "language", "next"}


class FormFields(HTMLParser):
    """The values a page's forms would post as they stand."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                self.values.setdefault(name, a.get("value") or "on") if a.get("type") == "radio" else None
                return
            self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values or not self.values[self._select]:
                self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = "备注"

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


# --- requests -----------------------------------------------------------------------------------


class Sweep:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []
        self.count = 0

    def send(self, method: str, path: str, *, query: dict | None = None, data: Any = None, json_body: bool = False):
        url = path + ("?" + urlencode(query) if query else "")
        self.count += 1

        with transaction.atomic():
            if json_body:
                response = getattr(self.client, method)(url, json.dumps(data), content_type="application/json")
            elif method == "get":
                response = self.client.get(url)
            else:
                response = getattr(self.client, method)(url, data or {})
            transaction.set_rollback(True)
        if response.status_code >= 500:
            shown = json.dumps(data, ensure_ascii=False, default=str)[:200] if data is not None else ""
            error = getattr(response, "exc_info", None)
            cause = f"{error[0].__name__}: {str(error[1])[:200]}" if error else ""
            self.failures.append(f"{method.upper()} {url[:200]} {shown} -> {response.status_code} {cause}")
        return response

    def query(self, path: str) -> Any:
        """The plain page, then each parameter it reads made nonsense, one at a time."""
        with watching() as reads:
            response = self.send("get", path)
        for key in sorted(reads.keys - IGNORED_KEYS):
            for value in TEXT_VALUES:
                self.send("get", path, query={key: value})
        return response

    def page(self, path: str, full: bool):
        if not full:
            self.send("get", path)
            self.send("post", path)
            return
        response = self.query(path)
        # the page's own form as it stands, then one field at a time made nonsense
        base: dict[str, str] = {}
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            parser = FormFields()
            parser.feed(response.content.decode("utf-8", "replace"))
            base = {k: v for k, v in parser.values.items() if k not in IGNORED_KEYS}
        with watching() as reads:
            self.send("post", path, data=base)
        for key in sorted((reads.keys | set(base)) - IGNORED_KEYS):
            for value in FORM_VALUES:
                self.send("post", path, data={**base, key: value})

    def api(self, path: str, full: bool):
        if not full:
            self.send("get", path)
            for method in ("post", "patch"):
                self.send(method, path, data={}, json_body=True)
            return
        response = self.query(path)
        base: dict[str, Any] = {}
        if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("results"), list) and body["results"]:
                body = body["results"][0]
            if isinstance(body, dict):
                base = {k: v for k, v in body.items() if k not in {"id", "url", "created_at", "updated_at"}}
        for method in ("post", "patch"):
            with watching() as reads:
                answer = self.send(method, path, data=base, json_body=True)
            if answer.status_code in {403, 404, 405}:
                continue  # not for this person, or not this method: the fields are never read
            for key in sorted((reads.keys | set(base)) - IGNORED_KEYS):
                for value in JSON_VALUES:
                    self.send(method, path, data={**base, key: value}, json_body=True)
        self.send("post", path, data=[1, 2], json_body=True)


def _sweep(rows, person: str, *, full: bool) -> Sweep:
    client = Client(raise_request_exception=False)
    client.force_login(getattr(rows["org"], person))
    sweep = Sweep(client)
    for regex, name, api in _routes():
        for path, tried in _urls(rows, regex, name, api):
            (sweep.api if api else sweep.page)(path, full and tried)
    return sweep


def test_no_parameter_or_field_makes_a_server_error(rows, db):
    """An administrator, who may open every page and call every endpoint, with every parameter and
    field each reads made nonsense in turn."""
    sweep = _sweep(rows, "ada", full=True)
    assert sweep.count > 5000
    assert not sweep.failures, "\n".join(sweep.failures)


@pytest.mark.parametrize("person", ["alice", "sam"])
def test_no_record_number_makes_a_server_error(rows, db, person):
    """A rep and a supervisor open every route with records they see, records of others, and numbers
    no record has or no database holds (the administrator does so in the test above)."""
    sweep = _sweep(rows, person, full=False)
    assert sweep.count > 500
    assert not sweep.failures, "\n".join(sweep.failures)
