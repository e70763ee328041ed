"""Owners of new customers from a file without an owner column: the rule the importer chooses."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer
from kehu.dataio.models import ImportJob
from kehu.dataio.services import import_file
from kehu.testing import make_customer

from .files import xlsx

pytestmark = pytest.mark.django_db

HEADER = ["客户名称", "电话", "地址"]


def rows(addresses):
    return [HEADER] + [[f"测试{i}号润滑油有限公司", f"139{i:08d}", address] for i, address in enumerate(addresses)]


def run(user, data, **kw):
    return import_file(user=user, kind="customers", name="f.xlsx", source=xlsx(data), **kw)


def owners():
    return sorted(Customer.objects.values_list("owner__username", flat=True))


def test_balance_spreads_new_customers_evenly_counting_books_already_held(org):
    make_customer(owner=org.alice)  # alice starts one customer ahead
    done = run(org.sam, rows(["上海市浦东新区"] * 5), commit=True, assign="balance")
    assert done.committed and done.created == 5
    books = {u: Customer.objects.filter(owner__username=u).count() for u in ("alice", "bob")}
    assert books == {"alice": 3, "bob": 3}
    assert sum(done.assigned.values()) == 5


def test_region_gives_each_customer_to_a_rep_of_its_region(org):
    # sam supervises alice and bob (East); ada (admin) may assign to every rep, carol is North.
    data = rows(["上海市浦东新区张江路1号", "北京市海淀区中关村1号", "江苏省南京市玄武区2号", "天津市和平区3号", "西藏自治区拉萨市城关区"])
    done = run(org.ada, data, commit=True, assign="region")
    assert done.committed, done.errors
    by_address = dict(Customer.objects.values_list("address", "owner__username"))
    assert by_address["上海市浦东新区张江路1号"] in {"alice", "bob"}
    assert by_address["江苏省南京市玄武区2号"] in {"alice", "bob"}
    assert by_address["上海市浦东新区张江路1号"] != by_address["江苏省南京市玄武区2号"]  # smallest book first
    assert by_address["北京市海淀区中关村1号"] == "carol" and by_address["天津市和平区3号"] == "carol"
    assert by_address["西藏自治区拉萨市城关区"] in {"alice", "bob", "carol"}  # no region covers it: balance


def test_one_named_rep_and_the_owner_column_wins_over_the_rule(org):
    data = [HEADER + ["业务员"], ["甲公司", "13900000001", "上海市", "alice"], ["乙公司", "13900000002", "上海市", ""]]
    done = run(org.sam, data, commit=True, assign=f"rep:{org.bob.pk}")
    assert done.committed
    assert dict(Customer.objects.values_list("name", "owner__username")) == {"甲公司": "alice", "乙公司": "bob"}


def test_a_rule_cannot_reach_outside_whom_the_importer_may_assign_to(org):
    refused = run(org.sam, rows(["上海市"]), commit=True, assign=f"rep:{org.carol.pk}")  # carol is sue's rep
    assert refused.problem and not refused.committed and not Customer.objects.exists()
    refused = run(org.alice, rows(["上海市"]), commit=True, assign=f"rep:{org.bob.pk}")
    assert refused.problem and not Customer.objects.exists()
    unknown = run(org.sam, rows(["上海市"]), assign="lottery")
    assert "lottery" in unknown.problem


def test_a_rep_s_new_customers_are_their_own_whatever_the_rule(org):
    done = run(org.alice, rows(["北京市海淀区"] * 3), commit=True, assign="region")
    assert done.committed and owners() == ["alice"] * 3


def test_without_a_rule_someone_who_owns_no_customers_must_name_owners(org):
    checked = run(org.ada, rows(["上海市"] * 2))
    assert checked.error_count == 2 and "owner" in checked.errors[0].reason.lower()
    assert run(org.ada, rows(["上海市"] * 2), assign="balance").error_count == 0


def test_preview_tells_where_new_customers_will_go_and_writes_nothing(org):
    checked = run(org.sam, rows(["上海市"] * 4), assign="balance")
    assert checked.assigned == {str(org.alice): 2, str(org.bob): 2}
    assert not Customer.objects.exists()


def test_a_rep_role_is_preferred_over_supervisors_for_balance(org):
    User.objects.create(username="sup_only", role=Role.SUPERVISOR)
    run(org.ada, rows(["上海市"] * 6), commit=True, assign="balance")
    assert set(owners()) <= {"alice", "bob", "carol"}


def test_command_takes_a_rule_or_a_rep_name(org, tmp_path, capsys):
    path = tmp_path / "c.xlsx"
    path.write_bytes(xlsx(rows(["上海市"] * 2)))
    call_command("import", "customers", str(path), "--as", "sam", "--assign", "bob", "--commit")
    assert owners() == ["bob", "bob"]
    assert "new customers to" in capsys.readouterr().out


def test_page_offers_the_rules_and_keeps_the_choice_for_the_commit(org, client):
    client.force_login(org.sam)
    upload = client.post(reverse("dataio:upload"), {"kind": "customers", "file": _file(rows(["上海市"] * 3))})
    job = ImportJob.objects.get()
    assert upload.status_code == 302
    page = client.get(reverse("dataio:job", args=[job.pk]))
    assert b'name="assign"' in page.content and b"balance" in page.content
    mapping = {f"col{i}": f for i, f in enumerate(job.mapping)}
    bad = client.post(reverse("dataio:check", args=[job.pk]), mapping | {"assign": f"rep:{org.carol.pk}"}, follow=True)
    assert ImportJob.objects.get().status == "uploaded" and bad.status_code == 200
    client.post(reverse("dataio:check", args=[job.pk]), mapping | {"assign": "balance"})
    job.refresh_from_db()
    assert job.assign == "balance" and job.status == "checked"
    client.post(reverse("dataio:commit", args=[job.pk]))
    assert sorted(set(owners())) == ["alice", "bob"] and len(owners()) == 3


def _file(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("c.xlsx", xlsx(data))


def test_region_rule_counts_a_subregion_s_provinces_as_its_parent_s(org):
    """A team of the East region also covers the provinces of East's subregions, at any depth."""
    from kehu.accounts.models import Region

    anhui = Region.objects.create(code="E-AH", name="皖区", parent=org.east, provinces="安徽省")
    Region.objects.create(code="E-AH-S", name="皖南", parent=anhui, provinces="江西省")
    done = run(org.ada, rows(["安徽省合肥市蜀山区1号"] + [f"江西省南昌市东湖区{i}号" for i in range(2, 6)]), commit=True,
               assign="region")
    assert done.committed, done.errors
    assert set(owners()) <= {"alice", "bob"}
