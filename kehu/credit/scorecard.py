"""The credit scorecard: points per answer of the investigation, summed to a score of 0–100,
and the score bands that make the risk class. The company edits it as a Scorecard version in
the back office; DEFAULT_RULES is what a new installation starts with.

Default weights (documented for the credit team):

| factor | answers → points |
| --- | --- |
| years in business | <2 → 0, 2–4 → 6, 5–9 → 12, ≥10 → 15 |
| registered capital | <¥1m → 2, ¥1–5m → 6, ¥5–20m → 10, ≥¥20m → 12 |
| ownership | state 10, foreign/JV 9, private 6, individual 3, other 4 |
| staff | <20 → 2, 20–99 → 5, 100–499 → 8, ≥500 → 10 |
| annual revenue | <¥5m 2, 5–20m 5, 20–100m 8, 100–500m 10, >500m 12 |
| payment record with us | none 8, on time 15, late 5, defaulted 0 |
| payment record with others | none 6, on time 10, late 4, defaulted 0 |
| legal disputes | none 8, minor 4, major 0 |
| on-site impression | good 8, fair 4, poor 0 |

Risk class: ≥75 low, ≥55 medium, ≥35 high, below that do not extend credit.
"""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

DEFAULT_RULES: dict[str, Any] = {
    "years_in_business": {"type": "bands", "bands": [[0, 0], [2, 6], [5, 12], [10, 15]]},
    "registered_capital": {"type": "bands", "bands": [[0, 2], [1_000_000, 6], [5_000_000, 10], [20_000_000, 12]]},
    "ownership": {"type": "choice", "points": {"state": 10, "foreign": 9, "private": 6, "individual": 3, "other": 4}},
    "staff_size": {"type": "bands", "bands": [[0, 2], [20, 5], [100, 8], [500, 10]]},
    "revenue_band": {"type": "choice", "points": {"u5m": 2, "5-20m": 5, "20-100m": 8, "100-500m": 10, "o500m": 12}},
    "payment_record_us": {"type": "choice", "points": {"none": 8, "good": 15, "slow": 5, "bad": 0}},
    "payment_record_others": {"type": "choice", "points": {"none": 6, "good": 10, "slow": 4, "bad": 0}},
    "legal_disputes": {"type": "choice", "points": {"none": 8, "minor": 4, "major": 0}},
    "impression": {"type": "choice", "points": {"good": 8, "fair": 4, "poor": 0}},
}
DEFAULT_BANDS: list[list[Any]] = [[75, "low"], [55, "medium"], [35, "high"], [0, "reject"]]


RISK_CLASSES = ("low", "medium", "high", "reject")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 1_000_000


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return Decimal(str(value)).is_finite() and abs(value) <= 10**15


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def validate_rules(rules: Any, bands: Any) -> dict[str, list[str]]:
    """The one check of a scorecard, for the back office, the API and the service alike: what it
    lets through, ``score`` scores without failing, whatever the investigation's answers. Returns
    the problems per field (``scorecard_rules``, ``scorecard_bands``); empty when the card is good."""
    rule_problems: list[str] = []
    if not isinstance(rules, dict):
        rule_problems.append(_("The scorecard must give, per factor, its type and points."))
        rules = {}
    for factor, rule in rules.items():
        if factor not in DEFAULT_RULES:
            rule_problems.append(_("Unknown factor: %(factor)s") % {"factor": factor})
        elif not isinstance(rule, dict) or rule.get("type") not in ("bands", "choice"):
            rule_problems.append(_("%(factor)s: the type must be bands or choice") % {"factor": factor})
        elif rule["type"] == "bands":
            pairs = rule.get("bands")
            if not (isinstance(pairs, list) and pairs and all(
                    isinstance(b, list) and len(b) == 2 and _number(b[0]) and _whole(b[1]) for b in pairs)):
                rule_problems.append(_("%(factor)s: bands must be [threshold, points] pairs") % {"factor": factor})
        else:
            points = rule.get("points")
            if not (isinstance(points, dict) and all(isinstance(k, str) and _whole(p) for k, p in points.items())):
                rule_problems.append(_("%(factor)s: points must map each answer to points") % {"factor": factor})
    band_problems: list[str] = []
    if not (isinstance(bands, list) and bands and all(
            isinstance(b, list) and len(b) == 2 and _whole(b[0]) and isinstance(b[1], str) and b[1] in RISK_CLASSES
            for b in bands)):
        band_problems.append(_("Risk bands must be [minimum score, low|medium|high|reject] pairs"))
    if _has_nul(rules) and not rule_problems:
        rule_problems.append(_("Null characters are not allowed."))
    if _has_nul(bands) and not band_problems:
        band_problems.append(_("Null characters are not allowed."))
    return {name: found for name, found in (("scorecard_rules", rule_problems), ("scorecard_bands", band_problems)) if found}


def score(answers: dict[str, Any], *, rules: dict[str, Any] | None = None,
          bands: list[list[Any]] | None = None) -> tuple[int, str, dict[str, int]]:
    """Score an investigation's answers; returns (score, risk class, points per factor)."""
    rules = rules or DEFAULT_RULES
    bands = bands or DEFAULT_BANDS
    detail: dict[str, int] = {}
    for factor, rule in rules.items():
        value = answers.get(factor)
        points = 0
        if rule["type"] == "bands" and value is not None:
            for threshold, band_points in sorted(rule["bands"], key=lambda b: Decimal(str(b[0]))):
                if Decimal(str(value)) >= Decimal(str(threshold)):
                    points = int(band_points)
        elif rule["type"] == "choice":
            points = int(rule["points"].get(str(value), 0))
        detail[factor] = points
    total = max(0, min(100, sum(detail.values())))
    risk = "reject"
    for minimum, klass in sorted(bands, key=lambda b: -int(b[0])):
        if total >= int(minimum):
            risk = klass
            break
    return total, risk, detail


def default_rules() -> dict[str, Any]:
    import copy

    return copy.deepcopy(DEFAULT_RULES)


def default_bands() -> list[list[Any]]:
    return [list(b) for b in DEFAULT_BANDS]
