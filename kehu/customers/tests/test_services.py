from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.uscc import check_char
from kehu.customers.models import Contact, Customer, GeoSource
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.services import contact_create, contact_update, customer_create, customer_update
from kehu.testing import make_customer

pytestmark = pytest.mark.django_db


def names(user, **filters):
    return {c.name for c in customer_list(user=user, filters=CustomerFilters(**filters))}


def test_create_assigns_code_parses_address_and_locates(org):
    c = customer_create(user=org.alice, data={"name": "中石化润滑油销售有限公司", "address": "上海市浦东新区张江路123号"})
    assert c.code.startswith("KH") and c.owner == org.alice
    assert (c.province, c.city, c.district) == ("上海市", "上海市", "浦东新区")
    assert c.geo_source == GeoSource.DISTRICT and c.lng is not None
    assert c.region == org.east  # 上海市 is in the East region's provinces
    second = customer_create(user=org.alice, data={"name": "第二家"})
    assert second.code != c.code


def test_exact_coordinates_are_kept(org):
    c = customer_create(user=org.alice, data={"name": "甲公司", "address": "上海市浦东新区张江路1号",
                                              "lng": Decimal("121.600001"), "lat": Decimal("31.200001")})
    assert c.geo_source == GeoSource.EXACT and c.lng == Decimal("121.600001")


def test_search_by_name_pinyin_initials_phone_and_contact(org):
    c = make_customer(org.alice, "中石化润滑油销售有限公司", phone="021-62345678")
    make_customer(org.alice, "长城物流有限公司")
    contact_create(user=org.alice, customer=c, data={"name": "王建国", "phone": "138 1234 5678"})
    assert names(org.alice, q="zsh") == {c.name}
    assert names(org.alice, q="ZSH") == {c.name}
    assert names(org.alice, q="zhongshihua") == {c.name}
    assert names(org.alice, q="石化") == {c.name}
    assert names(org.alice, q="13812345678") == {c.name}
    assert names(org.alice, q="138-1234-5678") == {c.name}
    assert names(org.alice, q="62345678") == {c.name}
    assert names(org.alice, q="王建国") == {c.name}
    assert names(org.alice, q="wangjianguo") == {c.name}
    assert names(org.alice, q="zsh 物流") == set()  # every word must match


def test_search_never_crosses_visibility(org):
    make_customer(org.bob, "中石化鲍勃有限公司")
    assert names(org.alice, q="zsh") == set()
    assert names(org.sam, q="zsh") == {"中石化鲍勃有限公司"}


def test_filters(org):
    a = make_customer(org.alice, "甲", address="上海市浦东新区张江路1号", industry=org.industry, colour="red")
    make_customer(org.carol, "乙", address="北京市朝阳区建国路1号", lifecycle="prospect", colour="green")
    assert names(org.sid, region=org.east.pk) == {a.name}
    assert names(org.sid, region=org.north.pk) == {"乙"}
    assert names(org.sid, industry=org.industry.pk) == {"甲"}
    assert names(org.sid, lifecycle="prospect") == {"乙"}
    assert names(org.sid, colour="red") == {"甲"}
    assert names(org.sid, team=org.team_north.pk) == {"乙"}
    assert names(org.sid, owner=org.alice.pk) == {"甲"}
    assert names(org.sid, grade="-") == {"甲", "乙"}


def test_uscc_checked_and_unique(org):
    body = "91310000MA1FL0000"
    good = body + check_char(body)
    make_customer(org.alice, "甲", uscc=good)
    with pytest.raises(ValidationError) as err:
        make_customer(org.alice, "乙", uscc=good)
    assert "uscc" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        make_customer(org.alice, "丙", uscc=body + ("0" if good[-1] != "0" else "1"))
    assert "uscc" in err.value.message_dict
    assert Customer.objects.count() == 1


def test_malformed_phone_refused_nothing_saved(org):
    with pytest.raises(ValidationError) as err:
        customer_create(user=org.alice, data={"name": "甲", "phone": "12345"})
    assert "phone" in err.value.message_dict
    assert not Customer.objects.exists()


def test_missing_name_refused(org):
    with pytest.raises(ValidationError) as err:
        customer_create(user=org.alice, data={"name": ""})
    assert "name" in err.value.message_dict
    assert not Customer.objects.exists()


def test_rep_cannot_give_customer_to_another_rep(org):
    with pytest.raises(ValidationError) as err:
        customer_create(user=org.alice, data={"name": "甲", "owner": org.carol})
    assert "owner" in err.value.message_dict
    c = make_customer(org.alice, "乙")
    with pytest.raises(ValidationError):
        customer_update(user=org.alice, customer=c, data={"owner": org.bob})
    # The supervisor may move it within the team, not to another team.
    assert customer_update(user=org.sam, customer=c, data={"owner": org.bob}).owner == org.bob
    with pytest.raises(ValidationError):
        customer_update(user=org.sam, customer=c, data={"owner": org.carol})


def test_rep_cannot_change_another_reps_customer(org):
    c = make_customer(org.bob, "乙")
    with pytest.raises(PermissionDenied):
        customer_update(user=org.alice, customer=c, data={"name": "改"})
    with pytest.raises(PermissionDenied):
        contact_create(user=org.alice, customer=c, data={"name": "王"})
    with pytest.raises(PermissionDenied):
        customer_update(user=org.cathy, customer=c, data={"name": "改"})


def test_contact_birthdays_validated(org):
    c = make_customer(org.alice, "甲")
    with pytest.raises(ValidationError):
        contact_create(user=org.alice, customer=c, data={"name": "王", "birthday_month": 2, "birthday_day": 30})
    with pytest.raises(ValidationError):
        contact_create(user=org.alice, customer=c, data={"name": "王", "birthday_month": 2})
    lunar = contact_create(user=org.alice, customer=c, data={"name": "王", "birthday_month": 12, "birthday_day": 30,
                                                            "birthday_lunar": True})
    assert lunar.pk
    assert Contact.objects.count() == 1


def test_one_primary_contact_and_search_follows_contact_changes(org):
    c = make_customer(org.alice, "甲")
    first = contact_create(user=org.alice, customer=c, data={"name": "王", "is_primary": True})
    second = contact_create(user=org.alice, customer=c, data={"name": "李", "is_primary": True})
    first.refresh_from_db()
    assert not first.is_primary and second.is_primary
    contact_update(user=org.alice, contact=second, data={"name": "赵"})
    assert names(org.alice, q="赵") == {"甲"}
    assert names(org.alice, q="李") == set()
