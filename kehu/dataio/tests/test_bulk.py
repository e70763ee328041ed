"""The import's fast helpers give what the app's own functions give."""

import pytest

from kehu.core import text
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import build_search_text
from kehu.dataio import bulk

NAMES = ["", "  ", "中石化", "重庆长安汽车", "Shell 壳牌（中国）有限公司", "导入测试12号润滑油有限公司", "ＡＢＣ　公司 x-y 行长",
         "银行 bank of 长沙", "〇一二三", "Tom Lee", "东莞市 长安镇 重庆路 88号", "乐乐 音乐", "李 明 Jr.", "朝阳区朝阳门"]


@pytest.mark.parametrize("name", NAMES)
def test_pinyin_as_core_text(name):
    assert bulk.pinyin_full(name) == text.pinyin_full(name)
    assert bulk.pinyin_initials(name) == text.pinyin_initials(name)


def test_search_text_as_build_search_text():
    customer = Customer(code="C1", name="重庆长安汽车", short_name="长安", uscc="91310000MA1K30QK2F", phone="021-62345678",
                        address="上海市浦东新区张江路1号", pinyin=text.pinyin_full("重庆长安汽车"), initials=text.pinyin_initials("重庆长安汽车"))
    contacts = [Contact(name="张伟", phone="139-0000-1111", wechat="zw88"), Contact(name="Tom Lee", phone="", wechat="")]
    expected = build_search_text(customer, contacts=contacts)
    assert bulk.search_text(code=customer.code, name=customer.name, short_name=customer.short_name, pinyin=customer.pinyin,
                            initials=customer.initials, uscc=customer.uscc, phone=customer.phone, address=customer.address,
                            contacts=[(c.name, c.phone, c.wechat) for c in contacts]) == expected


def test_one_company_once_per_file_whatever_the_rows_keys(org):
    from kehu.dataio.services import import_file

    from .files import xlsx

    rows = [["客户编码", "客户名称", "统一社会信用代码"],
            ["C1", "上海甲润滑油有限公司", "91310000MA1K30QK2F"],
            ["C2", "上海甲润滑油（集团）有限公司", "91310000MA1K30QK2F"]]
    outcome = import_file(user=org.alice, kind="customers", name="f.xlsx", source=xlsx(rows), commit=True)
    assert not outcome.committed and outcome.error_count == 1
    assert outcome.errors[0].row == 3 and "Row 2" in outcome.errors[0].reason
    assert not Customer.objects.exists()
