"""Which column holds which field: header names in Chinese and English, per kind of import."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind:
    CUSTOMERS = "customers"
    CONTACTS = "contacts"
    PROSPECTS = "prospects"
    PRODUCTS = "products"
    ORDERS = "orders"
    PAYMENTS = "payments"
    CREDIT_LIMITS = "credit_limits"


KIND_CHOICES = [
    (Kind.CUSTOMERS, _("Customers")),
    (Kind.CONTACTS, _("Contacts")),
    (Kind.PROSPECTS, _("Prospects")),
    (Kind.PRODUCTS, _("Products")),
    (Kind.ORDERS, _("Orders (one row per order line)")),
    (Kind.PAYMENTS, _("Payments")),
    (Kind.CREDIT_LIMITS, _("Credit limits approved in the previous system")),
]
KINDS = [k for k, _label in KIND_CHOICES]


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    synonyms: tuple[str, ...]
    required: bool = False


def _f(name: str, label: Promise, *synonyms: str, required: bool = False) -> Field:
    return Field(name, label, synonyms, required)


# Customer reference in contacts, orders and payments: by code, else USCC, else name.
CUSTOMER_REF = [
    _f("customer_code", _("customer code"), "客户编码", "客户代码", "客户编号", "客户号", "customer code", "customer no", "erp code"),
    _f("customer_uscc", _("unified social credit code"), "统一社会信用代码", "信用代码", "社会信用代码", "uscc"),
    _f("customer_name", _("customer name"), "客户名称", "客户", "公司名称", "公司", "单位名称", "企业名称", "customer", "customer name", "company", "company name"),
]
CUSTOMER_FIELDS = [
    _f("code", _("customer code"), "客户编码", "客户代码", "客户编号", "客户号", "编码", "code", "customer code", "customer no", "erp code"),
    _f("name", _("company name"), "客户名称", "公司名称", "单位名称", "企业名称", "客户", "公司", "名称", "customer", "customer name", "company", "company name", "name", required=True),
    _f("short_name", _("short name"), "简称", "客户简称", "short name"),
    _f("uscc", _("unified social credit code"), "统一社会信用代码", "信用代码", "社会信用代码", "uscc", "unified social credit code", "credit code"),
    _f("phone", _("phone"), "电话", "联系电话", "手机", "手机号", "手机号码", "电话号码", "公司电话", "phone", "mobile", "tel", "telephone"),
    _f("address", _("address"), "地址", "详细地址", "公司地址", "通讯地址", "address"),
    _f("industry", _("industry"), "行业", "所属行业", "industry"),
    _f("owner", _("owner rep"), "业务员", "负责人", "负责业务员", "销售员", "销售代表", "客户经理", "承办人", "owner", "owner rep", "rep", "sales rep", "salesman"),
    _f("contact_name", _("contact"), "联系人", "联系人姓名", "contact", "contact name", "contact person"),
    _f("contact_title", _("contact's title"), "职务", "联系人职务", "title", "position"),
    _f("website", _("website"), "网站", "网址", "website", "web"),
    _f("lifecycle", _("lifecycle"), "客户状态", "客户阶段", "生命周期", "阶段", "状态", "lifecycle", "stage", "status",
       "lead status"),
    _f("notes", _("notes"), "备注", "说明", "notes", "remarks", "comment"),
]
PROSPECT_FIELDS = CUSTOMER_FIELDS + [
    _f("source", _("source method"), "来源", "开发方式", "开发方法", "客户来源", "来源方式", "source", "source method"),
    _f("source_detail", _("source detail"), "来源说明", "来源详情", "展会", "source detail"),
    _f("colour", _("colour grade"), "颜色等级", "等级", "颜色", "colour", "color", "grade"),
]
CONTACT_FIELDS = CUSTOMER_REF + [
    _f("name", pgettext_lazy("person", "name"), "联系人", "姓名", "联系人姓名", "name", "contact", "contact name", required=True),
    _f("title", _("title"), "职务", "职位", "title", "position"),
    _f("phone", _("phone"), "电话", "手机", "手机号", "联系电话", "phone", "mobile", "tel"),
    _f("wechat", _("WeChat"), "微信", "微信号", "wechat"),
    _f("email", _("email"), "邮箱", "电子邮件", "email", "e-mail"),
    _f("birthday", _("birthday"), "生日", "出生日期", "birthday"),
    _f("notes", _("notes"), "备注", "notes"),
]
PRODUCT_FIELDS = [
    _f("code", _("product code"), "产品编码", "产品代码", "物料编码", "存货编码", "编码", "product code", "code", "sku", required=True),
    _f("name", _("name"), "产品名称", "品名", "名称", "物料名称", "存货名称", "product", "product name", "name", required=True),
    _f("category", _("category"), "类别", "产品类别", "分类", "category"),
    _f("grade", _("grade"), "规格", "型号", "规格型号", "牌号", "grade", "spec"),
    _f("pack_size", _("pack size"), "包装规格", "包装量", "pack size"),
    _f("pack_unit", _("pack unit"), "包装单位", "pack unit"),
    _f("sales_unit", _("sales unit"), "单位", "销售单位", "计量单位", "unit", "sales unit"),
    _f("list_price", _("list price (CNY)"), "单价", "价格", "标准价", "售价", "list price", "price", required=True),
    _f("active", _("active"), "启用", "在售", "状态", "active"),
]
ORDER_FIELDS = CUSTOMER_REF + [
    _f("number", _("order number"), "订单号", "订单编号", "单号", "单据编号", "销售单号", "order number", "order no", "order", required=True),
    _f("order_date", _("order date"), "订单日期", "日期", "单据日期", "下单日期", "销售日期", "order date", "date", required=True),
    _f("status", _("status"), "状态", "订单状态", "status"),
    _f("handler", _("handler"), "业务员", "承办人", "负责人", "销售员", "handler", "rep", "owner", "salesman"),
    _f("payment_method", _("payment"), "付款方式", "结算方式", "付款", "payment", "payment method"),
    _f("product_code", _("product code"), "产品编码", "产品代码", "物料编码", "存货编码", "product code", "sku"),
    _f("product_name", _("product name"), "产品名称", "品名", "产品", "物料名称", "存货名称", "product", "product name"),
    _f("quantity", _("quantity"), "数量", "销售数量", "qty", "quantity", required=True),
    _f("unit_price", _("unit price (CNY)"), "单价", "含税单价", "价格", "unit price", "price"),
    _f("amount", _("amount (CNY)"), "金额", "价税合计", "含税金额", "销售金额", "amount", "line amount"),
    _f("notes", _("notes"), "备注", "notes"),
]
PAYMENT_FIELDS = CUSTOMER_REF + [
    _f("received_on", _("received on"), "付款日期", "回款日期", "收款日期", "到账日期", "日期", "payment date", "received on", "date", required=True),
    _f("amount", _("amount (CNY)"), "回款金额", "收款金额", "付款金额", "金额", "amount", required=True),
    _f("channel", _("channel"), "收款方式", "付款方式", "方式", "channel", "method"),
    _f("reference", _("reference"), "凭证号", "流水号", "回单号", "单号", "参考号", "reference", "ref"),
]

# A limit decided in the previous system: who approved it is required (K1), who applied is the
# customer's rep when not given.
CREDIT_LIMIT_FIELDS = CUSTOMER_REF + [
    _f("amount", _("credit limit (CNY)"), "授信额度", "信用额度", "授信金额", "信用限额", "赊销额度", "额度",
       "credit limit", "limit", "credit line", "limit amount", required=True),
    _f("terms_days", _("payment terms (days)"), "账期", "账期天数", "付款天数", "付款期限", "信用期", "信用天数", "赊销天数",
       "payment terms", "terms", "terms days", "credit days", required=True),
    _f("approver", _("approver"), "批准人", "审批人", "核准人", "approver", "approved by", required=True),
    _f("applicant", _("applicant (handler)"), "申请人", "承办人", "业务员", "经办人", "applicant", "handler", "rep", "sales rep"),
    _f("approved_on", _("approved on"), "批准日期", "审批日期", "核准日期", "授信日期", "approved on", "approval date",
       "date approved"),
    _f("valid_until", _("valid until"), "有效期至", "有效期", "到期日", "到期日期", "额度到期日", "valid until", "expires on",
       "expiry date", "review date"),
    _f("notes", _("notes"), "备注", "说明", "notes", "remarks", "comment"),
]

# An unknown reference value may be mapped to a known one; an unknown industry may also be added
# (by those who keep the list). CREATE is that answer.
CREATE = "+"
PEOPLE_FIELDS = {"owner", "handler", "applicant", "approver"}

FIELDS: dict[str, list[Field]] = {
    Kind.CUSTOMERS: CUSTOMER_FIELDS,
    Kind.PROSPECTS: PROSPECT_FIELDS,
    Kind.CONTACTS: CONTACT_FIELDS,
    Kind.PRODUCTS: PRODUCT_FIELDS,
    Kind.ORDERS: ORDER_FIELDS,
    Kind.PAYMENTS: PAYMENT_FIELDS,
    Kind.CREDIT_LIMITS: CREDIT_LIMIT_FIELDS,
}

_NOISE = re.compile(r"[\s*＊:：_\-/·.]+")
_BRACKETS = re.compile(r"[（(【\[].*?[)）】\]]")


def normalize_header(header: str) -> str:
    """``客户名称（必填）*`` → ``客户名称``; ``Customer Name`` → ``customername``."""
    value = unicodedata.normalize("NFKC", header or "").strip().lower()
    value = _BRACKETS.sub("", value)
    return _NOISE.sub("", value)


def _synonym_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for field in FIELDS[kind]:
        for synonym in field.synonyms:
            index.setdefault(normalize_header(synonym), field.name)
    return index


def known_header(kind: str):
    index = _synonym_index(kind)
    return lambda header: normalize_header(header) in index


def guess_mapping(kind: str, header: list[str]) -> list[str]:
    """The field each column holds ("" for none); each field taken by its first column only."""
    index = _synonym_index(kind)
    taken: set[str] = set()
    out = []
    for title in header:
        name = index.get(normalize_header(title), "")
        if name in taken:
            name = ""
        taken.add(name)
        out.append(name)
    return out


def fingerprint(header: list[str]) -> str:
    """The same layout of columns, the same fingerprint, whatever the file is called."""
    joined = "\x1f".join(normalize_header(h) for h in header)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def field_names(kind: str) -> set[str]:
    return {f.name for f in FIELDS[kind]}


def missing_required(kind: str, mapping: list[str]) -> list[Field]:
    chosen = set(mapping)
    out = [f for f in FIELDS[kind] if f.required and f.name not in chosen]
    if kind in (Kind.CONTACTS, Kind.ORDERS, Kind.PAYMENTS, Kind.CREDIT_LIMITS) and not chosen & {"customer_code", "customer_uscc", "customer_name"}:
        out.insert(0, FIELDS[kind][0])
    if kind == Kind.ORDERS and not chosen & {"product_code", "product_name"}:
        out.append(next(f for f in ORDER_FIELDS if f.name == "product_code"))
    return out
