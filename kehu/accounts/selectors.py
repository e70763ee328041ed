"""Reads of the organisation: regions, teams, the people directory and each person's inbox."""

from typing import Any

from django.db.models import Q, QuerySet

from kehu.core.queries import get_or_404

from .models import Notification, Region, Team, User
from .permissions import can_manage_organisation

REGION_ORDERINGS = {"code": ("code",), "-code": ("-code",), "name": ("name", "code")}


def region_list(*, q: str = "", parent: int | None = None, ordering: str = "code") -> QuerySet[Region]:
    """Every region; everyone signed in may read them."""
    qs = Region.objects.select_related("parent")
    if q.strip():
        q = q.strip()
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(provinces__contains=q))
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs.order_by(*REGION_ORDERINGS[ordering])


def region_get(*, pk: Any) -> Region:
    return get_or_404(Region.objects.select_related("parent"), pk)


TEAM_ORDERINGS = {"name": ("name",), "-name": ("-name",), "region": ("region__code", "name")}


def team_list(*, q: str = "", region: int | None = None, ordering: str = "name") -> QuerySet[Team]:
    """Every team with its region and supervisor; everyone signed in may read them."""
    qs = Team.objects.select_related("region", "supervisor")
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    if region:
        qs = qs.filter(region_id=region)
    return qs.order_by(*TEAM_ORDERINGS[ordering])


def team_get(*, pk: Any) -> Team:
    return get_or_404(Team.objects.select_related("region", "supervisor"), pk)


USER_ORDERINGS = {
    "username": ("username",),
    "-username": ("-username",),
    "name": ("display_name", "username"),
    "role": ("role", "username"),
}


def user_directory(*, viewer: User) -> QuerySet[User]:
    """The people ``viewer`` may look up: the active ones (pages show their names), and for an
    administrator also those switched off."""
    qs = User.objects.select_related("team")
    return qs if can_manage_organisation(viewer) else qs.filter(is_active=True)


def user_list(*, viewer: User, q: str = "", role: str = "", team: int | None = None, active: bool | None = None,
              ordering: str = "username") -> QuerySet[User]:
    qs = user_directory(viewer=viewer)
    if q.strip():
        q = q.strip()
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(first_name__icontains=q)
                       | Q(last_name__icontains=q))
    if role:
        qs = qs.filter(role=role)
    if team:
        qs = qs.filter(team_id=team)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by(*USER_ORDERINGS[ordering])


def user_get(*, viewer: User, pk: Any) -> User:
    """A person in ``viewer``'s directory; a switched-off account looks like none to non-admins."""
    return get_or_404(user_directory(viewer=viewer), pk)


def notification_list(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    """``user``'s own inbox, newest first; nobody reads another person's."""
    qs = Notification.objects.filter(user=user)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-created_at", "-id")


def notification_get(*, user: User, pk: Any) -> Notification:
    return get_or_404(Notification.objects.filter(user=user), pk)
