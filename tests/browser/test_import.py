"""A supervisor brings in a customer list, in a real browser, at desktop and phone widths.

sam uploads an .xlsx with Chinese headers, checks the column mapping Kehu guessed, chooses to
spread the new customers evenly over his reps, reads the preview, imports, and sees the result.
A second file with mistakes shows each error with its row, column and value, and writes nothing.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.dataio.tests.files import xlsx
from kehu.testing import build_org

from .conftest import DEVICES
from .test_first_minutes import log_in

pytestmark = pytest.mark.browser

DEVICE_PARAMS = [pytest.param(d, id=d.name) for d in DEVICES]
GOOD = [
    ["2026年华东区新客户", "", "", "", ""],
    ["客户名称", "电话", "地址", "联系人", "统一社会信用代码"],
    ["上海甲润滑油有限公司", "021 6234 5678", "上海市浦东新区张江路1号", "张伟", "91310000MA1K30QK2F"],
    ["江苏乙机械有限公司", "+86 138 0013 8000", "江苏省南京市玄武区中山路2号", "李娜", ""],
    ["浙江丙物流有限公司", "0571-8765 4321 转 12", "浙江省杭州市西湖区文三路3号", "", ""],
    ["安徽丁化工有限公司", "13900001111", "安徽省合肥市蜀山区4号", "王强", ""],
    ["合计", "", "", "", ""],
]
BAD = [
    ["客户名称", "电话", "地址"],
    ["上海戊贸易有限公司", "12345", "上海市黄浦区"],
    ["", "13900002222", "上海市静安区"],
    ["上海己运输有限公司", "13900003333", "上海市徐汇区"],
]


def upload(page, name: str, rows: list[list]) -> None:
    page.goto("/import/")
    form = page.locator("main form")
    form.locator("select[name=kind]").select_option("customers")
    form.locator("input[name=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": xlsx(rows)}])
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/import/\d+/$"))


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_supervisor_imports_a_customer_list_spread_over_his_reps(device, device_page):
    from kehu.customers.models import Customer

    page, screens = device_page
    org = build_org()
    log_in(page, "sam")
    upload(page, "华东新客户.xlsx", GOOD)
    screens.shot("import-mapping")

    # The header is found under the title row, and each column's field is guessed.
    mapping = page.locator("table.mapping")
    expect(mapping.locator("select[name=col0]")).to_have_value("name")
    expect(mapping.locator("select[name=col1]")).to_have_value("phone")
    expect(mapping.locator("select[name=col2]")).to_have_value("address")
    expect(mapping.locator("select[name=col3]")).to_have_value("contact_name")
    expect(mapping.locator("select[name=col4]")).to_have_value("uscc")
    page.locator("select[name=assign]").select_option("balance")
    page.locator("main form button.primary").click()

    # The preview: four to create, none written yet, and where they will go.
    figures = page.locator("#progress .figures b")
    expect(figures.nth(0)).to_have_text("4")
    expect(figures.nth(1)).to_have_text("4")
    expect(page.locator("#progress .assigned")).to_contain_text(f"{org.alice} 2")
    expect(page.locator("#progress .assigned")).to_contain_text(f"{org.bob} 2")
    assert Customer.objects.count() == 0
    expect(page.locator("select[name=assign]")).to_have_value("balance")  # the choice is kept
    screens.shot("import-preview")

    page.locator("#progress form button.primary").click()
    expect(page.locator("#progress .status")).to_have_text(re.compile(r"Imported|已导入"))
    screens.shot("import-done")
    owners = sorted(Customer.objects.values_list("owner__username", flat=True))
    assert owners == ["alice", "alice", "bob", "bob"]
    assert Customer.objects.get(name="江苏乙机械有限公司").phone == "13800138000"


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_mistakes_are_shown_row_by_row_and_nothing_is_written(device, device_page):
    from kehu.customers.models import Customer

    page, screens = device_page
    build_org()
    log_in(page, "alice")
    upload(page, "有错误的名单.xlsx", BAD)
    expect(page.locator("select[name=assign]")).to_have_count(0)  # a rep's new customers are her own
    page.locator("main form button.primary").click()
    errors = page.locator("table.errors-table tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td").nth(0)).to_have_text("2")
    expect(errors.nth(0).locator("td").nth(2)).to_have_text("12345")
    expect(errors.nth(1).locator("td").nth(0)).to_have_text("3")
    expect(page.locator("#progress form button.primary")).to_have_count(0)  # no import until it is right
    screens.shot("import-errors")
    assert Customer.objects.count() == 0


FOREIGN = [
    ["客户名称", "行业", "业务员"],
    ["上海庚超市有限公司", "零售", "rep2"],
    ["上海辛便利店有限公司", "零售", "rep2"],
]


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_values_from_another_system_are_mapped_once_for_all_rows(device, device_page):
    from kehu.customers.models import Customer, Industry

    page, screens = device_page
    org = build_org()
    log_in(page, "ada")
    upload(page, "其他系统导出.xlsx", FOREIGN)
    page.locator("main form button.primary").click()
    questions = page.locator("form.unknown-values select[name=answer]")
    expect(questions).to_have_count(2)  # 零售 once and rep2 once, though each is in two rows
    screens.shot("import-unknown-values")
    questions.nth(0).select_option("+")  # add 零售 to the industries
    questions.nth(1).select_option(str(org.alice.pk))  # rep2 is alice here
    page.locator("form.unknown-values button.primary").click()
    expect(page.locator("form.unknown-values")).to_have_count(0)
    expect(page.locator("#progress .figures b").nth(4)).to_have_text("0")  # no errors left
    page.locator("#progress form button.primary").click()
    expect(page.locator("#progress .status")).to_have_text(re.compile(r"Imported|已导入"))
    expect(page.locator("#progress p.next a")).to_be_visible()
    screens.shot("import-unknown-done")
    retail = Industry.objects.get(name="零售")
    assert sorted(Customer.objects.filter(industry=retail).values_list("owner__username", flat=True)) == ["alice", "alice"]
