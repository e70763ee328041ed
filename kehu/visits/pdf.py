"""The day sheet (F1's customer cards and sales map on paper): the route, a drawn map, and each
customer's card, rendered by WeasyPrint with the server's CJK fonts."""

import datetime
import math

from django.template.loader import render_to_string
from django.utils import timezone

from kehu.accounts.models import User
from kehu.credit.selectors import credit_positions, customers_overdue
from kehu.customers.selectors import customer_visible
from kehu.engagement.models import Touchpoint, TouchStatus
from kehu.ledger.models import Order, OrderStatus

from . import selectors, services
from .models import DayRoute, EntryStatus


def route_svg(points: list[tuple[float, float, str, str]], base: tuple[float, float], width: int = 640,
              height: int = 300) -> dict:
    """The day's stops and route projected onto a box (no tiles: paper needs no tile server), north
    up, with one scale for both directions (a degree of longitude is cos(latitude) of a degree of
    latitude), centred."""
    lats = [p[0] for p in points] + [base[0]]
    lngs = [p[1] for p in points] + [base[1]]
    lat_lo, lat_hi, lng_lo, lng_hi = min(lats), max(lats), min(lngs), max(lngs)
    squeeze = math.cos(math.radians((lat_lo + lat_hi) / 2))
    span_lat = max(lat_hi - lat_lo, 0.005)
    span_x = max((lng_hi - lng_lo) * squeeze, 0.005)
    pad = 24
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_lat)
    left = (width - (lng_hi - lng_lo) * squeeze * scale) / 2
    top = (height - (lat_hi - lat_lo) * scale) / 2

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return (round(left + (lng - lng_lo) * squeeze * scale, 1), round(top + (lat_hi - lat) * scale, 1))

    colours = {"A": "#c0392b", "B": "#e67e22", "C": "#607d8b", "P": "#2e86c1"}
    stops = [{"x": xy(lat, lng)[0], "y": xy(lat, lng)[1], "label": label, "colour": colours.get(grade, "#607d8b")}
             for lat, lng, label, grade in points]
    bx, by = xy(*base)
    line = " ".join(f"{x},{y}" for x, y in [(bx, by)] + [(s["x"], s["y"]) for s in stops] + [(bx, by)])
    return {"width": width, "height": height, "stops": stops, "base": {"x": bx, "y": by, "rx": round(bx - 7, 1), "ry": round(by - 7, 1)}, "line": line}


def day_sheet_context(*, viewer: User, person: User, date: datetime.date) -> dict:
    route = DayRoute.objects.filter(rep=person, date=date).first()
    entries = {str(e.pk): e for e in services.day_entries(rep=person, date=date)
               if e.status != EntryStatus.CANCELLED}
    visible = set(customer_visible(user=viewer).filter(pk__in=[e.customer_id for e in entries.values()])
                  .values_list("pk", flat=True))
    entries = {k: e for k, e in entries.items() if e.customer_id in visible}
    ordered = []
    if route:
        for stop in route.plan.get("route", []):
            if str(stop["id"]) in entries:
                ordered.append((entries.pop(str(stop["id"])), stop))
    ordered += [(e, None) for e in entries.values()]
    ids = [e.customer_id for e, _s in ordered]
    positions = credit_positions(customer_ids=ids, today=date)
    held: dict[int, list[Order]] = {}
    for order in Order.objects.filter(customer_id__in=ids, status=OrderStatus.HELD).order_by("id"):
        held.setdefault(order.customer_id, []).append(order)
    last = selectors.last_visits(customer_ids=ids)
    overdue = customers_overdue(customer_ids=ids, today=date)
    touches: dict[int, list[Touchpoint]] = {}
    for touch in (Touchpoint.objects.filter(customer_id__in=ids, status=TouchStatus.PLANNED)
                  .order_by("planned_on", "id")):
        touches.setdefault(touch.customer_id, []).append(touch)
    cards = []
    for n, (entry, stop) in enumerate(ordered, start=1):
        c = entry.customer
        cards.append({
            "n": n if stop else None, "entry": entry, "customer": c,
            "time": f"{stop['start'] // 60:02d}:{stop['start'] % 60:02d}–{stop['end'] // 60:02d}:{stop['end'] % 60:02d}" if stop else "",
            "contacts": list(c.contacts.all()[:4]), "needs": list(c.needs.all()[:5]),
            "credit": positions.get(c.pk), "held": held.get(c.pk, []), "last": last.get(c.pk, []),
            "overdue": overdue.get(c.pk), "touches": touches.get(c.pk, [])[:3],
            "open": [e for e in c.plan_entries.filter(status=EntryStatus.PLANNED, date__gt=date).order_by("date")[:3]],
        })
    base = services.rep_base_point(person, [card["customer"] for card in cards])
    points = [(float(card["customer"].lat), float(card["customer"].lng), str(card["n"] or "×"), card["entry"].grade or "C")
              for card in cards if card["customer"].lat is not None and card["n"]]
    return {"person": person, "date": date, "cards": cards, "route": route,
            "map": route_svg(points, base) if points else None, "printed": timezone.localtime()}


def day_sheet_pdf(*, viewer: User, person: User, date: datetime.date) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    html = render_to_string("visits/pdf/day_sheet.html", day_sheet_context(viewer=viewer, person=person, date=date))
    return HTML(string=html).write_pdf()
