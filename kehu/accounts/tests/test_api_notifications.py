"""API for the inbox: each person reads and marks only their own notifications."""

from rest_framework.test import APIClient

from kehu.accounts.models import Notification
from kehu.accounts.services import notify


def client_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def texts(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["text"] for row in response.json()["results"]]


def test_each_person_reads_only_their_own(org):
    notify(users=[org.alice], text="订单 SO-1 被信用检查拦下", link="/orders/1/")
    notify(users=[org.alice, org.sam], text="授信申请待审批")
    notify(users=[org.bob], text="鲍勃的消息")
    bobs = Notification.objects.get(user=org.bob)

    for who, user in org.users().items():
        mine = list(Notification.objects.filter(user=user).values_list("text", flat=True))
        client = client_for(user)
        assert texts(client.get("/api/v1/notifications")) == mine, who
        if who != "bob":
            for response in (client.get(f"/api/v1/notifications/{bobs.pk}"),
                             client.post(f"/api/v1/notifications/{bobs.pk}/read")):
                assert response.status_code == 404, who
                assert "鲍勃的消息" not in response.content.decode()
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert client_for().get("/api/v1/notifications").status_code == 401

    first = client_for(org.alice).get("/api/v1/notifications").json()["results"][0]
    assert set(first) == {"id", "text", "link", "created_at", "read_at", "unread"}
    assert (first["text"], first["unread"], first["read_at"]) == ("授信申请待审批", True, None)


def test_mark_one_or_all_read(org):
    for n in range(3):
        notify(users=[org.alice], text=f"消息{n}")
    notify(users=[org.sam], text="沈主管的消息")
    client = client_for(org.alice)
    newest = Notification.objects.filter(user=org.alice).first()

    marked = client.post(f"/api/v1/notifications/{newest.pk}/read")
    assert marked.status_code == 200
    assert (marked.json()["unread"], marked.json()["read_at"] is not None) == (False, True)
    first_read_at = marked.json()["read_at"]
    # Marking again keeps the time it was first read.
    assert client.post(f"/api/v1/notifications/{newest.pk}/read").json()["read_at"] == first_read_at

    assert texts(client.get("/api/v1/notifications?unread=true")) == ["消息1", "消息0"]
    assert texts(client.get("/api/v1/notifications?unread=false")) == ["消息2"]
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 2}
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    assert texts(client.get("/api/v1/notifications?unread=true")) == []
    # Someone else's inbox is untouched.
    assert Notification.objects.get(user=org.sam).read_at is None


def test_notifications_filter_rejects_nonsense_and_pages(org):
    client = client_for(org.alice)
    assert client.get("/api/v1/notifications?unread=perhaps").status_code == 400
    assert client.get("/api/v1/notifications/abc").status_code == 404
    Notification.objects.bulk_create([Notification(user=org.alice, text=f"n{n}") for n in range(55)])
    first = client.get("/api/v1/notifications").json()
    assert (first["count"], len(first["results"])) == (55, 50)
    assert len(client.get(first["next"]).json()["results"]) == 5
