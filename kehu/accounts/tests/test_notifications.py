import pytest
from django.urls import reverse

from kehu.accounts.models import Notification
from kehu.accounts.services import notify

pytestmark = pytest.mark.django_db


def test_each_person_sees_only_their_notifications_and_can_mark_them_read(client, org):
    notify(users=[org.alice, org.alice, org.sam], text="订单 SO1 已挂起", link="/orders/1/")
    notify(users=[org.bob], text="鲍勃的消息")
    assert Notification.objects.filter(user=org.alice).count() == 1  # once per person
    client.force_login(org.alice)
    page = client.get(reverse("notifications")).content.decode()
    assert "订单 SO1 已挂起" in page and "鲍勃的消息" not in page
    assert 'class="count">1<' in client.get(reverse("customers:list")).content.decode()
    client.post(reverse("notifications"))
    assert not Notification.objects.filter(user=org.alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=org.sam, read_at__isnull=True).exists()


def test_notifications_need_login(client):
    assert client.get(reverse("notifications")).status_code == 302
