"""Chinese addresses into province / city / district, and district centroids, offline.

Uses the cpca district table (with coordinates), so no geocoding service is needed.
"""

import csv
import functools
import importlib.resources
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ParsedAddress:
    province: str
    city: str
    district: str
    adcode: str
    detail: str
    lng: Decimal | None
    lat: Decimal | None


@functools.cache
def _centroids() -> dict[str, tuple[Decimal, Decimal]]:
    table: dict[str, tuple[Decimal, Decimal]] = {}
    path = importlib.resources.files("cpca") / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["longitude"] and row["latitude"]:
                table[row["adcode"][:6]] = (
                    Decimal(row["longitude"]).quantize(Decimal("0.000001")),
                    Decimal(row["latitude"]).quantize(Decimal("0.000001")),
                )
    return table


def centroid(adcode: str) -> tuple[Decimal, Decimal] | None:
    """The district's location, else its city's, else its province's."""
    table = _centroids()
    code = (adcode or "")[:6]
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        if candidate in table:
            return table[candidate]
    return None


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float)):  # pandas NaN
        return ""
    text = str(value)
    return "" if text in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"} else text


def parse_addresses(addresses: list[str]) -> list[ParsedAddress]:
    import cpca  # imported lazily: it loads pandas and its table once

    if not addresses:
        return []
    frame = cpca.transform(list(addresses))
    out = []
    for _, row in frame.iterrows():
        province = _clean(row["省"])
        city = _clean(row["市"]) or (province if province.endswith("市") else "")
        adcode = _clean(row["adcode"])
        point = centroid(adcode) if adcode else None
        out.append(
            ParsedAddress(
                province=province,
                city=city,
                district=_clean(row["区"]),
                adcode=adcode[:6],
                detail=_clean(row["地址"]),
                lng=point[0] if point else None,
                lat=point[1] if point else None,
            )
        )
    return out


def parse_address(address: str) -> ParsedAddress:
    return parse_addresses([address])[0]
