"""What a new user hit on the credit pages (issue 13): approval pages with the facts an approver
needs and who decides, the queue saying whom a request waits for, a negative "available" worded
as over the limit, the audit trail in the reader's words, the ageing table sorted and totalled."""

import datetime
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kehu.credit import services
from kehu.credit.models import AuditEntry
from kehu.ledger.services import order_confirm
from kehu.testing import grant_limit, make_customer

from .world import build_world, order_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    return build_world(org)


@pytest.fixture
def as_user(client):
    def login(user, language="en"):
        client.force_login(user)
        client.cookies["django_language"] = language
        return client
    return login


def text(response) -> str:
    """The page's words: tags dropped, entities read, spaces collapsed."""
    assert response.status_code == 200, response.status_code
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r" ([,.:;，、：])", r"\1", re.sub(r"\s+", " ", html.unescape(words)))


def big_exception(org):
    """alice's customer "d" (limit ¥100,000) with a held order of ¥300,000 and an exception she asked
    for: above sam's authority of ¥200,000, so only a senior manager may approve it."""
    customer = make_customer(org.alice, "大单客户有限公司")
    grant_limit(customer, "100000")
    held = order_confirm(user=org.alice, order=order_of(org, customer, "300000"))
    assert held.status == "held"
    return services.exception_request(user=org.alice, order=held, reason="年底备货")


# ── approval pages: the facts, and who decides ───────────────────────────────────────────────

def test_application_page_gives_the_approver_the_customers_position_and_the_applicants_record(org, world, as_user):
    customer = world.customers["a"]
    pending = services.application_submit(user=org.alice, customer=customer, investigation=world.investigations["a"],
                                          requested_limit="150000", requested_terms_days=45, reason="业务扩大")
    page = text(as_user(org.sam).get(reverse("credit:application_detail", args=[pending.pk])))
    facts = page[page.index("Before you decide"):]
    assert "Current limit ¥100,000.00 · 30 days" in facts
    # Exposure: ¥6,000 receivable left after the write-off; available ¥94,000.
    assert "Exposure ¥6,000.00 · available ¥94,000.00" in facts
    assert "Overdue ¥6,000.00" in facts and "the oldest 10 days past due" in facts
    assert "Current 1–30 31–60 61–90 90+ Total — ¥6,000.00 — — — ¥6,000.00" in facts
    score = world.investigations["a"].score
    assert f"Credit score {score} · " in facts
    # alice's record besides this application: her first one approved; her exception waiting; a bad debt.
    assert "艾丽's record" in facts
    assert "1 limit application approved, 0 rejected, 0 waiting" in facts
    assert "0 exceptions approved, 0 rejected, 1 waiting" in facts
    assert "1 bad debt as handler, bearing ¥1,200.00" in facts


def test_own_application_says_why_it_cannot_be_decided_here_and_who_decides(org, world, as_user):
    customer = world.customers["a"]
    pending = services.application_submit(user=org.alice, customer=customer, investigation=world.investigations["a"],
                                          requested_limit="150000", requested_terms_days=45, reason="业务扩大")
    page = text(as_user(org.alice).get(reverse("credit:application_detail", args=[pending.pk])))
    assert "You cannot decide this here: Nobody approves their own request." in page
    assert "Waiting for: 沈主管 Supervisor, 高经理 Senior manager" in page
    assert "Record decision" not in page
    # In Chinese too.
    page = text(as_user(org.alice, "zh-hans").get(reverse("credit:application_detail", args=[pending.pk])))
    assert "您不能在此审批：任何人都不能审批自己的申请。" in page
    # The approver is not told they cannot decide.
    page = text(as_user(org.sam).get(reverse("credit:application_detail", args=[pending.pk])))
    assert "You cannot decide this here" not in page and "Record decision" in page


def test_credit_controller_is_told_an_exception_waits_for_a_senior_manager(org, world, as_user):
    exc = big_exception(org)
    client = as_user(org.cathy)
    page = text(client.get(reverse("credit:exception_detail", args=[exc.pk])))
    assert "You cannot decide this here: Only a supervisor or a senior manager approves credit." in page
    assert "Waiting for: 高经理 Senior manager" in page
    assert "Above 沈主管's approval authority of ¥200,000.00: a senior manager decides." in page
    queue = text(client.get(reverse("credit:queue")))
    queue = queue[queue.index("Exceptions waiting for approval"):]
    row = queue[queue.index(exc.order.number):][:200]
    assert "¥300,000.00 高经理 Senior manager" in row
    # The ¥156,000 exceptions of the world wait for the reps' own supervisors (and the senior manager).
    row = queue[queue.index(world.held["c"].number):][:200]
    assert "苏主管 Supervisor 高经理 Senior manager" in row


def test_exception_page_gives_the_facts(org, world, as_user):
    page = text(as_user(org.sam).get(reverse("credit:exception_detail", args=[world.exceptions["b"].pk])))
    facts = page[page.index("Before you decide"):]
    assert "Current limit ¥100,000.00" in facts and "Exposure ¥6,000.00 · available ¥94,000.00" in facts
    assert "鲍勃's record" in facts and "1 bad debt as handler, bearing ¥1,200.00" in facts


def test_the_facts_and_record_show_only_what_the_reader_may_see(org, world, as_user):
    """sam sees bob's record as far as his team's customers go; carol's customer never shows to him."""
    services.application_submit(user=org.alice, customer=world.customers["a"], investigation=world.investigations["a"],
                                requested_limit="150000", requested_terms_days=45, reason="业务扩大")
    page = text(as_user(org.sue).get(reverse("credit:application_detail", args=[world.applications["c"].pk])))
    assert world.customers["a"].name not in page and world.customers["b"].name not in page


# ── over the limit, never a negative "available" ─────────────────────────────────────────────

@pytest.mark.parametrize("language, words", [("en", "over the limit by ¥200,000.00"), ("zh-hans", "超出额度 ¥200,000.00")])
def test_over_the_limit_is_said_so_on_the_card(org, as_user, language, words):
    exc = big_exception(org)
    services.exception_decide(user=org.sid, exception=exc, approve=True, comment="年底特批")
    page = text(as_user(org.alice, language).get(reverse("customers:detail", args=[exc.order.customer_id])))
    assert words in page
    assert "¥-" not in page and "-200,000" not in page


# ── the audit trail in the reader's words ────────────────────────────────────────────────────

def test_audit_trail_shows_names_labels_and_local_times(org, as_user):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 1, 30, tzinfo=datetime.UTC), tick=False):
        customer = make_customer(org.alice, "审计客户有限公司")
        grant_limit(customer, "80000")
    client = as_user(org.cathy, "zh-hans")
    page = text(client.get(reverse("credit:audit")))
    # 01:30 UTC is 09:30 in China, in the entry's time and in the decision time it records.
    assert "2026-11-26 09:30" in page and "01:30" not in page
    approve = page[page.index("授信申请已批准"):]
    assert "2026-11-26 的授信申请（¥80,000.00）" in approve  # the record by name, not "#1"
    assert "状态 待审批 → 已批准" in approve
    assert "审批人 — → 沈主管" in approve
    assert "审批时间 — → 2026-11-26 09:30" in approve
    granted = page[page.index("已授予信用额度"):]
    assert "客户 审计客户有限公司 (KH" in granted and "信用额度（元） 80,000.00" in granted
    assert "当前有效 是" in granted
    # No raw ids or codes where a name or a label belongs.
    entry = AuditEntry.objects.get(action="application.approve")
    assert f"#{entry.object_id}" not in page
    for code in ("pending", "approved", "decided_by", "None"):
        assert code not in page
    # In English, the same in English words.
    page = text(as_user(org.cathy).get(reverse("credit:audit")))
    assert "Status Waiting for approval → Approved" in page and "Decided by — → 沈主管" in page


def test_audit_names_are_looked_up_per_kind_not_per_entry(org, world, as_user, django_assert_max_num_queries):
    client = as_user(org.cathy)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("credit:audit")).status_code == 200


# ── the ageing table ─────────────────────────────────────────────────────────────────────────

def test_ageing_sorts_by_the_oldest_bucket(org, world, as_user):
    """Customer d owes the least in all, but the oldest debt: sorted by 90+, it comes first."""
    customer = make_customer(org.alice, "陈年旧账有限公司")
    grant_limit(customer, "100000")
    from .world import invoiced

    invoiced(order_of(org, customer, "500"), day=timezone.localdate() - datetime.timedelta(days=200))
    client = as_user(org.cathy)
    default = text(client.get(reverse("credit:ageing")))
    oldest_first = text(client.get(reverse("credit:ageing"), {"sort": "-90+"}))
    assert default.index(customer.name) > default.index(world.customers["a"].name)
    assert oldest_first.index(customer.name) < min(oldest_first.index(c.name) for c in world.customers.values())
    ascending = text(client.get(reverse("credit:ageing"), {"sort": "90+"}))
    assert ascending.index(customer.name) > max(ascending.index(c.name) for c in world.customers.values())
    # The export follows the page's order; nonsense sorts fall back to the default.
    assert client.get(reverse("credit:ageing"), {"sort": "'; drop"}).status_code == 200
    export = client.get(reverse("credit:ageing_export_csv"), {"sort": "-90+"})
    body = b"".join(export.streaming_content).decode("utf-8-sig") if export.streaming else export.content.decode("utf-8-sig")
    assert body.splitlines()[1].split(",")[1] == customer.name


def test_ageing_is_a_card_per_row_on_a_phone_and_its_total_row_is_strong(org, world, as_user):
    page = as_user(org.cathy).get(reverse("credit:ageing")).content.decode()
    # Each amount carries its column's name, which the phone layout shows above it.
    assert page.count('data-label="90+"') == len(world.customers) + 1
    assert '<tfoot><tr><th class="name">Total</th>' in page
    assert 'aria-sort="descending"' in page and "sort=-90+" in page
    from django.contrib.staticfiles import finders

    css = open(finders.find("kehu/kehu.css"), encoding="utf-8").read()
    assert "table.ageing tfoot td" in css and "td[data-label]::before" in css

