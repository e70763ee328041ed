"""Who may do what in field work (C2, F1, F2), one named predicate per action; pages, the API and
the services ask these. ``RULES`` feeds docs/permissions.md."""

from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, User
from kehu.accounts.permissions import can_oversee


def can_set_visit_policy(user: User) -> bool:
    """The cadence policy (visits per month by grade and kind) is the administrators'."""
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)


def can_write_plan(user: User, rep: User) -> bool:
    """Reps make and edit their own plans; an administrator may for anyone."""
    return user.is_active and (user.pk == rep.pk or user.is_superuser or user.role == Role.ADMIN)


def can_decide_plan(user: User, plan) -> bool:
    """The rep's supervisor, a senior manager or an administrator decides a plan — never its own rep."""
    return can_oversee(user, plan.rep)


def can_comment(user: User, visit) -> bool:
    """A supervisor's comment on a visit log (点评): as for plans, never on one's own visit."""
    return can_oversee(user, visit.rep)


def decides_plans(user: User) -> bool:
    """Whether the role approves plans at all (``can_decide_plan`` says whose)."""
    return user.is_active and (user.is_superuser or user.role in {Role.SUPERVISOR, Role.SENIOR, Role.ADMIN})


RULES = [
    (gettext_lazy("set the visit cadence policy"), can_set_visit_policy),
    (gettext_lazy("approve visit plans and comment on visit logs (their team's; never their own)"), decides_plans),
]
