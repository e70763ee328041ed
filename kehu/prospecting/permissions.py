"""Who may do what in prospect development (P1–P5), one named predicate per action; pages, the
API and the services ask these. ``RULES`` feeds docs/permissions.md."""

from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, User
from kehu.accounts.permissions import can_oversee

PROSPECT_OWNER_ROLES = frozenset({Role.REP, Role.SUPERVISOR, Role.KEY_ACCOUNT})


def owns_prospects(user: User) -> bool:
    """The roles that keep a pool of prospects (P2) and file new ones."""
    return bool(user.is_active and user.role in PROSPECT_OWNER_ROLES)


def can_claim(user: User, entry) -> bool:
    """From the shared pool: another rep of the prospect's team (or, for a team-less pool, anyone who
    owns prospects); never the rep who let it go."""
    if not owns_prospects(user) or entry.previous_owner_id == user.pk:
        return False
    return entry.team_id is None or entry.team_id == user.team_id


def can_decide_handover(user: User, request) -> bool:
    """A request to take over another rep's record: the owner's supervisor, a senior manager or an
    administrator; never the one who asked."""
    return request.requested_by_id != user.pk and can_oversee(user, request.owner)


def decides_handovers(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in {Role.SUPERVISOR, Role.SENIOR, Role.ADMIN})


RULES = [
    (gettext_lazy("keep a prospect pool and file prospects"), owns_prospects),
    (gettext_lazy("claim from the team's shared pool"), owns_prospects),
    (gettext_lazy("decide who takes over another rep's record (never their own request)"), decides_handovers),
]
