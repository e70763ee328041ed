"""Changes to the organisation (regions, teams, people) and to each person's inbox.

Pages, the API and commands all call these. Only administrators change the organisation;
nobody changes their own role, and no account is ever deleted, only switched off.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.messages import Message
from kehu.core.unique import save_unique

from .models import Notification, Region, Role, Team, User
from .permissions import can_manage_organisation

REGION_FIELDS = ("code", "name", "parent", "provinces")
TEAM_FIELDS = ("name", "region", "supervisor", "prospect_target")
USER_FIELDS = ("display_name", "first_name", "last_name", "email", "phone", "role", "team", "approval_limit")


def notify(*, users: Iterable[User | None], text: str | Message, link: str = "") -> int:
    """Put a message in each person's inbox (once per person; None, for nobody, is skipped). A
    ``Message`` (kehu.core.messages) is read in each reader's language; a plain text as it is."""
    words = text.as_json() if isinstance(text, Message) else None
    text = str(text)
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, text=text[:500], words=words, link=link[:200]))
    Notification.objects.bulk_create(rows)
    return len(rows)


def notification_mark_read(*, user: User, notification: Notification | None = None) -> int:
    """Mark one of ``user``'s messages read, or all of them; those read already keep their time."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification is not None:
        qs = qs.filter(pk=notification.pk)
    return qs.update(read_at=timezone.now())


# --- the organisation: administrators only ---------------------------------------------------


def require_organisation_admin(user: User) -> None:
    if not can_manage_organisation(user):
        raise PermissionDenied(_("Only administrators change users, teams, regions and industries."))


def apply_fields(obj: models.Model, data: dict[str, Any], fields: Iterable[str]) -> None:
    """Set the given fields, stripped of surrounding spaces; any other field is refused."""
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for field, value in data.items():
        setattr(obj, field, value.strip() if isinstance(value, str) else value)


def clean_and_save(obj: models.Model, *, errors: dict[str, list[str]] | None = None, unique_field: str) -> None:
    """Validate by the model (types, lengths, uniqueness), add ``errors`` found before, and save.
    Two people saving the same unique value at once: the database's unique index decides."""
    errors = {k: list(v) for k, v in (errors or {}).items()}
    try:
        obj.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            known = errors.setdefault("non_field_errors" if field == "__all__" else field, [])
            known.extend(m for m in messages if m not in known)
    if errors:
        raise ValidationError(errors)
    save_unique(obj, field=unique_field)


def _region_parent_errors(region: Region) -> dict[str, list[str]]:
    parent, seen = region.parent, set()
    while parent is not None and parent.pk not in seen:
        if region.pk and parent.pk == region.pk:
            return {"parent": [_("A region cannot lie within itself.")]}
        seen.add(parent.pk)
        parent = parent.parent
    return {}


@transaction.atomic
def region_save(*, user: User, data: dict[str, Any], region: Region | None = None) -> Region:
    require_organisation_admin(user)
    region = Region.objects.select_for_update().get(pk=region.pk) if region else Region()
    apply_fields(region, data, REGION_FIELDS)
    clean_and_save(region, errors=_region_parent_errors(region), unique_field="code")
    return region


def _team_errors(team: Team) -> dict[str, list[str]]:
    supervisor = team.supervisor
    if supervisor is not None and not (supervisor.is_active and supervisor.role == Role.SUPERVISOR):
        return {"supervisor": [_("A team is led by an active user with the supervisor role.")]}
    return {}


@transaction.atomic
def team_save(*, user: User, data: dict[str, Any], team: Team | None = None) -> Team:
    require_organisation_admin(user)
    team = Team.objects.select_for_update().get(pk=team.pk) if team else Team()
    apply_fields(team, data, TEAM_FIELDS)
    clean_and_save(team, errors=_team_errors(team), unique_field="name")
    return team


def _guard_superuser(user: User, target: User) -> None:
    if target.is_superuser and not user.is_superuser:
        raise PermissionDenied(_("Only a superuser changes a superuser's account."))


def _user_errors(target: User) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if target.approval_limit is not None and target.approval_limit < 0:
        errors["approval_limit"] = [_("The approval authority cannot be negative.")]
    taken = User.objects.filter(username__iexact=target.username).exclude(pk=target.pk)
    if target.username and taken.exists():  # "Li.Wei" and "li.wei" would be two people to the eye only
        errors["username"] = [str(User._meta.get_field("username").error_messages["unique"])]
    return errors


@transaction.atomic
def user_create(*, user: User, data: dict[str, Any]) -> User:
    """A new account. Without a password it cannot sign in until one is set (by reset or admin)."""
    require_organisation_admin(user)
    data = dict(data)
    username = (data.pop("username", "") or "").strip()
    password = data.pop("password", None) or None
    new = User(username=username)
    apply_fields(new, data, USER_FIELDS)
    errors = _user_errors(new)
    if password is None:
        new.set_unusable_password()
    else:
        try:
            validate_password(password, new)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
        new.set_password(password)
    clean_and_save(new, errors=errors, unique_field="username")
    return new


@transaction.atomic
def user_update(*, user: User, target: User, data: dict[str, Any]) -> User:
    require_organisation_admin(user)
    target = User.objects.select_for_update().get(pk=target.pk)
    _guard_superuser(user, target)
    if target.pk == user.pk and "role" in data and data["role"] != target.role:
        raise PermissionDenied(_("Nobody changes their own role."))
    apply_fields(target, data, USER_FIELDS)
    clean_and_save(target, errors=_user_errors(target), unique_field="username")
    return target


@transaction.atomic
def user_set_active(*, user: User, target: User, active: bool) -> User:
    """Switch an account off (it can no longer sign in, nor use its token) or on again."""
    require_organisation_admin(user)
    if target.pk == user.pk and not active:
        raise PermissionDenied(_("You cannot switch off your own account."))
    _guard_superuser(user, target)
    User.objects.filter(pk=target.pk).update(is_active=active)
    return User.objects.select_related("team").get(pk=target.pk)
