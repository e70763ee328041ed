import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Notification
from kehu.core.uploads import MAX_PHOTO_BYTES
from kehu.customers.models import Customer
from kehu.visits import routing
from kehu.visits.models import (
    SKIP_REASONS,
    DayStart,
    EntryStatus,
    OpeningHours,
    PlanEntry,
    PlanKind,
    RepBase,
    Slot,
)
from kehu.visits.services import (
    day_problem,
    day_route_compute,
    day_start,
    opening_hours_set,
    parse_windows,
    plan_entry_move,
    plan_generate,
    visit_check_in,
    visit_comment,
    visit_log,
)
from kehu.visits.tests.factories import graded_customer

DAY = datetime.date(2026, 11, 26)  # a Thursday
NOW = datetime.datetime(2026, 11, 26, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def _entry(rep, customer, *, slot=Slot.ANY, grade=None, minutes=30, date=DAY) -> PlanEntry:
    from kehu.visits.services import _plan_for

    plan = _plan_for(rep=rep, kind=PlanKind.WEEK, day=date)
    return PlanEntry.objects.create(plan=plan, customer=customer, date=date, slot=slot, grade=grade or customer.abc_grade,
                                    minutes=minutes)


# --- the checklist gate (F1) -------------------------------------------------------------------


def test_the_day_cannot_start_with_items_unticked_without_a_reason(org):
    with pytest.raises(ValidationError) as exc:
        day_start(user=org.alice, date=DAY, ticked=["appearance", "sales_map"])
    assert "skip_reason" in exc.value.message_dict
    assert not DayStart.objects.filter(rep=org.alice).exists()
    with pytest.raises(ValidationError):
        day_start(user=org.alice, date=DAY, ticked=[], reason="   ")
    row = day_start(user=org.alice, date=DAY, ticked=["appearance"], reason="客户临时约见，来不及准备")
    assert row.started_at and not row.complete and row.skip_reason
    with pytest.raises(ValidationError):  # once a day
        day_start(user=org.alice, date=DAY, ticked=list(DayStart.ITEMS))


def test_a_complete_checklist_needs_no_reason(org):
    row = day_start(user=org.alice, date=DAY, ticked=list(DayStart.ITEMS), reason="ignored")
    assert row.complete and row.skip_reason == ""
    with pytest.raises(ValidationError):
        day_start(user=org.bob, date=DAY, ticked=["no-such-item"])


def test_supervisors_see_who_started_without_the_checklist(org):
    from kehu.visits.selectors import day_starts_visible

    day_start(user=org.alice, date=DAY, ticked=[], reason="车坏了")
    day_start(user=org.carol, date=DAY, ticked=list(DayStart.ITEMS))
    assert [(s.rep, s.complete) for s in day_starts_visible(user=org.sam, date=DAY)] == [(org.alice, False)]
    assert [s.rep for s in day_starts_visible(user=org.sue, date=DAY)] == [org.carol]
    assert day_starts_visible(user=org.sid, date=DAY).count() == 2
    assert day_starts_visible(user=org.bob, date=DAY).count() == 0


# --- routes --------------------------------------------------------------------------------------


def test_opening_hours_are_parsed_and_bad_ones_refused(org):
    assert parse_windows("08:30-12:00, 13:30-17:00") == [(510, 720), (810, 1020)]
    for bad in ("12:00-08:00", "8点到12点", "08:00-12:00,11:00-14:00"):
        with pytest.raises(ValidationError):
            parse_windows(bad)
    customer = graded_customer(org.alice, "B")
    with pytest.raises(PermissionDenied):
        opening_hours_set(user=org.bob, customer=customer, windows="08:30-12:00")
    assert opening_hours_set(user=org.alice, customer=customer, windows="8:30-12:00，13:30-17:00").windows == \
        "08:30-12:00,13:30-17:00"


def test_the_days_problem_carries_windows_and_penalties_by_grade(org):
    a = graded_customer(org.alice, "A")
    b = graded_customer(org.alice, "B", district=1)
    OpeningHours.objects.create(customer=b, windows="09:00-11:30,14:00-17:00")
    RepBase.objects.create(user=org.alice, lat="31.230000", lng="121.470000")
    ea = _entry(org.alice, a, slot=Slot.MORNING, minutes=40)
    eb = _entry(org.alice, b)
    problem = day_problem(rep=org.alice, date=DAY)
    stops = {s["id"]: s for s in problem["stops"]}
    assert stops[str(ea.pk)]["time_windows"] == [[510, 720]]
    assert stops[str(ea.pk)]["skip_penalty"] == 10000
    assert stops[str(eb.pk)]["time_windows"] == [[540, 690], [840, 1020]]
    assert stops[str(eb.pk)]["skip_penalty"] == 3000
    assert problem["base"]["lat"] == 31.23
    assert len(problem["travel_min"]) == 3 and all(len(row) == 3 for row in problem["travel_min"])


@time_machine.travel(NOW)
def test_an_over_booked_day_keeps_every_a_in_the_morning_and_lists_the_rest(org):
    a_customers = [graded_customer(org.alice, "A") for _ in range(4)]  # one district: a morning holds them
    c_customers = [graded_customer(org.alice, "C", district=i) for i in range(14)]
    for c in a_customers:
        _entry(org.alice, c, slot=Slot.MORNING, minutes=40)
    for c in c_customers:
        _entry(org.alice, c, minutes=40)
    route = day_route_compute(user=org.alice, date=DAY)
    by_id = {s["id"]: s for s in route.plan["route"]}
    a_entries = PlanEntry.objects.filter(grade="A")
    for entry in a_entries:
        assert str(entry.pk) in by_id, "an A visit was dropped"
        assert by_id[str(entry.pk)]["end"] <= 12 * 60
    skipped = PlanEntry.objects.filter(status=EntryStatus.SKIPPED)
    assert skipped.exists() and len(route.plan["skipped"]) == skipped.count()
    assert all(e.grade == "C" and e.skip_reason in SKIP_REASONS for e in skipped)
    assert skipped.count() + len(route.plan["route"]) == 18  # nothing silently dropped
    # a skipped visit is offered for another day and goes there
    entry = skipped.first()
    moved = plan_entry_move(user=org.alice, entry=entry, date=DAY + datetime.timedelta(days=1))
    assert moved.status == EntryStatus.PLANNED and moved.date == DAY + datetime.timedelta(days=1)
    assert moved.skip_reason == ""


def test_every_routing_reason_is_worded_for_the_reader():
    assert set(routing.REASONS) <= set(SKIP_REASONS)


@time_machine.travel(NOW)
def test_moving_a_visit_into_the_past_is_refused(org):
    entry = _entry(org.alice, graded_customer(org.alice, "B"))
    with pytest.raises(ValidationError):
        plan_entry_move(user=org.alice, entry=entry, date=DAY - datetime.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        plan_entry_move(user=org.bob, entry=entry, date=DAY)


# --- check-in and log -----------------------------------------------------------------------------


def test_check_in_records_distance_and_flags_far(org):
    customer = graded_customer(org.alice, "B")
    entry = _entry(org.alice, customer)
    near = visit_check_in(user=org.alice, entry=entry, lat=float(customer.lat) + 0.001, lng=float(customer.lng))
    assert 100 <= near.distance_m <= 120 and not near.far  # 0.001° of latitude ≈ 111 m
    far_entry = _entry(org.alice, customer, date=DAY + datetime.timedelta(days=1))
    far = visit_check_in(user=org.alice, entry=far_entry, lat=float(customer.lat) + 0.01, lng=float(customer.lng))
    assert far.distance_m > 1000 and far.far


def test_check_in_without_location_or_at_an_approximate_customer_is_not_flagged(org):
    exact = graded_customer(org.alice, "B")
    nowhere = visit_check_in(user=org.alice, entry=_entry(org.alice, exact))
    assert nowhere.distance_m is None and not nowhere.far
    approx = graded_customer(org.alice, "B")
    Customer.objects.filter(pk=approx.pk).update(geo_source="district")
    approx.refresh_from_db()
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, approx), lat=float(approx.lat) + 0.02,
                           lng=float(approx.lng))
    assert visit.distance_m > 2000 and not visit.far


def test_check_in_refuses_bad_coordinates_and_others_visits(org):
    entry = _entry(org.alice, graded_customer(org.alice, "B"))
    with pytest.raises(ValidationError):
        visit_check_in(user=org.alice, entry=entry, lat="north", lng="121.4")
    with pytest.raises(ValidationError):
        visit_check_in(user=org.alice, entry=entry, lat=95, lng=121.4)
    with pytest.raises(PermissionDenied):
        visit_check_in(user=org.bob, entry=entry, lat=31.2, lng=121.4)


@time_machine.travel(NOW)
def test_logging_a_visit_marks_it_done_and_the_next_step_becomes_a_plan_entry(org):
    customer = graded_customer(org.alice, "B")
    entry = _entry(org.alice, customer)
    visit = visit_check_in(user=org.alice, entry=entry, lat=float(customer.lat), lng=float(customer.lng))
    with pytest.raises(ValidationError):
        visit_log(user=org.alice, visit=visit, outcome="great")
    with pytest.raises(ValidationError):
        visit_log(user=org.alice, visit=visit, outcome="progress", next_step_on=DAY + datetime.timedelta(days=9))
    with pytest.raises(PermissionDenied):
        visit_log(user=org.bob, visit=visit, outcome="progress")
    visit_log(user=org.alice, visit=visit, outcome="progress", summary="试用装反馈良好", next_step="送报价单",
              next_step_on=datetime.date(2026, 12, 3), products=[org.product],
              photos=[("门头.jpg", "image/jpeg", b"\xff\xd8\xff")])
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DONE
    follow_up = PlanEntry.objects.get(date=datetime.date(2026, 12, 3))
    assert follow_up.customer == customer and follow_up.goal == "送报价单" and follow_up.plan.kind == PlanKind.WEEK
    assert list(visit.products.all()) == [org.product] and visit.photos.count() == 1


def test_supervisor_comments_and_the_rep_is_notified(org):
    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    for outsider in (org.alice, org.bob, org.sue, org.kim, org.cathy):
        with pytest.raises(PermissionDenied):
            visit_comment(user=outsider, visit=visit, text="好")
    with pytest.raises(ValidationError):
        visit_comment(user=org.sam, visit=visit, text=" ")
    first = visit_comment(user=org.sam, visit=visit, text="下次带上技术资料")
    assert visit_comment(user=org.sam, visit=visit, text="下次带上技术资料") == first  # a second tap
    note = Notification.objects.get(user=org.alice)
    assert "下次带上技术资料" in note.text and note.link == f"/visits/log/{visit.pk}/"


def test_a_generated_week_routes_end_to_end(org):
    for i in range(6):
        graded_customer(org.alice, "A", district=i)
    for i in range(6):
        graded_customer(org.alice, "B", district=i)
    plan = plan_generate(user=org.alice, rep=org.alice, kind=PlanKind.WEEK, day=DAY)
    day = plan.entries.values_list("date", flat=True).first()
    route = day_route_compute(user=org.alice, date=day)
    planned = plan.entries.filter(date=day).count()
    assert len(route.plan["route"]) + len(route.plan["skipped"]) == planned


def test_the_log_page_takes_several_photos_and_refuses_a_huge_one(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse


    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    client.force_login(org.alice)
    url = reverse("visits:visit_detail", args=[visit.pk])
    photos = [SimpleUploadedFile("a.jpg", b"\xff\xd8\xff1", "image/jpeg"),
              SimpleUploadedFile("b.jpg", b"\xff\xd8\xff2", "image/jpeg")]
    response = client.post(url, {"outcome": "progress", "photos": photos})
    assert response.status_code == 302 and visit.photos.count() == 2
    big = SimpleUploadedFile("big.jpg", b"0" * (MAX_PHOTO_BYTES + 1), "image/jpeg")
    response = client.post(url, {"outcome": "progress", "photos": [big]})
    assert response.status_code == 400 and visit.photos.count() == 2
    assert "big.jpg" in response.content.decode()
    assert client.get(reverse("visits:visit_photo", args=[visit.pk, visit.photos.first().pk])).status_code == 200
    client.force_login(org.bob)
    assert client.get(reverse("visits:visit_photo", args=[visit.pk, visit.photos.first().pk])).status_code == 404


@time_machine.travel(NOW)
def test_a_next_step_becomes_one_planned_touchpoint_also_when_the_log_is_saved_again(org):
    from kehu.engagement.models import TouchMethod, Touchpoint, TouchStatus

    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    for _ in range(2):
        visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送报价单",
                  next_step_on=datetime.date(2026, 12, 3))
    touch = Touchpoint.objects.get(customer=customer)
    assert (touch.status, touch.method, touch.planned_on, touch.notes, touch.rep) == (
        TouchStatus.PLANNED, TouchMethod.VISIT, datetime.date(2026, 12, 3), "送报价单", org.alice)
    # logged two days late, a next step already past stays a plan entry only: no touch planned in the past
    late = visit_check_in(user=org.alice, entry=_entry(org.alice, graded_customer(org.alice, "C")))
    with time_machine.travel(NOW + datetime.timedelta(days=2)):
        visit_log(user=org.alice, visit=late, outcome="progress", next_step="回访", next_step_on=DAY + datetime.timedelta(days=1))
    assert PlanEntry.objects.filter(customer=late.customer, goal="回访").exists()
    assert Touchpoint.objects.count() == 1


@time_machine.travel(NOW)
def test_saving_a_log_again_moves_its_follow_up_and_keeps_one_of_each_photo(org):
    from kehu.engagement.models import Touchpoint, TouchStatus

    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    photo = ("门头.jpg", "image/jpeg", b"\xff\xd8\xffA")
    for _ in range(3):  # a double tap, a retry over a bad connection
        visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送报价单",
                  next_step_on=datetime.date(2026, 12, 3), photos=[photo])
    [follow_up] = PlanEntry.objects.filter(customer=customer, kind="follow_up")
    assert (follow_up.date, follow_up.goal, follow_up.from_visit_id) == (datetime.date(2026, 12, 3), "送报价单", visit.pk)
    assert visit.photos.count() == 1
    # corrected: another day, another goal, one more photo — the same follow-up and touch, moved
    visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送样品", next_step_on=datetime.date(2026, 12, 10),
              photos=[photo, ("仓库.jpg", "image/jpeg", b"\xff\xd8\xffB")])
    [follow_up] = PlanEntry.objects.filter(customer=customer, kind="follow_up")
    assert (follow_up.date, follow_up.goal, follow_up.status) == (datetime.date(2026, 12, 10), "送样品", EntryStatus.PLANNED)
    assert follow_up.plan.starts_on <= datetime.date(2026, 12, 10) and visit.photos.count() == 2
    touch = Touchpoint.objects.get(customer=customer)
    assert (touch.planned_on, touch.notes, touch.status) == (datetime.date(2026, 12, 10), "送样品", TouchStatus.PLANNED)
    # the next step taken out: the follow-up and the touch go, not left to mislead
    visit_log(user=org.alice, visit=visit, outcome="progress")
    assert not PlanEntry.objects.filter(customer=customer, kind="follow_up").exists()
    assert not Touchpoint.objects.filter(customer=customer).exists()
    # and put back: planned again
    visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送样品", next_step_on=datetime.date(2026, 12, 10))
    assert PlanEntry.objects.get(customer=customer, kind="follow_up").status == EntryStatus.PLANNED
    assert Touchpoint.objects.get(customer=customer).status == TouchStatus.PLANNED
    # a far date is refused with a message, not a server error
    with pytest.raises(ValidationError) as refused:
        visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送样品", next_step_on=datetime.date(9999, 12, 31))
    assert "next_step_on" in refused.value.message_dict


@time_machine.travel(NOW)
def test_a_log_saved_again_after_the_customer_changed_hands_keeps_the_new_owners_plans(org):
    from kehu.customers.models import Customer

    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    visit_log(user=org.alice, visit=visit, outcome="progress", next_step="送报价单", next_step_on=datetime.date(2026, 12, 3))
    Customer.objects.filter(pk=customer.pk).update(owner=org.bob)  # handed over since
    visit_log(user=org.alice, visit=visit, outcome="order", next_step="送报价单", next_step_on=datetime.date(2026, 12, 3),
              photos=[("门头.jpg", "image/jpeg", b"\xff\xd8\xffA")])
    visit.refresh_from_db()
    assert visit.outcome == "order" and visit.photos.count() == 1
    assert PlanEntry.objects.get(customer=customer, kind="follow_up").status == EntryStatus.PLANNED


def test_only_photos_are_kept_and_a_photo_is_shown_never_run(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from kehu.visits.models import VisitPhoto
    from kehu.visits.services import photo_type

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 "
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"
    assert [photo_type(d) for d in (b"\xff\xd8\xff\xe0", png, b"GIF89a..", webp, heic)] == [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"]
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    assert photo_type(svg) is None and photo_type(b"<html><script>x</script>") is None and photo_type(b"") is None

    customer = graded_customer(org.alice, "B")
    visit = visit_check_in(user=org.alice, entry=_entry(org.alice, customer))
    client.force_login(org.alice)
    url = reverse("visits:visit_detail", args=[visit.pk])
    for name, data, claimed in (("门头.jpg", svg, "image/jpeg"), ("x.svg", svg, "image/svg+xml"),
                                ("page.jpg", b"<html><script>alert(1)</script>", "image/jpeg")):
        response = client.post(url, {"outcome": "progress", "photos": [SimpleUploadedFile(name, data, claimed)]},
                               headers={"accept-language": "en"})
        assert response.status_code == 400 and f"“{name}” is not a photo" in response.content.decode(), name
    assert visit.photos.count() == 0
    # what the phone claims is not what is stored: the bytes say what it is
    response = client.post(url, {"outcome": "progress", "photos": [SimpleUploadedFile("p.jpg", png, "image/jpeg")]})
    assert response.status_code == 302 and visit.photos.get().content_type == "image/png"
    shown = client.get(reverse("visits:visit_photo", args=[visit.pk, visit.photos.get().pk]))
    assert shown["Content-Type"] == "image/png" and "sandbox" in shown["Content-Security-Policy"]
    # a stored file that is no photo (from before the check) is a download, never run
    old = VisitPhoto.objects.create(visit=visit, name="old.svg", content_type="image/svg+xml", size=len(svg), data=svg)
    served = client.get(reverse("visits:visit_photo", args=[visit.pk, old.pk]))
    assert served["Content-Type"] == "application/octet-stream" and served["Content-Disposition"] == "attachment"
    # one stored earlier as the phone named it ("image/jpg") is shown as the photo it is
    jpg = VisitPhoto.objects.create(visit=visit, name="a.jpg", content_type="image/jpg", size=4, data=b"\xff\xd8\xff\xe0")
    shown = client.get(reverse("visits:visit_photo", args=[visit.pk, jpg.pk]))
    assert shown["Content-Type"] == "image/jpeg" and shown["Content-Disposition"] == "inline"
