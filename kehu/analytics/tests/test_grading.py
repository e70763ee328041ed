"""C1 on hand-built ledgers: the share and count methods, their edges, and region/team scope."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from kehu.analytics import grading
from kehu.analytics.models import GradeRun
from kehu.analytics.services import abc_compute, policy_update
from kehu.customers.models import Customer
from kehu.ledger.models import OrderStatus
from kehu.ledger.rollup import sales_rollup_apply
from kehu.ledger.services import order_cancel, order_confirm, order_create
from kehu.testing import make_customer

from .helpers import AS_OF, sale

pytestmark = pytest.mark.django_db


def grades(result):
    return {Customer.objects.get(pk=r.id).code: r.grade for r in result.rows}


def customers(org, *amounts, owner=None, prefix="K"):
    out = []
    for index, amount in enumerate(amounts, start=1):
        c = make_customer(owner or org.alice, code=f"{prefix}{index:02d}")
        if amount:
            sale(org, c, amount)
        out.append(c)
    return out


def test_share_boundary_exactly_at_80_and_95_percent(org):
    customers(org, 800, 100, 50, 50)
    result = abc_compute(as_of=AS_OF)
    # K02's predecessors hold exactly 80% (not below): B; K04's exactly 95%: C.
    assert grades(result) == {"K01": "A", "K02": "B", "K03": "B", "K04": "C"}
    assert result.total == Decimal("1000.00")
    assert result.summary["A"].customers == 1 and result.summary["A"].sales_share == 0.8


def test_ties_ranked_by_code_ascending(org):
    customers(org, 0, 0, prefix="Z")  # no sales: C
    a, b, c = customers(org, 450, 450, 100)
    ranked = [Customer.objects.get(pk=r.id).code for r in abc_compute(as_of=AS_OF).rows]
    assert ranked[:3] == ["K01", "K02", "K03"]
    g = grades(abc_compute(as_of=AS_OF))
    assert g["K01"] == "A" and g["K02"] == "A" and g["K03"] == "B"  # K02 has 45% above it
    assert g["Z01"] == g["Z02"] == "C"


def test_no_sales_and_net_sales_not_positive_are_c(org):
    big, small, returned = customers(org, 900, 100, 300)
    # Returns and credit notes larger than the sales: net −50 in the window.
    sales_rollup_apply(customer_id=returned.pk, month=datetime.date(2026, 6, 1), delta=Decimal("-350"))
    idle = make_customer(org.alice, code="K99")
    result = abc_compute(as_of=AS_OF)
    g = grades(result)
    assert g["K03"] == "C" and g["K99"] == "C"
    assert result.total == Decimal("1000.00")  # the total counts only positive sales
    assert g["K01"] == "A" and g["K02"] == "B"
    assert {r.id: r.sales for r in result.rows}[returned.pk] == Decimal("-50.00")
    assert idle.pk in {r.id for r in result.rows}


def test_cancelled_held_and_draft_orders_do_not_count(org):
    a, b = customers(org, 100, 100)
    draft = order_create(user=org.alice, customer=b, order_date=datetime.date(2026, 6, 1),
                         lines=[{"product": org.product, "quantity": "1", "unit_price": "5000"}], payment_method="cash")
    held = order_create(user=org.alice, customer=b, order_date=datetime.date(2026, 6, 1),
                        lines=[{"product": org.product, "quantity": "1", "unit_price": "6000"}])
    held = order_confirm(user=org.alice, order=held)  # on credit with no approved limit: held
    assert held.status == OrderStatus.HELD and draft.status == OrderStatus.DRAFT
    cancelled = sale(org, b, 7000)
    order_cancel(user=org.alice, order=cancelled)
    sales = {r.id: r.sales for r in abc_compute(as_of=AS_OF).rows}
    assert sales[a.pk] == sales[b.pk] == Decimal("100.00")


@pytest.mark.parametrize("as_of", [datetime.date(2026, 12, 1), datetime.date(2026, 11, 15)])
def test_window_edges(org, as_of):
    start = grading.add_months(as_of, -12)
    c = make_customer(org.alice, code="W1")
    sale(org, c, 1, day=start - datetime.timedelta(days=1))  # before the window
    sale(org, c, 10, day=start)  # first day in
    sale(org, c, 100, day=as_of - datetime.timedelta(days=1))  # last day in
    sale(org, c, 1000, day=as_of)  # as-of itself is out
    sale(org, c, 10000, day=start + datetime.timedelta(days=40))  # a whole month in the middle
    assert abc_compute(as_of=as_of).rows[0].sales == Decimal("10110.00")
    assert abc_compute(as_of=as_of, window_months=1).rows[0].sales == Decimal("100.00")


def test_single_customer_and_all_equal(org):
    customers(org, 500)
    assert grades(abc_compute(as_of=AS_OF)) == {"K01": "A"}
    customers(org, 500, 500, 500, 500, 500, 500, 500, 500, 500, prefix="L")
    g = grades(abc_compute(as_of=AS_OF))
    # Ten equal: the first eight have < 80% above them, the ninth exactly 80%, the tenth 90%.
    assert sorted(g.values()) == ["A"] * 8 + ["B"] * 2
    assert g["L08"] == "B" and g["L09"] == "B"


def test_count_method(org):
    customers(org, 1000, 900, 800, 700, 600, 500, 400, 300, 0, 0)
    g = grades(abc_compute(as_of=AS_OF, method="count"))
    assert [g[f"K{i:02d}"] for i in range(1, 11)] == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C"]
    # The policy's count thresholds apply to the count method.
    policy_update(user=org.ada, data={"count_a": 10, "count_b": 30})
    g = grades(abc_compute(as_of=AS_OF, method="count"))
    assert [g[f"K{i:02d}"] for i in range(1, 5)] == ["A", "B", "B", "C"]


def test_count_method_single_customer_and_no_sales(org):
    customers(org, 0)
    assert grades(abc_compute(as_of=AS_OF, method="count")) == {"K01": "C"}


def test_region_and_team_scope(org):
    east_big, east_small = customers(org, 1000, 100, owner=org.alice, prefix="E")
    east_small.region = org.east
    east_big.region = org.east
    Customer.objects.filter(pk__in=[east_big.pk, east_small.pk]).update(region=org.east)
    north_small, = customers(org, 50, owner=org.carol, prefix="N")
    Customer.objects.filter(pk=north_small.pk).update(region=org.north)
    company = grades(abc_compute(as_of=AS_OF))
    assert company["N01"] == "C"  # 1100 of 1150 above it
    region = grades(abc_compute(as_of=AS_OF, scope="region"))
    assert region == {"E01": "A", "E02": "B", "N01": "A"}  # alone in its region
    team = grades(abc_compute(as_of=AS_OF, scope="team"))
    assert team["N01"] == "A" and team["E02"] == "B"


def test_prospects_without_sales_are_not_graded(org):
    customers(org, 100)
    prospect = make_customer(org.alice, code="P01", lifecycle="prospect")
    assert prospect.pk not in {r.id for r in abc_compute(as_of=AS_OF).rows}


def test_command_json_contract_and_dry_run(org):
    customers(org, 800, 100, 50, 50)
    out = StringIO()
    call_command("abc", "--as-of", "2026-12-01", "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert list(data) == ["as_of", "window_months", "method", "customers", "summary"]
    assert data["as_of"] == "2026-12-01" and data["window_months"] == 12 and data["method"] == "share"
    assert data["customers"][0] == {"id": data["customers"][0]["id"], "code": "K01", "sales": "800.00", "grade": "A"}
    assert set(data["summary"]) == {"A", "B", "C"}
    assert data["summary"]["B"] == {"customers": 2, "sales": "150.00", "customer_share": 0.5, "sales_share": 0.15}
    assert not GradeRun.objects.exists()
    assert set(Customer.objects.values_list("abc_grade", flat=True)) == {""}
    out = StringIO()
    call_command("abc", "--as-of", "2026-12-01", "--window-months", "6", "--method", "count", "--scope", "region",
                 stdout=out, stderr=StringIO())
    assert "Stored as run" in out.getvalue()
    run = GradeRun.objects.get()
    assert (run.window_months, run.method, run.scope) == (6, "count", "region")
    assert set(Customer.objects.values_list("abc_grade", flat=True)) == {""}  # only company runs write the field


def test_command_rejects_bad_input(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("abc", "--as-of", "2026-13-01", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("abc", "--window-months", "0", stdout=StringIO())


def test_policy_history_and_admin_only(org):
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.analytics.models import GradingPolicy

    with pytest.raises(PermissionDenied):
        policy_update(user=org.sid, data={"window_months": 6})
    policy_update(user=org.ada, data={"window_months": 6})
    policy_update(user=org.ada, data={"share_a": 70})
    with pytest.raises(ValidationError):
        policy_update(user=org.ada, data={"share_a": 96})
    assert [(p.window_months, int(p.share_a)) for p in GradingPolicy.objects.order_by("id")] == [(6, 80), (6, 70)]
    assert GradingPolicy.objects.count() == 2
    assert abc_compute(as_of=AS_OF).window_months == 6
