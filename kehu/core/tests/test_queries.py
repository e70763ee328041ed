import pytest
from django.urls import reverse

from kehu.core.queries import MAX_ID, as_id


def test_a_record_number_from_a_query_string():
    assert as_id("42") == 42 and as_id(" 7 ") == 7 and as_id(42) == 42 and as_id(str(MAX_ID)) == MAX_ID
    for nonsense in (None, "", "0", "-3", "4.0", "²", "①", "12a", str(MAX_ID + 1), "9" * 40, True):
        assert as_id(nonsense) is None, nonsense


@pytest.mark.django_db
def test_numbers_that_are_no_record_number_find_nothing_not_an_error_page(org, client):
    """"²" passes str.isdigit but int() refuses it, and SQLite refuses a number past 2**63: a page
    given either finds nothing."""
    client.force_login(org.ada)
    for value in ("²", "①", "99999999999999999999999"):
        assert client.get(reverse("visits:visit_list"), {"rep": value}).status_code == 200, value
        assert client.get(reverse("visits:map"), {"job": value}).status_code == 200, value
    client.force_login(org.alice)
    for value in ("²", "99999999999999999999999"):
        assert client.get(reverse("ledger:order_new"), {"customer": value}).status_code == 404, value
        response = client.post(reverse("ledger:orders_confirm"), {"order": [value]})
        assert response.status_code in (200, 302), value
