"""The fixed vocabulary of the demo company: people, regions, industries, products, names.

A distributor of lubricants and fuels with three sales regions. Everything random is drawn by
the builder from these lists with a seeded generator, so the same seed gives the same company.
"""

import csv
import functools
import importlib.resources
from dataclasses import dataclass
from decimal import Decimal

DEMO_PASSWORD = "kehu-demo-2026"


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    provinces: tuple[tuple[str, float], ...]  # province, share of the region's customers
    share: float  # share of all customers
    team: str
    supervisor: str


REGIONS = (
    RegionSpec("EAST", "华东区", (("上海市", 0.22), ("江苏省", 0.34), ("浙江省", 0.30), ("安徽省", 0.14)),
               0.45, "华东一组", "sup1"),
    RegionSpec("SOUTH", "华南区", (("广东省", 0.60), ("福建省", 0.25), ("广西壮族自治区", 0.15)),
               0.30, "华南一组", "sup2"),
    RegionSpec("NORTH", "华北区", (("北京市", 0.16), ("天津市", 0.20), ("河北省", 0.27), ("山东省", 0.37)),
               0.25, "华北一组", "sup3"),
)


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    role: str
    region: str = ""  # region code of the user's team
    approval_limit: int = 0
    superuser: bool = False


USERS = (
    UserSpec("admin", "系统管理员", "admin", superuser=True),
    UserSpec("senior", "高建国", "senior", approval_limit=5_000_000),
    UserSpec("credit", "林慧", "credit"),
    UserSpec("kam", "孙立新", "key_account"),
    UserSpec("sup1", "周志刚", "supervisor", "EAST", 300_000),
    UserSpec("sup2", "黄永明", "supervisor", "SOUTH", 200_000),
    UserSpec("sup3", "赵海涛", "supervisor", "NORTH", 200_000),
    UserSpec("rep01", "王磊", "rep", "EAST"),
    UserSpec("rep02", "李娜", "rep", "EAST"),
    UserSpec("rep03", "张伟", "rep", "EAST"),
    UserSpec("rep04", "刘洋", "rep", "EAST"),
    UserSpec("rep05", "陈静", "rep", "SOUTH"),
    UserSpec("rep06", "杨帆", "rep", "SOUTH"),
    UserSpec("rep07", "吴敏", "rep", "SOUTH"),
    UserSpec("rep08", "郑凯", "rep", "SOUTH"),
    UserSpec("rep09", "孙鹏", "rep", "NORTH"),
    UserSpec("rep10", "徐丽", "rep", "NORTH"),
    UserSpec("rep11", "马超", "rep", "NORTH"),
    UserSpec("rep12", "朱婷", "rep", "NORTH"),
)


# Industries: code, name, English name, sunset, share of customers, size factor (how much a
# typical customer of the industry buys), words used in company names, product keys bought.
@dataclass(frozen=True)
class IndustrySpec:
    code: str
    name: str
    name_en: str
    share: float
    size: float
    words: tuple[str, ...]
    products: tuple[str, ...]
    sunset: bool = False


INDUSTRIES = (
    IndustrySpec("MFG", "机械制造", "Machinery manufacturing", 0.17, 1.0,
                 ("机械", "机械制造", "重工", "精密机械", "装备制造", "机电"),
                 ("HM32", "HM46", "HM68", "CKD220", "CKD320", "LI3", "EPLI0", "WAY68", "CUT", "RUST", "DAB46")),
    IndustrySpec("LOG", "物流运输", "Logistics and haulage", 0.15, 1.8,
                 ("物流", "运输", "货运", "供应链管理", "汽车运输"),
                 ("CI4-1540", "CK4-1040", "CK4-1540", "GL5-8590", "LI3", "DSL0", "DSL-10")),
    IndustrySpec("CON", "建筑工程", "Construction", 0.12, 1.4,
                 ("建设工程", "建筑工程", "路桥工程", "建工", "市政工程"),
                 ("CI4-1540", "CI4-2050", "HM46", "HM68", "HV46", "LI3", "EPLI0", "DSL0")),
    IndustrySpec("PORT", "港口码头", "Ports and terminals", 0.03, 3.0,
                 ("港务", "码头", "港口物流", "集装箱码头"),
                 ("CK4-1540", "HM46", "HV46", "GL5-8590", "CLI2", "DSL0")),
    IndustrySpec("AUTO", "汽车维修", "Vehicle repair", 0.12, 0.35,
                 ("汽车维修", "汽修", "汽车服务", "汽车销售服务"),
                 ("SN530", "SN1040", "SP020", "CI4-1540", "GL5-8090", "GL5-8590", "LI3")),
    IndustrySpec("TEX", "纺织", "Textiles", 0.06, 0.6,
                 ("纺织", "织造", "印染", "化纤"),
                 ("HM32", "DAB46", "QB300", "LI3", "CKD220"), sunset=True),
    IndustrySpec("CHEM", "化工", "Chemicals", 0.06, 1.3,
                 ("化工", "新材料", "化学", "精细化工"),
                 ("QB300", "DAB46", "TSA46", "CKD220", "CKD320", "CLI2")),
    IndustrySpec("FOOD", "食品加工", "Food processing", 0.07, 0.6,
                 ("食品", "食品加工", "粮油", "乳业"),
                 ("DAB46", "HM32", "CKD220", "LI3", "RUST")),
    IndustrySpec("MINE", "矿山", "Mining and quarrying", 0.04, 2.2,
                 ("矿业", "石材", "采矿", "砂石"),
                 ("CI4-1540", "CK4-1540", "HM68", "CKD320", "EPLI0", "CLI2-180", "DSL0", "DSL-10")),
    IndustrySpec("AGRI", "农机", "Farm machinery", 0.05, 0.7,
                 ("农机", "农业机械", "农业发展", "农机服务"),
                 ("CI4-2050", "CI4-1540", "HM46", "GL5-8590", "LI3", "DSL0")),
    IndustrySpec("BUS", "公交客运", "Buses and coaches", 0.03, 1.6,
                 ("公交", "客运", "公共交通"),
                 ("CK4-1040", "CK4-1540", "GL5-8590", "CLI2", "DSL0")),
    IndustrySpec("POWER", "电力", "Power generation", 0.03, 1.5,
                 ("电力", "热电", "能源"),
                 ("TSA46", "DAB46", "HM46", "CLI2", "TRANS25")),
    IndustrySpec("FUEL", "加油站", "Fuel retail", 0.07, 2.5,
                 ("石油销售", "能源", "石化"),
                 ("GAS92", "GAS95", "DSL0", "DSL-10", "SN530", "CI4-1540")),
)


@dataclass(frozen=True)
class ProductSpec:
    key: str
    name: str
    category: str
    grade: str
    packs: tuple[tuple[str, str, str, str, int], ...]  # code suffix, pack size, pack unit, sales unit, price CNY


# Prices are 2026 list prices in CNY per sales unit (per pail, drum, bag or tonne).
PRODUCTS = (
    ProductSpec("CI4-1540", "重负荷柴油机油", "engine_oil", "CI-4 15W-40",
                (("4L", "4", "L", "barrel", 168), ("18L", "18", "L", "barrel", 620), ("200L", "200", "L", "drum", 6380))),
    ProductSpec("CI4-2050", "重负荷柴油机油", "engine_oil", "CI-4 20W-50",
                (("18L", "18", "L", "barrel", 600), ("200L", "200", "L", "drum", 6200))),
    ProductSpec("CK4-1040", "超重负荷柴油机油", "engine_oil", "CK-4 10W-40",
                (("18L", "18", "L", "barrel", 780), ("200L", "200", "L", "drum", 8100))),
    ProductSpec("CK4-1540", "超重负荷柴油机油", "engine_oil", "CK-4 15W-40",
                (("18L", "18", "L", "barrel", 720), ("200L", "200", "L", "drum", 7450))),
    ProductSpec("SN530", "汽油机油", "engine_oil", "SN 5W-30",
                (("4L", "4", "L", "barrel", 198), ("200L", "200", "L", "drum", 8900))),
    ProductSpec("SN1040", "汽油机油", "engine_oil", "SN 10W-40", (("4L", "4", "L", "barrel", 158),)),
    ProductSpec("SP020", "全合成汽油机油", "engine_oil", "SP 0W-20", (("4L", "4", "L", "barrel", 298),)),
    ProductSpec("HM32", "抗磨液压油", "hydraulic_oil", "L-HM ISO VG 32",
                (("18L", "18", "L", "barrel", 420), ("200L", "200", "L", "drum", 4350))),
    ProductSpec("HM46", "抗磨液压油", "hydraulic_oil", "L-HM ISO VG 46",
                (("18L", "18", "L", "barrel", 430), ("200L", "200", "L", "drum", 4450))),
    ProductSpec("HM68", "抗磨液压油", "hydraulic_oil", "L-HM ISO VG 68",
                (("18L", "18", "L", "barrel", 445), ("200L", "200", "L", "drum", 4600))),
    ProductSpec("HV46", "低温液压油", "hydraulic_oil", "L-HV ISO VG 46",
                (("18L", "18", "L", "barrel", 520), ("200L", "200", "L", "drum", 5400))),
    ProductSpec("GL5-8590", "重负荷车辆齿轮油", "gear_oil", "GL-5 85W-90",
                (("18L", "18", "L", "barrel", 560), ("200L", "200", "L", "drum", 5800))),
    ProductSpec("GL5-8090", "重负荷车辆齿轮油", "gear_oil", "GL-5 80W-90", (("4L", "4", "L", "barrel", 150), ("18L", "18", "L", "barrel", 540))),
    ProductSpec("CKD220", "重负荷工业闭式齿轮油", "gear_oil", "L-CKD 220",
                (("18L", "18", "L", "barrel", 520), ("200L", "200", "L", "drum", 5400))),
    ProductSpec("CKD320", "重负荷工业闭式齿轮油", "gear_oil", "L-CKD 320", (("200L", "200", "L", "drum", 5500),)),
    ProductSpec("LI3", "通用锂基润滑脂", "grease", "3#",
                (("15kg", "15", "kg", "barrel", 260), ("180kg", "180", "kg", "drum", 2950))),
    ProductSpec("EPLI0", "极压锂基润滑脂", "grease", "0#", (("15kg", "15", "kg", "barrel", 300),)),
    ProductSpec("CLI2", "复合锂基润滑脂", "grease", "2#",
                (("15kg", "15", "kg", "barrel", 380), ("180kg", "180", "kg", "drum", 4300))),
    ProductSpec("CLI2-180", "高温复合锂基润滑脂", "grease", "2# 高温", (("180kg", "180", "kg", "drum", 4800),)),
    ProductSpec("WAY68", "导轨油", "industrial_oil", "ISO VG 68", (("200L", "200", "L", "drum", 5200),)),
    ProductSpec("TSA46", "汽轮机油", "industrial_oil", "L-TSA 46", (("200L", "200", "L", "drum", 5600),)),
    ProductSpec("DAB46", "空气压缩机油", "industrial_oil", "L-DAB 46",
                (("18L", "18", "L", "barrel", 560), ("200L", "200", "L", "drum", 5900))),
    ProductSpec("QB300", "导热油", "industrial_oil", "L-QB 300", (("200L", "200", "L", "drum", 5000),)),
    ProductSpec("CUT", "水溶性切削液", "industrial_oil", "乳化型", (("18L", "18", "L", "barrel", 380),)),
    ProductSpec("RUST", "防锈油", "industrial_oil", "薄层型", (("18L", "18", "L", "barrel", 360),)),
    ProductSpec("TRANS25", "变压器油", "industrial_oil", "25#", (("200L", "200", "L", "drum", 4600),)),
    ProductSpec("DSL0", "车用柴油", "diesel", "0# 国VI", (("t", "1", "t", "t", 7650),)),
    ProductSpec("DSL-10", "车用柴油", "diesel", "-10# 国VI", (("t", "1", "t", "t", 7950),)),
    ProductSpec("GAS92", "车用汽油", "gasoline", "92# 国VI", (("t", "1", "t", "t", 9450),)),
    ProductSpec("GAS95", "车用汽油", "gasoline", "95# 国VI", (("t", "1", "t", "t", 9980),)),
)

# What a typical order line holds, by sales unit and pack (before the customer's size factor).
LINE_QUANTITIES = {
    ("barrel", "4"): (6, 12, 12, 24, 24, 36, 48),
    ("barrel", "18"): (2, 3, 4, 5, 6, 8, 10, 12),
    ("barrel", "15"): (2, 4, 5, 6, 10),
    ("drum", "200"): (1, 1, 2, 2, 3, 4, 5, 6),
    ("drum", "180"): (1, 1, 1, 2, 3),
}


SOURCE_DETAILS = {
    "exhibition": (
        "{year} 上海宝马工程机械展 (bauma China)", "{year} 中国国际物流节", "{year} 中国国际工业博览会",
        "{year} 广州国际汽车零配件展", "{year} 中国（北京）国际工程机械展", "{year} 中国国际农业机械展览会",
        "{year} 中国国际纺织机械展", "{year} 青岛国际港口设备展",
    ),
    "target_industry": (
        "{industry}行业协会会员名录", "{industry}行业重点企业名单", "{city}{industry}企业走访计划",
        "{industry}产业园入驻企业",
    ),
    "news": (
        "《中国物流与采购》新设企业名录", "{city}日报 分类广告", "{city}晚报 企业动态：新任总经理上任",
        "行业网站 企业股权转让公告", "{city}日报 新厂奠基报道",
    ),
    "previous_customers": (
        "原单位客户：曾在{city}某润滑油公司时的采购客户", "原单位供应商引荐", "同行介绍：前同事现任采购主管",
    ),
    "referral": ("现有客户介绍", "{city}同行转介绍", "设备经销商推荐", "维修厂老板推荐"),
    "inbound": ("官网留言", "400 服务热线来电", "微信公众号咨询", "展会后主动来电"),
    "other": ("陌生拜访", "路过厂区发现", "政府招商会"),
}

PURSUIT_REASONS = {
    "continue": (
        "设备更新计划已立项，采购意向明确", "对试用油品反馈良好", "现供应商交货不稳定，愿意比较",
        "新厂年内投产，需要稳定供应", "采购经理约好下次详谈价格",
    ),
    "low_cadence": (
        "现有供应商合同明年到期", "决策人出差较多，暂难约见", "需求量小，按季度跟进", "总部统一采购，地方话语权有限",
        "价格敏感，等待促销活动",
    ),
    "give_up": (
        "只采购最低价产品", "行业下行，开工不足", "与竞争对手有股权关系", "信用记录差，多次拖欠货款",
        "已被集团公司统一招标锁定",
    ),
}

COMPETITORS = ("壳牌", "美孚", "嘉实多", "道达尔", "长城润滑油", "昆仑润滑油", "福斯", "统一石化", "本地小厂")

BUYING_PROCESSES = (
    "设备部提出需求，采购部比价三家，总经理审批",
    "车队队长报量，采购每月集中下单，财务月结",
    "集团年度招标，地方公司按框架协议下单",
    "老板直接决定，采购员负责下单和收货",
    "使用部门试用合格后，采购部签订年度合同",
)

NEED_DESCRIPTIONS = {
    "engine_oil": "车队及工程机械发动机用油",
    "hydraulic_oil": "注塑机、挖掘机液压系统用油",
    "gear_oil": "减速机及车辆后桥用油",
    "grease": "轴承及底盘润滑",
    "industrial_oil": "空压机、导热及辅助设备用油",
    "diesel": "车辆及发电机组用柴油",
    "gasoline": "油站零售汽油",
}

# Company names: city + brand (two characters) + industry word + legal form.
BRAND_FIRST = "宏恒华金永鑫天中远安利瑞汇兴新东长江隆盛泰达通丰昌源宝德嘉明富海正大百万聚力创"
BRAND_SECOND = "达通力鑫源泰盛丰昌隆发顺兴诚信和祥瑞宇航辉阳威华凯安邦远捷利业德鸿"
LEGAL_FORMS = (("有限公司", 70), ("股份有限公司", 10), ("有限责任公司", 10), ("集团有限公司", 5), ("厂", 5))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚斌宇浩凯鹏辉华建国志海晓东春梅文俊峰波玲红英兰雪燕飞荣新林森"

# Title, decision role, weight.
CONTACT_TITLES = (
    ("总经理", "decider", 14), ("董事长", "decider", 4), ("厂长", "decider", 6), ("老板", "decider", 6),
    ("采购经理", "buyer", 16), ("采购员", "buyer", 10), ("设备部经理", "influencer", 10), ("车队队长", "user", 8),
    ("设备主管", "user", 8), ("维修班长", "user", 5), ("财务经理", "finance", 8), ("出纳", "finance", 3),
    ("总经理助理", "gatekeeper", 4), ("前台", "gatekeeper", 2),
)

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "158",
    "159", "166", "173", "175", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189", "191",
    "198", "199",
)

STREETS = (
    "人民路", "解放路", "中山路", "建设路", "工业大道", "发展大道", "创业路", "科技路", "滨江路", "黄河路", "和平路",
    "友谊路", "迎宾大道", "环城东路", "环城西路", "新兴路", "兴业路", "振兴路", "工业一路", "工业二路", "金桥路",
    "富民路", "港城大道", "物流大道", "机场路", "沿江大道", "青年路", "光明路", "胜利路", "幸福路",
)

# Cities where most of the business is; a customer is three times likelier to be in one.
BIG_CITIES = (
    "南京市", "苏州市", "无锡市", "常州市", "南通市", "徐州市", "杭州市", "宁波市", "温州市", "绍兴市", "嘉兴市",
    "台州市", "金华市", "合肥市", "芜湖市", "广州市", "深圳市", "佛山市", "惠州市", "江门市", "珠海市", "福州市",
    "厦门市", "泉州市", "漳州市", "南宁市", "柳州市", "桂林市", "石家庄市", "唐山市", "保定市", "沧州市", "廊坊市",
    "济南市", "青岛市", "烟台市", "潍坊市", "临沂市", "淄博市",
)

AREA_CODES = {
    "上海市": "021", "北京市": "010", "天津市": "022", "南京市": "025", "苏州市": "0512", "无锡市": "0510",
    "常州市": "0519", "南通市": "0513", "徐州市": "0516", "扬州市": "0514", "杭州市": "0571", "宁波市": "0574",
    "温州市": "0577", "绍兴市": "0575", "嘉兴市": "0573", "台州市": "0576", "金华市": "0579", "合肥市": "0551",
    "芜湖市": "0553", "安庆市": "0556", "蚌埠市": "0552", "广州市": "020", "深圳市": "0755", "佛山市": "0757",
    "惠州市": "0752", "江门市": "0750", "珠海市": "0756", "福州市": "0591", "厦门市": "0592", "泉州市": "0595",
    "漳州市": "0596", "南宁市": "0771", "柳州市": "0772", "桂林市": "0773", "石家庄市": "0311", "唐山市": "0315",
    "保定市": "0312", "沧州市": "0317", "廊坊市": "0316", "邯郸市": "0310", "济南市": "0531", "青岛市": "0532",
    "烟台市": "0535", "潍坊市": "0536", "临沂市": "0539", "淄博市": "0533", "济宁市": "0537",
}

_NOT_A_PLACE = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class District:
    province: str
    city: str  # the province's own name for Beijing, Tianjin and Shanghai
    district: str
    adcode: str

    @property
    def prefix(self) -> str:
        """The address up to the district, as people write it."""
        if self.city == self.province:
            return f"{self.province}{self.district}"
        return f"{self.province}{self.city}{self.district}"


@functools.cache
def districts(province: str) -> tuple[District, ...]:
    """The districts and county-level cities of a province, from cpca's table (as Kehu's geo uses)."""
    path = importlib.resources.files("cpca") / "resources" / "adcodes.csv"
    names: dict[str, str] = {}
    located: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["adcode"][:6]
            names[code] = row["name"]
            if row["longitude"]:
                located.add(code)
    province_code = next(code for code, name in names.items() if name == province and code.endswith("0000"))
    out = []
    for code in sorted(names):
        if not code.startswith(province_code[:2]) or code.endswith("00") or code not in located:
            continue
        name = names[code]
        if name in _NOT_A_PLACE:
            continue
        city = names.get(code[:4] + "00", "")
        if city in _NOT_A_PLACE or city == "" or code[2:4] in {"01", "02"} and province.endswith("市"):
            city = province
        out.append(District(province, city, name, code))
    return tuple(out)


def money(value: int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


# -- credit (K1–K2) -------------------------------------------------------------------------------

BANKS = (
    ("中国工商银行", 22), ("中国建设银行", 20), ("中国农业银行", 16), ("中国银行", 14), ("交通银行", 8),
    ("招商银行", 7), ("兴业银行", 4), ("浦发银行", 3), ("中信银行", 3), ("民生银行", 3), ("农村商业银行", 6),
)

# Ownership odds by industry code (state, private, foreign, individual, other); the rest use DEFAULT.
OWNERSHIP_ODDS = {
    "DEFAULT": (6, 74, 8, 7, 5),
    "PORT": (55, 25, 15, 0, 5),
    "POWER": (60, 25, 10, 0, 5),
    "BUS": (65, 25, 5, 0, 5),
    "FUEL": (25, 55, 5, 12, 3),
    "AUTO": (2, 55, 3, 38, 2),
    "AGRI": (5, 55, 2, 33, 5),
    "CHEM": (15, 62, 18, 0, 5),
}
OWNERSHIPS = ("state", "private", "foreign", "individual", "other")

INVESTIGATION_NOTES = (
    "厂区整洁，设备开工率高", "财务负责人配合提供近两年报表", "实地走访仓库，库存周转正常", "老板亲自接待，经营思路清晰",
    "新增两条生产线，用油量预计上升", "车队规模稳定，车辆以自有为主", "有银行承兑汇票结算习惯", "年底资金偏紧，需关注回款",
)

APPLICATION_REASONS = {
    "first": ("新客户首次申请授信，按预计月用量核定", "合作试单顺利，申请建立月结额度", "客户要求月结，已完成信用调查"),
    "renewal": ("年度复核，按近12个月销售核定额度", "年度复核，回款正常，维持额度", "额度到期，重新调查后续期"),
    "raise": ("业务量增长，申请提高额度", "新增设备用油，月用量上升，申请增加额度", "客户新开分厂，采购集中到我司，申请提额"),
    "cut": ("回款变慢，年度复核下调额度", "客户经营下滑，重新核定较低额度"),
}

DECISION_COMMENTS = ("同意", "同意，注意按期回款", "同意，按调查表核定", "同意，每月对账", "")
CUT_COMMENTS = ("按调查评分核减额度", "先按较低额度执行，回款稳定后再议", "超出常规用量部分不予批准")

FREEZE_REASONS = (
    "多笔应收逾期超过90天，暂停赊销，回款后解冻", "客户涉及诉讼，账户冻结待核实", "客户承兑汇票到期未兑付，暂停赊销",
    "实际控制人变更，重新调查前暂停赊销",
)
