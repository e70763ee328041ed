"""P1–P5 through the services: each method's path from record to prospect to customer, duplicates,
the pool against target, colour and decision history, the shared pool and revival."""

import datetime
import io

import pytest
import time_machine
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Notification
from kehu.core.uscc import check_char
from kehu.customers.duplicates import company_name_key, customer_duplicates
from kehu.customers.models import ColourGrade, Customer, Lifecycle, PursuitDecision, SourceMethod
from kehu.engagement.services import touchpoint_log
from kehu.ledger.services import order_confirm, order_create
from kehu.prospecting import selectors, services
from kehu.prospecting.models import (
    CampaignMember,
    ColourChange,
    ColourLevel,
    DecisionChange,
    HandoverRequest,
    MemberStatus,
    ProspectOrigin,
    ProspectPolicy,
    RepTarget,
    SharedPoolEntry,
)
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)
USCC = "91310115MA1H7" + "0000" + check_char("91310115MA1H70000")


def _win(org, customer):
    """The first confirmed order (no credit limit needed for cash)."""
    order = order_create(user=customer.owner, customer=customer, lines=[{"product": org.product, "quantity": "2"}],
                         payment_method="cash")
    return order_confirm(user=customer.owner, order=order)


def _exhibition(org):
    return services.exhibition_create(user=org.alice, data={
        "name": "2026 上海国际工程机械展", "starts_on": datetime.date(2026, 11, 24),
        "ends_on": datetime.date(2026, 11, 27), "venue": "新国际博览中心", "industry": org.industry})


def _member_list(rows):
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return buf.getvalue()


# ── each method: record → prospect → customer ─────────────────────────────────────────────────

def test_exhibition_prospect_to_customer(org):
    show = _exhibition(org)
    prospect = services.prospect_file(
        user=org.alice, method=SourceMethod.EXHIBITION,
        company={"name": "苏州宏达精密机械有限公司", "phone": "0512-6688 1234"},
        contact={"name": "王建国", "title": "设备部经理", "phone": "13912345678"},
        origin={"exhibition": show, "booth": "E2-118", "supply": "壳牌经销商月结", "background": "数控机床 200 台"})
    assert prospect.lifecycle == Lifecycle.PROSPECT and prospect.owner == org.alice
    assert prospect.colour == ColourGrade.GREEN and prospect.source == SourceMethod.EXHIBITION
    origin = ProspectOrigin.objects.get(customer=prospect)
    assert origin.exhibition == show and origin.booth == "E2-118" and origin.supply == "壳牌经销商月结"
    assert prospect.contacts.get().name == "王建国"
    _win(org, prospect)
    prospect.refresh_from_db()
    assert prospect.lifecycle == Lifecycle.CUSTOMER and prospect.colour == ColourGrade.RED


def test_target_industry_campaign_path(org):
    campaign = services.campaign_create(user=org.alice, data={
        "name": "苏南纺织业", "industry": org.industry, "character": "设备密集", "sunset": True,
        "avoid": "不要谈产能转移"})
    content = _member_list([["公司名称", "电话", "联系人", "代表性企业"],
                            ["江苏阳光纺织集团有限公司", "0510-86121234", "陈总", "是"],
                            ["无锡一棉纺织有限公司", "", "", ""],
                            ["", "no name: skipped", "", ""]])
    assert services.campaign_members_import(user=org.alice, campaign=campaign, name="members.xlsx", content=content) == 2
    first = campaign.members.order_by("-representative", "id").first()
    assert first.representative and first.name == "江苏阳光纺织集团有限公司"
    prospect = services.member_file(user=org.alice, member=first)
    first.refresh_from_db()
    assert first.status == MemberStatus.PROSPECT and first.customer == prospect
    assert prospect.origin.campaign == campaign and prospect.source == SourceMethod.TARGET_INDUSTRY
    assert selectors.campaign_get(user=org.alice, pk=campaign.pk).n_done == 1
    _win(org, prospect)
    prospect.refresh_from_db()
    assert prospect.lifecycle == Lifecycle.CUSTOMER


def test_member_list_without_a_name_column_is_refused(org):
    campaign = services.campaign_create(user=org.alice, data={"name": "x", "industry": org.industry})
    with pytest.raises(ValidationError):
        services.campaign_members_import(user=org.alice, campaign=campaign, name="members.xlsx", content=_member_list([["电话"], ["123"]]))
    assert not CampaignMember.objects.exists()


def test_news_clipping_path(org):
    prospect = services.clipping_file(
        user=org.bob, data={"source": "苏州日报", "published_on": datetime.date(2026, 11, 20), "signal": "expansion",
                            "text": "新厂区二期投产"},
        company={"name": "昆山新锐汽车零部件有限公司"}, contact={"name": "李总"})
    assert prospect.origin.clipping.source == "苏州日报" and prospect.source == SourceMethod.NEWS
    _win(org, prospect)
    prospect.refresh_from_db()
    assert prospect.colour == ColourGrade.RED


def test_clipping_needs_its_signal_and_nothing_is_half_saved(org):
    with pytest.raises(ValidationError):
        services.clipping_file(user=org.bob, data={"source": "报", "published_on": datetime.date(2026, 1, 1), "signal": "?"},
                               company={"name": "某公司"})
    assert not Customer.objects.exists()


def test_previous_customers_path(org):
    prospect = services.former_contact_file(
        user=org.alice, data={"kind": "bought_from_me", "former_employer": "长城润滑油"},
        company={"name": "常州恒力液压件厂", "phone": "13800001111"}, contact={"name": "周工"})
    former = org.alice.former_contacts.get()
    assert former.customer == prospect and former.kind == "bought_from_me"
    assert prospect.source == SourceMethod.PREVIOUS_CUSTOMERS
    assert list(selectors.former_contact_list(user=org.bob)) == []


@pytest.mark.parametrize("method", [SourceMethod.REFERRAL, SourceMethod.INBOUND])
def test_referral_and_inbound(org, method):
    prospect = services.prospect_file(user=org.alice, method=method, company={"name": f"{method}测试物流有限公司"},
                                      origin={"referrer": "老客户张总"})
    assert prospect.source == method and prospect.origin.referrer == "老客户张总"


def test_only_owners_of_prospects_file_them(org):
    for user in (org.cathy, org.sid, org.ada):
        with pytest.raises(PermissionDenied):
            services.prospect_file(user=user, method=SourceMethod.INBOUND, company={"name": "某某有限公司"})


# ── duplicates ───────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("variant", [
    "上海宏达润滑油有限公司",
    "上海市 宏达润滑油（集团）有限公司",
    "宏达润滑油(上海)有限公司",
    "宏达润滑油股份有限公司",
    "宏达润滑油有限责任公司",
    "宏达 润滑油 有限公司",
    "上海宏达润滑油",
])
def test_name_variants_meet_on_one_key(org, variant):
    existing = make_customer(org.bob, "上海宏达润滑油有限公司")
    found = customer_duplicates(name=variant)
    assert [d.customer_id for d in found] == [existing.pk]
    assert found[0].owner_name == "鲍勃" and found[0].reasons == ["name"]


def test_different_companies_do_not_meet():
    assert company_name_key("宏达润滑油有限公司") != company_name_key("宏远润滑油有限公司")
    assert company_name_key("ＡＢＣ Trading Co., Ltd.") == company_name_key("abc trading")


def test_duplicate_by_phone_of_customer_or_contact_and_by_uscc(org):
    existing = make_customer(org.carol, "北京燕山机械有限公司", phone="010-62345678", uscc=USCC)
    existing.contacts.create(name="赵经理", phone="13911112222")
    assert customer_duplicates(phones=["+86 10 6234 5678"])[0].customer_id == existing.pk
    assert customer_duplicates(phones=["139 1111 2222"])[0].reasons == ["phone"]
    assert customer_duplicates(uscc=USCC.lower())[0].reasons == ["uscc"]
    assert customer_duplicates(name="别的名字", phones=["13000000000"]) == []


def test_duplicate_at_entry_shows_the_owner_and_allows_asking(org):
    existing = make_customer(org.bob, "上海宏达润滑油有限公司")
    with pytest.raises(services.DuplicateFound) as caught:
        services.prospect_file(user=org.alice, method=SourceMethod.EXHIBITION, company={"name": "宏达润滑油（上海）有限公司"})
    assert caught.value.duplicates[0].owner_name == "鲍勃"
    assert "鲍勃" in " ".join(caught.value.messages)
    assert Customer.objects.count() == 1
    request = services.handover_request(user=org.alice, customer=existing, reason="展会上认识了采购")
    assert request.owner == org.bob
    # Nobody approves their own request; bob's supervisor sam decides.
    with pytest.raises(PermissionDenied):
        services.handover_decide(user=org.alice, request=request, approve=True)
    with pytest.raises(PermissionDenied):
        services.handover_decide(user=org.sue, request=request, approve=True)
    services.handover_decide(user=org.sam, request=request, approve=True)
    existing.refresh_from_db()
    assert existing.owner == org.alice


def test_different_company_is_filed_only_when_said_and_never_with_the_same_uscc(org):
    make_customer(org.bob, "上海宏达润滑油有限公司", phone="13800000000")
    prospect = services.prospect_file(user=org.alice, method=SourceMethod.INBOUND,
                                      company={"name": "宏达润滑油有限公司"}, different_company=True)
    assert prospect.owner == org.alice
    make_customer(org.bob, "有信用代码公司", uscc=USCC)
    with pytest.raises(services.DuplicateFound):
        services.prospect_file(user=org.alice, method=SourceMethod.INBOUND, company={"name": "完全不同的名字", "uscc": USCC},
                               different_company=True)


def test_handover_notifies_owner_and_supervisor(org, django_capture_on_commit_callbacks):
    existing = make_customer(org.bob, "无锡华光锅炉有限公司")
    with django_capture_on_commit_callbacks(execute=True):
        services.handover_request(user=org.alice, customer=existing)
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"bob", "sam"}
    with pytest.raises(ValidationError):
        services.handover_request(user=org.alice, customer=existing)
    assert HandoverRequest.objects.count() == 1


# ── the pool (P2) ────────────────────────────────────────────────────────────────────────────

def _prospects(owner, n, prefix="潜客"):
    return [services.prospect_file(user=owner, method=SourceMethod.INBOUND, company={"name": f"{prefix}{owner.username}{i}号有限公司"})
            for i in range(n)]


def test_pool_counts_and_warnings(org):
    ProspectPolicy.objects.create(pk=1, rep_target=3)
    RepTarget.objects.create(rep=org.bob, target=1)
    org.team_east.prospect_target = 5
    org.team_east.save()
    alice = _prospects(org.alice, 3)
    _prospects(org.bob, 1)
    services.decision_set(user=org.alice, customer=alice[0], decision=PursuitDecision.GIVE_UP, reason="没有需求")
    counts = {c.label: c for c in selectors.pool_counts(user=org.sam)}
    assert counts["华东一组"].count == 3 and counts["华东一组"].below and counts["华东一组"].short == 2
    assert counts["艾丽"].count == 2 and counts["艾丽"].target == 3 and counts["艾丽"].below
    assert counts["鲍勃"].count == 1 and not counts["鲍勃"].below
    mine = selectors.pool_counts(user=org.alice)
    assert [(c.count, c.target) for c in mine] == [(2, 3)]
    assert {c.label for c in selectors.pool_counts(user=org.sid)} == {"华东一组", "华北一组"}


# ── colour (P3) and decisions (P5) with history ──────────────────────────────────────────────

def test_colour_history_and_sub_levels(org):
    ColourLevel.objects.create(colour="yellow", number=1, name="已报价")
    prospect = _prospects(org.alice, 1)[0]
    services.colour_set(user=org.alice, customer=prospect, colour="yellow", sub=1, reason="试用样品满意")
    with pytest.raises(ValidationError):
        services.colour_set(user=org.alice, customer=prospect, colour="yellow", sub=2, reason="无此子级")
    with pytest.raises(ValidationError):
        services.colour_set(user=org.alice, customer=prospect, colour="green", reason="  ")
    with pytest.raises(PermissionDenied):
        services.colour_set(user=org.bob, customer=prospect, colour="green", reason="不是我的")
    prospect.refresh_from_db()
    assert (prospect.colour, prospect.colour_sub) == ("yellow", 1)
    history = list(ColourChange.objects.filter(customer=prospect).order_by("at", "id").values_list("colour", "previous", "reason"))
    assert history == [("green", "", ""), ("yellow", "green", "试用样品满意")]


def test_decision_history_needs_reason_and_future_review(org):
    prospect = _prospects(org.alice, 1)[0]
    with pytest.raises(ValidationError) as caught:
        services.decision_set(user=org.alice, customer=prospect, decision="low_cadence", reason="预算明年",
                              review_on=TODAY, today=TODAY)
    assert "review_on" in caught.value.message_dict
    services.decision_set(user=org.alice, customer=prospect, decision="low_cadence", reason="预算明年",
                          review_on=TODAY + datetime.timedelta(days=90), today=TODAY)
    prospect.refresh_from_db()
    assert prospect.pursuit == "low_cadence" and prospect.pursuit_reason == "预算明年"
    assert DecisionChange.objects.filter(customer=prospect).count() == 1


def test_give_up_goes_to_shared_pool_stays_searchable_and_can_be_revived(org):
    prospect = _prospects(org.alice, 1)[0]
    services.decision_set(user=org.alice, customer=prospect, decision="give_up", reason="已与竞争对手签三年合同")
    entry = SharedPoolEntry.objects.get(customer=prospect)
    assert entry.team == org.team_east and entry.reason == "given_up"
    assert prospect not in selectors.prospect_list(user=org.alice)
    assert prospect in selectors.prospect_list(user=org.alice, include_given_up=True, q=prospect.name[:4])
    services.prospect_revive(user=org.alice, customer=prospect, reason="对手断货", review_on=TODAY + datetime.timedelta(days=7),
                             today=TODAY)
    prospect.refresh_from_db()
    entry.refresh_from_db()
    assert prospect.pursuit == "continue" and entry.closed
    assert DecisionChange.objects.filter(customer=prospect, revived=True).count() == 1
    assert prospect in selectors.prospect_list(user=org.alice)
    with pytest.raises(ValidationError):
        services.prospect_revive(user=org.alice, customer=prospect, reason="again", review_on=TODAY + datetime.timedelta(days=7),
                                 today=TODAY)


# ── the shared pool (公海) ───────────────────────────────────────────────────────────────────

def test_untouched_prospects_go_to_the_pool_once(org):
    with time_machine.travel(datetime.datetime(2026, 8, 1, 9, tzinfo=datetime.UTC)):
        old, touched = _prospects(org.alice, 2)
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)):
        touchpoint_log(user=org.alice, customer=touched, data={"method": "call"})
    fresh = _prospects(org.alice, 1, "新")[0]
    assert services.pool_sweep_untouched(today=TODAY) == 1
    assert services.pool_sweep_untouched(today=TODAY) == 0  # idempotent
    assert list(SharedPoolEntry.objects.values_list("customer", "reason")) == [(old.pk, "untouched")]
    assert fresh.pk not in SharedPoolEntry.objects.values_list("customer", flat=True)


def test_claim_moves_the_prospect_and_is_logged(org):
    prospect = _prospects(org.alice, 1)[0]
    services.decision_set(user=org.alice, customer=prospect, decision="give_up", reason="联系不上")
    entry = SharedPoolEntry.objects.get()
    with pytest.raises(PermissionDenied):
        services.pool_claim(user=org.alice, entry=entry)  # not the rep who gave it up
    with pytest.raises(PermissionDenied):
        services.pool_claim(user=org.carol, entry=entry)  # another team's pool
    with pytest.raises(PermissionDenied):
        services.pool_claim(user=org.cathy, entry=entry)
    result = services.pool_claim(user=org.bob, entry=entry)
    assert result.customer.owner == org.bob and result.customer.pursuit == "continue"
    assert result.entry.claimed_by == org.bob and result.entry.claimed_at
    with pytest.raises(ValidationError):
        services.pool_claim(user=org.sam, entry=entry)


def test_claims_are_capped_by_policy(org):
    ProspectPolicy.objects.create(pk=1, claim_cap=2, claim_window_days=30)
    prospects = _prospects(org.alice, 3)
    for p in prospects:
        services.decision_set(user=org.alice, customer=p, decision="give_up", reason="放弃")
    entries = list(SharedPoolEntry.objects.order_by("id"))
    services.pool_claim(user=org.bob, entry=entries[0])
    services.pool_claim(user=org.bob, entry=entries[1])
    with pytest.raises(ValidationError) as caught:
        services.pool_claim(user=org.bob, entry=entries[2])
    assert "2" in caught.value.messages[0]
    assert SharedPoolEntry.objects.filter(claimed_by=org.bob).count() == 2


# ── the first confirmed order (ledger) ───────────────────────────────────────────────────────

def test_only_the_first_confirmed_order_turns_red_and_later_grades_stay(org):
    prospect = _prospects(org.alice, 1)[0]
    _win(org, prospect)
    prospect.refresh_from_db()
    assert prospect.colour == "red"
    services.colour_set(user=org.alice, customer=prospect, colour="yellow", reason="复购放缓")
    _win(org, prospect)
    prospect.refresh_from_db()
    assert prospect.colour == "yellow" and prospect.lifecycle == Lifecycle.CUSTOMER


def test_decisions_are_for_prospects(org):
    customer = make_customer(org.alice, "老客户有限公司")
    with pytest.raises(ValidationError):
        services.decision_set(user=org.alice, customer=customer, decision="give_up", reason="x")


def test_low_pools_are_warned_on_mondays_once(org):
    from kehu.accounts.models import Notification
    from kehu.prospecting.daily import warn_low_pools

    monday = datetime.date(2026, 11, 23)
    with time_machine.travel(datetime.datetime(2026, 11, 23, 1, tzinfo=datetime.UTC)):
        assert warn_low_pools(today=monday + datetime.timedelta(days=1)) == 0
        sent = warn_low_pools(today=monday)
        assert warn_low_pools(today=monday) == 0
    assert sent == Notification.objects.count() == 5  # alice, bob, carol, sam, sue: all below the default target
    assert "华东一组" in Notification.objects.get(user=org.sam).text


def test_home_page_warns_of_low_pools(client, org):
    from django.urls import reverse

    client.force_login(org.sam)
    body = client.get(reverse("home")).content.decode()
    assert "华东一组" in body and "艾丽" in body
    client.force_login(org.cathy)
    assert "华东一组" in client.get(reverse("home")).content.decode()


def test_reviews_due(org):
    prospect = _prospects(org.alice, 1)[0]
    services.decision_set(user=org.alice, customer=prospect, decision="low_cadence", reason="明年预算",
                          review_on=TODAY + datetime.timedelta(days=5), today=TODAY)
    assert list(selectors.reviews_due(user=org.alice, today=TODAY)) == [prospect]
    assert list(selectors.reviews_due(user=org.alice, today=TODAY, days=2)) == []
    assert list(selectors.reviews_due(user=org.bob, today=TODAY)) == []


def test_daily_jobs_are_registered_and_idempotent(org):
    from kehu.core.daily import jobs, run_all

    assert {"prospecting.untouched_to_shared_pool", "prospecting.pool_below_target",
            "prospecting.yield_figures"} <= set(jobs())
    with time_machine.travel(datetime.datetime(2026, 8, 1, 9, tzinfo=datetime.UTC)):
        _prospects(org.alice, 1)
    first = run_all(today=TODAY)
    second = run_all(today=TODAY)
    assert first["prospecting.untouched_to_shared_pool"] == 1 and first["prospecting.yield_figures"] == 0
    assert second["prospecting.untouched_to_shared_pool"] == 0 and second["prospecting.yield_figures"] == 0
