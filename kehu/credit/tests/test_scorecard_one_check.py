"""The scorecard is checked by one function (scorecard.validate_rules) for the back office and the
API alike, and whatever it lets through scores every investigation without failing."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.credit import scorecard
from kehu.credit.admin import PolicyVersionForm
from kehu.credit.models import CreditPolicy
from kehu.credit.services import policy_create

BAD_CARDS = [
    ({"staff_size": {"type": "bands", "bands": [["many", 5]]}}, scorecard.DEFAULT_BANDS),
    ({"staff_size": {"type": "bands", "bands": [[10, 2.5]]}}, scorecard.DEFAULT_BANDS),
    ({"staff_size": {"type": "bands", "bands": [[10, True]]}}, scorecard.DEFAULT_BANDS),
    ({"staff_size": {"type": "bands", "bands": []}}, scorecard.DEFAULT_BANDS),
    ({"staff_size": {"type": "bands", "bands": [[float("inf"), 3]]}}, scorecard.DEFAULT_BANDS),
    ({"staff_size": "bands"}, scorecard.DEFAULT_BANDS),
    ({"ownership": {"type": "choice", "points": {"state": "lots"}}}, scorecard.DEFAULT_BANDS),
    ({"ownership": {"type": "choice", "points": ["state", 10]}}, scorecard.DEFAULT_BANDS),
    (["ownership"], scorecard.DEFAULT_BANDS),
    ({"shoe_size": {"type": "choice", "points": {"42": 5}}}, scorecard.DEFAULT_BANDS),
    (scorecard.DEFAULT_RULES, []),
    (scorecard.DEFAULT_RULES, [[75, "LOW"]]),
    (scorecard.DEFAULT_RULES, [["75", "low"]]),
    (scorecard.DEFAULT_RULES, [[75.5, "low"]]),
    (scorecard.DEFAULT_RULES, [[75, "low", "extra"]]),
    (scorecard.DEFAULT_RULES, {"75": "low"}),
    (scorecard.DEFAULT_RULES, [[75, "lo\x00w"]]),
]


def _admin_form(user, rules, bands):
    import json

    form_class = type("F", (PolicyVersionForm,), {"request_user": user})
    data = {"effective_from": timezone.localdate() + datetime.timedelta(days=1),
            "scorecard_rules": json.dumps(rules), "scorecard_bands": json.dumps(bands)}
    for name in PolicyVersionForm.Meta.fields:
        if name not in data:
            data[name] = getattr(CreditPolicy(), name)
    return form_class(data=data)


@pytest.mark.parametrize("rules, bands", BAD_CARDS)
def test_every_path_refuses_a_card_that_would_fail(org, rules, bands):
    assert scorecard.validate_rules(rules, bands)
    with pytest.raises(ValidationError):
        policy_create(user=org.ada, data={"effective_from": timezone.localdate() + datetime.timedelta(days=1),
                                          "scorecard_rules": rules, "scorecard_bands": bands})
    assert not _admin_form(org.ada, rules, bands).is_valid()
    client = APIClient()
    client.force_authenticate(org.ada)
    if "\x00" not in str(bands) and "inf" not in str(rules):  # JSON carries neither
        response = client.post("/api/v1/credit/policies", {
            "effective_from": str(timezone.localdate() + datetime.timedelta(days=1)),
            "scorecard_rules": rules, "scorecard_bands": bands}, format="json")
        assert response.status_code == 400, response.content
    assert CreditPolicy.objects.filter(effective_from__gt=timezone.localdate()).count() == 0


def test_a_card_let_through_scores_any_answers():
    rules = {"staff_size": {"type": "bands", "bands": [[0, 1], [10.5, 3], [-5, 0]]},
             "ownership": {"type": "choice", "points": {"state": 20, "private": -3}}}
    bands = [[50, "low"], [10, "medium"], [-10, "reject"]]
    assert scorecard.validate_rules(rules, bands) == {}
    for staff, owner in itertools.product([None, 0, 7, 10.5, 10**9], [None, "state", "private", "??", 3]):
        total, risk, _detail = scorecard.score({"staff_size": staff, "ownership": owner}, rules=rules, bands=bands)
        assert 0 <= total <= 100 and risk in scorecard.RISK_CLASSES


def test_the_admin_form_saves_a_good_card(org):
    form = _admin_form(org.ada, scorecard.DEFAULT_RULES, scorecard.DEFAULT_BANDS)
    assert form.is_valid(), form.errors
    assert CreditPolicy.objects.filter(effective_from__gt=timezone.localdate()).count() == 1
