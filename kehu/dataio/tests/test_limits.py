"""Import of credit limits decided in the previous system (K1): recorded as decisions, never a way
around the approval rule; idempotent; all rows or none."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from kehu.credit import services as credit
from kehu.credit.models import (
    AuditEntry,
    CheckResult,
    CreditAccount,
    CreditLimit,
    Investigation,
    LimitApplication,
    ReviewTask,
)
from kehu.customers.models import Customer
from kehu.dataio.services import import_file
from kehu.ledger.models import OrderStatus
from kehu.ledger.services import order_confirm, order_create, order_deliver, order_invoice
from kehu.testing import grant_limit, make_customer

from .files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 26)

HEADER = ["客户编码", "授信额度", "账期", "批准人", "申请人", "批准日期", "有效期至", "备注"]
LIMITS = [
    HEADER,
    # alice's customer, ¥500,000: above sam's authority (¥200,000), so the senior manager approved it.
    ["A1", "50万元", "30", "sid", "alice", "2026-06-01", "", "老客户"],
    # bob's, no applicant given (bob, the owner); his supervisor sam within his authority.
    ["B1", "¥150,000", "45", "sam", "", "2026-09-15", "2027-09-14", ""],
    # carol's, approver by display name (苏主管 is sue, carol's supervisor); approved today.
    ["C1", "80000", "60", "苏主管", "", "", "", ""],
]


def run(user, rows, *, commit=False, name="limits.xlsx", data=None, **kw):
    return import_file(user=user, kind="credit_limits", name=name, source=data or xlsx(rows), commit=commit, **kw)


def one_row(*row, header=HEADER):
    return [header, list(row)]


def reasons(outcome) -> dict[tuple[int, str], str]:
    return {(e.row, e.column.split(" · ")[-1]): e.reason for e in outcome.errors}


def credit_rows() -> dict[str, int]:
    return {"investigations": Investigation.objects.count(), "applications": LimitApplication.objects.count(),
            "limits": CreditLimit.objects.count(), "audit": AuditEntry.objects.count(),
            "accounts": CreditAccount.objects.count()}


NOTHING = {"investigations": 0, "applications": 0, "limits": 0, "audit": 0, "accounts": 0}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0), tick=False):
        yield


@pytest.fixture
def book(org):
    return {
        "A1": make_customer(org.alice, "艾丽机械制造有限公司", code="A1"),
        "B1": make_customer(org.bob, "鲍勃物流有限公司", code="B1"),
        "C1": make_customer(org.carol, "卡罗建筑工程有限公司", code="C1"),
    }


def test_import_records_each_limit_as_a_k1_decision(org, book):
    preview = run(org.cathy, LIMITS)
    assert (preview.rows, preview.created, preview.updated, preview.skipped, preview.error_count) == (3, 3, 0, 0, 0)
    assert credit_rows() == NOTHING  # the preview writes nothing

    done = run(org.cathy, LIMITS, commit=True)
    assert done.committed and done.created == 3

    expected = {  # code: amount, terms, approver, applicant, valid from, review on
        "A1": (D("500000.00"), 30, org.sid, org.alice, datetime.date(2026, 6, 1), datetime.date(2027, 6, 1)),
        "B1": (D("150000.00"), 45, org.sam, org.bob, datetime.date(2026, 9, 15), datetime.date(2027, 9, 14)),
        "C1": (D("80000.00"), 60, org.sue, org.carol, TODAY, datetime.date(2027, 11, 26)),
    }
    for code, (amount, terms, approver, applicant, valid_from, review_on) in expected.items():
        customer = Customer.objects.get(code=code)
        limit = CreditLimit.objects.select_related("application__investigation").get(customer=customer, is_current=True)
        assert (limit.amount, limit.terms_days, limit.approved_by, limit.valid_from, limit.review_on) == (
            amount, terms, approver, valid_from, review_on)
        assert credit.limit_current(customer_id=customer.pk) == limit
        application = limit.application
        assert application.status == "approved"
        assert (application.applicant, application.decided_by) == (applicant, approver)
        assert (application.approved_limit, application.approved_terms_days) == (amount, terms)
        assert application.decided_at.date() == valid_from
        investigation = application.investigation
        assert investigation.is_imported and investigation.score is None and investigation.investigated_on == valid_from
        assert customer.payment_terms_days == terms
        assert CreditAccount.objects.filter(customer=customer).exists()
        # The audit trail says each step was imported, and by whom.
        entries = AuditEntry.objects.filter(customer=customer)
        assert {(e.action, e.user) for e in entries} == {
            ("investigation.import", org.cathy), ("application.import", org.cathy), ("limit.import", org.cathy)}
        limit_entry = entries.get(action="limit.import")
        assert limit_entry.object_id == limit.pk and limit_entry.after["approved_by"] == approver.pk
        assert "imported" in limit_entry.action_label
    assert LimitApplication.objects.get(customer__code="A1").reason == "老客户"


def test_reimport_skips_everything_and_a_new_amount_is_a_new_approval(org, book):
    assert run(org.cathy, LIMITS, commit=True).committed
    before = credit_rows()
    snapshot = list(CreditLimit.objects.order_by("pk").values())
    again = run(org.cathy, LIMITS, commit=True)
    assert again.committed and (again.created, again.updated, again.skipped) == (0, 0, 3)
    assert credit_rows() == before and list(CreditLimit.objects.order_by("pk").values()) == snapshot

    rows = [r[:] for r in LIMITS]
    rows[2][1] = "18万"  # bob's limit raised; sam's authority still covers it
    changed = run(org.cathy, rows, commit=True)
    assert changed.committed and (changed.created, changed.updated, changed.skipped) == (0, 1, 2)
    history = list(CreditLimit.objects.filter(customer__code="B1").order_by("id"))
    assert [(lim.amount, lim.is_current) for lim in history] == [(D("150000.00"), False), (D("180000.00"), True)]
    assert history[0].superseded_at is not None
    assert LimitApplication.objects.filter(customer__code="B1", status="approved").count() == 2


@pytest.mark.parametrize("who", ["alice", "sam", "sue", "kim"])
def test_only_credit_staff_import_limits(org, book, who):
    outcome = run(getattr(org, who), LIMITS, commit=True)
    assert not outcome.committed
    assert outcome.problem == "Only credit control, senior managers and administrators import credit limits."
    assert credit_rows() == NOTHING


@pytest.mark.parametrize("who", ["cathy", "sid", "ada"])
def test_credit_staff_may(org, book, who):
    assert run(getattr(org, who), LIMITS).ok


def test_approver_without_authority_is_a_row_error_and_nothing_is_written(org, book):
    rows = [r[:] for r in LIMITS]
    rows[1][3] = "sam"  # ¥500,000 is above sam's ¥200,000
    outcome = run(org.cathy, rows, commit=True)
    assert not outcome.committed and outcome.error_count == 1
    error = outcome.errors[0]
    assert (error.row, error.column, error.value) == (2, "D · 批准人", "sam")
    assert "above your approval authority of ¥200,000.00" in error.reason
    assert credit_rows() == NOTHING


def test_approver_must_be_the_applicants_supervisor_or_higher(org, book):
    outcome = run(org.cathy, one_row("A1", "10000", "30", "sue", "alice", "", "", ""))  # sue leads team North
    assert "only the requests of their own team's reps" in reasons(outcome)[(2, "批准人")]
    outcome = run(org.cathy, one_row("A1", "10000", "30", "cathy", "alice", "", "", ""))  # credit does not approve
    assert "Only a supervisor or a senior manager approves credit" in reasons(outcome)[(2, "批准人")]
    outcome = run(org.cathy, one_row("A1", "10000", "30", "bob", "alice", "", "", ""))  # a fellow rep
    assert "Only a supervisor or a senior manager approves credit" in reasons(outcome)[(2, "批准人")]


def test_nobody_approves_their_own_request(org, book):
    outcome = run(org.cathy, one_row("A1", "10000", "30", "alice", "alice", "", "", ""), commit=True)
    assert reasons(outcome) == {(2, "批准人"): "Nobody approves their own request."}
    # The default applicant is the customer's owner: sam approving for his own customer is refused too.
    make_customer(org.sam, "沈主管的客户有限公司", code="S1")
    outcome = run(org.cathy, one_row("S1", "10000", "30", "sam", "", "", "", ""), commit=True)
    assert reasons(outcome) == {(2, "批准人"): "Nobody approves their own request."}
    assert credit_rows() == NOTHING


def test_unknown_missing_or_inactive_approver(org, book):
    outcome = run(org.cathy, [HEADER, ["A1", "10000", "30", "nobody", "", "", "", ""],
                              ["B1", "10000", "30", "", "", "", "", ""]])
    found = reasons(outcome)
    assert found[(2, "批准人")] == "No active user is called “nobody”."
    assert "every limit needs its approver" in found[(3, "批准人")]
    org.sam.is_active = False
    org.sam.save()
    outcome = run(org.cathy, one_row("B1", "10000", "30", "sam", "", "", "", ""))
    assert reasons(outcome) == {(2, "批准人"): "No active user is called “sam”."}


def test_a_file_without_an_approver_column_is_refused(org, book):
    outcome = run(org.cathy, [["客户编码", "授信额度", "账期"], ["A1", "10000", "30"]])
    assert outcome.problem == "No column holds: approver."


@pytest.mark.parametrize("value, reason", [
    ("-5", "Negative numbers are not accepted here (-5)."),
    ("abc", "“abc” is not a number."),
    ("20000000000", "is larger than Kehu accepts"),
    ("1e30", "too large to be a number Kehu keeps"),
    ("", "The credit limit is missing."),
])
def test_bad_amounts(org, book, value, reason):
    outcome = run(org.cathy, one_row("A1", value, "30", "sid", "", "", "", ""), commit=True)
    assert not outcome.committed and outcome.error_count == 1
    assert reason in reasons(outcome)[(2, "授信额度")]
    assert credit_rows() == NOTHING


@pytest.mark.parametrize("value, reason", [
    ("200", "Payment terms are whole days from 0 to 180"),
    ("400", "Payment terms are whole days from 0 to 180"),
    ("30.5", "not a whole number"),
    ("-1", "Negative numbers"),
    ("", "The payment terms are missing."),
])
def test_bad_terms(org, book, value, reason):
    assert reason in reasons(run(org.cathy, one_row("A1", "10000", value, "sid", "", "", "", "")))[(2, "账期")]


def test_dates(org, book):
    rows = [HEADER,
            ["A1", "10000", "30", "sid", "", "2026-12-01", "", ""],            # approved in the future
            ["B1", "10000", "30", "sam", "", "2024-03-01", "", ""],            # expired under the policy's 365 days
            ["C1", "10000", "30", "sue", "", "2026-01-01", "2028-01-01", ""]]  # runs longer than one approved today
    found = reasons(run(org.cathy, rows))
    assert found[(2, "批准日期")] == "A limit cannot be approved in the future."
    assert "expired on 2025-03-01" in found[(3, "批准日期")]
    assert "until 2027-11-26 at the latest" in found[(4, "有效期至")]
    # An old approval still in force, with the date it runs until: accepted.
    assert run(org.cathy, one_row("B1", "10000", "30", "sam", "", "2024-03-01", "2027-03-01", "")).ok


def test_customer_problems(org, book):
    rows = [HEADER, ["A1", "10000", "30", "sid", "", "", "", ""], ["ZZ", "10000", "30", "sid", "", "", "", ""],
            ["A1", "20000", "30", "sid", "", "", "", ""]]
    found = reasons(run(org.cathy, rows))
    assert found[(3, "客户编码")] == "No such customer in your book."
    assert found[(4, "客户编码")] == "Repeats row 2 of this file."


def test_a_waiting_application_or_a_newer_limit_comes_first(org, book):
    investigation = credit.investigation_create(user=org.alice, customer=book["A1"], data=_answers())
    credit.application_submit(user=org.alice, customer=book["A1"], investigation=investigation, requested_limit="50000",
                              requested_terms_days=30, reason="新客户")
    grant_limit(book["B1"], "60000")  # approved in Kehu today
    found = reasons(run(org.cathy, [HEADER, ["A1", "10000", "30", "sid", "", "", "", ""],
                                    ["B1", "90000", "30", "sam", "", "2026-10-01", "", ""]]))
    assert "waiting for a decision in Kehu" in found[(2, "客户编码")]
    assert found[(3, "批准日期")] == "The customer's current limit, from 2026-11-26, is newer than this one."


def test_an_error_on_the_last_row_leaves_nothing_behind(org, book):
    rows = LIMITS + [["D1", "10000", "30", "sid", "", "", "", ""]]
    make_customer(org.alice, "丁公司", code="D1")
    rows[-1][3] = "alice"  # alice's own customer, approved by alice
    outcome = run(org.cathy, rows, commit=True, chunk_rows=2)  # the good rows were written in an earlier chunk
    assert not outcome.committed and outcome.error_count == 1 and outcome.errors[0].row == 5
    assert outcome.created == 0
    assert credit_rows() == NOTHING
    assert all(c.payment_terms_days == 0 for c in Customer.objects.all())


def test_english_headers_other_chinese_names_and_csv(org, book):
    english = [["Customer code", "Credit limit", "Payment terms", "Approver", "Applicant", "Approved on"],
               ["A1", "RMB 120,000", "30 ", "sam", "alice", "2026/10/08"]]
    outcome = run(org.cathy, english, name="l.csv", data=csv_bytes(english), commit=True)
    assert outcome.committed and outcome.created == 1
    chinese = [["客户名称", "信用额度（元）", "付款天数", "审批人", "承办人", "批准日期"],
               ["鲍勃物流有限公司", "12.5万元", "45", "沈主管", "鲍勃", "2026年9月1日"]]
    outcome = run(org.cathy, chinese, name="l.csv", data=csv_bytes(chinese, encoding="gbk"), commit=True)
    assert outcome.committed and outcome.created == 1
    limit = CreditLimit.objects.get(customer__code="B1")
    assert (limit.amount, limit.terms_days, limit.approved_by, limit.valid_from) == (
        D("125000.00"), 45, org.sam, datetime.date(2026, 9, 1))


def test_the_order_check_uses_the_imported_limit_and_k3_finds_its_approver(org, book):
    customer = book["B1"]
    line = {"product": org.product, "quantity": "1", "unit_price": "100000"}
    early = order_create(user=org.bob, customer=customer, payment_method="credit", lines=[line])
    assert order_confirm(user=org.bob, order=early).status == OrderStatus.HELD  # no limit yet

    assert run(org.cathy, LIMITS, commit=True).committed
    limit = CreditLimit.objects.get(customer=customer, is_current=True)
    order = order_create(user=org.bob, customer=customer, payment_method="credit", lines=[line])
    order = order_confirm(user=org.bob, order=order)
    assert order.status == OrderStatus.CONFIRMED
    check = order.credit_checks.get()
    assert check.result == CheckResult.PASSED and check.credit_limit == limit and check.limit_amount == D("150000.00")
    over = order_create(user=org.bob, customer=customer, payment_method="credit", lines=[line])
    assert order_confirm(user=org.bob, order=over).status == OrderStatus.HELD  # 100,000 + 100,000 > 150,000

    order_deliver(user=org.bob, order=order)
    order = order_invoice(user=org.bob, order=order)
    write_off = credit.write_off_create(user=org.cathy, receivable=order.receivable, amount="10000", kind="dead",
                                        reason="破产")
    shares = {(li.role, li.person) for li in write_off.liabilities.all()}
    assert shares == {("handler", org.bob), ("approver", org.sam)}  # K3: the imported approver answers for it


def test_k2_daily_review_reads_imported_limits(org, book):
    rows = one_row("A1", "10000", "30", "sid", "", "2025-12-10", "", "")  # expires 2026-12-10, within 30 days
    assert run(org.cathy, rows, commit=True).committed
    raised = credit.credit_daily_review(today=TODAY)
    assert raised["expiring"] == 1
    assert ReviewTask.objects.get().customer == book["A1"]


def test_the_command_and_the_page_offer_the_kind(org, book, tmp_path, capsys, client):
    path = tmp_path / "limits.xlsx"
    path.write_bytes(xlsx(LIMITS))
    call_command("import", "credit_limits", str(path), "--as", "cathy")
    assert "would import" in capsys.readouterr().out and not CreditLimit.objects.exists()
    with pytest.raises(CommandError, match="import credit limits"):
        call_command("import", "credit_limits", str(path), "--as", "alice", "--commit")
    call_command("import", "credit_limits", str(path), "--as", "cathy", "--commit")
    assert CreditLimit.objects.count() == 3

    client.force_login(org.cathy)
    page = client.get(reverse("dataio:upload"))
    kinds = {k: str(label) for k, label in page.context["form"].fields["kind"].choices}
    assert kinds["credit_limits"] in ("Credit limits approved in the previous system", "原系统中已批准的信用额度")


def _answers():
    from kehu.testing import INVESTIGATION

    return dict(INVESTIGATION)
