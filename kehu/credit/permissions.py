"""Who may do what in credit (DESIGN.md K1–K4), one named predicate per action.

Pages, the API, imports, commands and the card ask these and nothing else; the services ask them
again before they change anything. ``RULES`` lists the predicates that depend on the role alone, for
the table in docs/permissions.md (``kehu permissions --markdown`` writes it; a test keeps it current).
"""

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, User

# Who decides credit (K1): a supervisor for their team's reps, a senior manager above that.
APPROVER_ROLES = frozenset({Role.SUPERVISOR, Role.SENIOR})
INVESTIGATOR_ROLES = frozenset({Role.REP, Role.SUPERVISOR, Role.KEY_ACCOUNT, Role.CREDIT, Role.SENIOR, Role.ADMIN})


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_credit_staff(user: User) -> bool:
    """Credit control, admin and senior managers — the roles that see every customer — see the
    credit queue, the audit trail and every write-off."""
    return _active(user) and user.sees_all


def can_set_policy(user: User) -> bool:
    return _active(user) and (user.is_superuser or user.role == Role.ADMIN)


def can_investigate(user: User) -> bool:
    """Record a credit investigation (客户信用状况调查表) and apply for a limit, on a visible customer."""
    return _active(user) and (user.is_superuser or user.role in INVESTIGATOR_ROLES)


def may_approve_credit(user: User) -> bool:
    """Whether the role decides credit at all; ``can_approve`` says whether for this request."""
    return _active(user) and user.role in APPROVER_ROLES


def can_approve(user: User, *, requester: User, amount: Decimal) -> tuple[bool, str]:
    """Whether ``user`` may approve ``amount`` asked for by ``requester`` (K1): never their own
    request; the requester's supervisor within their authority, or a senior manager within theirs."""
    if user.pk == requester.pk:
        return False, _("Nobody approves their own request.")
    if not may_approve_credit(user):
        return False, _("Only a supervisor or a senior manager approves credit.")
    if user.role == Role.SUPERVISOR:
        team = requester.team
        if requester.role not in {Role.REP, Role.KEY_ACCOUNT} or team is None or team.supervisor_id != user.pk:
            return False, _("A supervisor approves only the requests of their own team's reps.")
    if amount > user.approval_limit:
        return False, _("%(amount)s is above your approval authority of %(authority)s; a senior manager must decide.") % {
            "amount": f"¥{amount:,.2f}", "authority": f"¥{user.approval_limit:,.2f}"}
    return True, ""


def decidable_scope(user: User, *, requester: str) -> Q | None:
    """Which pending requests ``user`` could decide, as a filter on the field naming the requester
    (``applicant`` or ``order__handler``); None: none at all. Never their own (``can_approve``)."""
    if not _active(user):
        return None
    if user.role == Role.SUPERVISOR:
        return Q(**{f"{requester}__team__supervisor": user}) & ~Q(**{requester: user})
    if user.role == Role.SENIOR:
        return ~Q(**{requester: user})
    return None


def can_write_off(user: User) -> bool:
    """K3: only a credit controller writes receivables off (and so charges the liabilities)."""
    return _active(user) and (user.is_superuser or user.role == Role.CREDIT)


def can_record_recovery(user: User) -> bool:
    """Money recovered on a written-off receivable, which reduces the liabilities (K3)."""
    return can_write_off(user)


def can_freeze(user: User) -> bool:
    """Freeze or unfreeze a customer's credit (K2)."""
    return _active(user) and (user.is_superuser or user.role in {Role.CREDIT, Role.SENIOR})


def can_close_review(user: User) -> bool:
    """Close a K2 review prompt."""
    return _active(user) and (user.is_superuser or user.role in {Role.CREDIT, Role.SENIOR, Role.ADMIN})


def can_import_limits(user: User) -> bool:
    """Bring in limits approved in the previous system (K1 kept through the import's checks)."""
    return is_credit_staff(user)


def liability_scope(user: User) -> Q | None:
    """K3 liabilities a person sees, as a filter on Liability; None: all. Each their own; a
    supervisor their team's; credit staff all."""
    if is_credit_staff(user):
        return None
    if not _active(user):
        return Q(pk__in=[])
    if user.role == Role.SUPERVISOR:
        return Q(person=user) | Q(person__team__supervisor=user)
    return Q(person=user)


RULES = [
    (gettext_lazy("see the credit queue, audit trail and every write-off"), is_credit_staff),
    (gettext_lazy("set the credit policy"), can_set_policy),
    (gettext_lazy("investigate credit and apply for a limit (own book)"), can_investigate),
    (gettext_lazy("approve limits and exceptions (within authority, never their own)"), may_approve_credit),
    (gettext_lazy("write off a receivable"), can_write_off),
    (gettext_lazy("record a recovery on a write-off"), can_record_recovery),
    (gettext_lazy("freeze or unfreeze credit"), can_freeze),
    (gettext_lazy("close a review prompt"), can_close_review),
    (gettext_lazy("import credit limits"), can_import_limits),
]
