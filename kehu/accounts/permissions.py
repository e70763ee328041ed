"""Who may see and change what. Row-level rules live here and nowhere else.

DESIGN.md: a rep sees their own customers; a supervisor their team's; senior managers, credit
and admin all. A key-account manager sees the key accounts and any customer they own.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy

from .models import Role, User


def customer_scope(user: User) -> Q | None:
    """A filter on Customer for what ``user`` may see; None means everything."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all:
        return None
    if user.role == Role.SUPERVISOR:
        return Q(owner=user) | Q(owner__team__supervisor=user)
    if user.role == Role.KEY_ACCOUNT:
        return Q(owner=user) | Q(is_key_account=True)
    return Q(owner=user)


def can_edit_customers_of_others(user: User) -> bool:
    return user.is_superuser or user.role in {Role.ADMIN, Role.SENIOR, Role.SUPERVISOR, Role.KEY_ACCOUNT}


def can_edit_customer(user: User, customer) -> bool:
    """Credit controllers see every card but change only credit matters (in the credit app)."""
    if not user.is_active:
        return False
    if user.is_superuser or user.role in {Role.ADMIN, Role.SENIOR}:
        return True
    if user.role == Role.CREDIT:
        return False
    if customer.owner_id == user.pk:
        return True
    if user.role == Role.SUPERVISOR:
        return bool(customer.owner.team_id and customer.owner.team.supervisor_id == user.pk)
    if user.role == Role.KEY_ACCOUNT:
        return customer.is_key_account
    return False


OWNER_ROLES = frozenset({Role.REP, Role.SUPERVISOR, Role.KEY_ACCOUNT})  # the roles that keep a book


def can_give_customers(user: User) -> bool:
    """Whether the role keeps a book or hands customers out (``assignable_owners`` says to whom)."""
    return user.is_active and (user.is_superuser or user.role in OWNER_ROLES | {Role.ADMIN, Role.SENIOR})


def assignable_owners(user: User):
    """The reps ``user`` may give a customer to."""
    if not can_give_customers(user):
        return User.objects.none()
    qs = User.objects.filter(is_active=True, role__in=OWNER_ROLES)
    if user.is_superuser or user.role in {Role.ADMIN, Role.SENIOR}:
        return qs
    if user.role == Role.SUPERVISOR:
        return qs.filter(Q(pk=user.pk) | Q(team__supervisor=user))
    return qs.filter(pk=user.pk)


def can_oversee(user: User, person: User) -> bool:
    """Whether ``user`` decides on ``person``'s work (plans, visit logs, handovers): their
    supervisor, a senior manager or an administrator — never ``person`` themselves."""
    if not user.is_active or user.pk == person.pk:
        return False
    if user.is_superuser or user.role in {Role.SENIOR, Role.ADMIN}:
        return True
    return bool(user.role == Role.SUPERVISOR and person.team_id
                and person.team.supervisor_id == user.pk)  # type: ignore[union-attr]  # team_id is set


def can_enter_orders(user: User) -> bool:
    return user.is_active and user.role in {Role.REP, Role.SUPERVISOR, Role.KEY_ACCOUNT, Role.SENIOR, Role.ADMIN} or user.is_superuser


def can_import_order_history(user: User) -> bool:
    """Orders past draft come in only as history from the ERP, brought by the back office (credit
    control, admin): everyone else's imported orders arrive as drafts and pass the credit check
    when they are confirmed (DESIGN.md, K1/K4)."""
    return user.is_active and (user.is_superuser or user.role in {Role.CREDIT, Role.ADMIN})


def can_record_payments(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in {Role.CREDIT, Role.ADMIN})


def can_manage_products(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)


def can_manage_organisation(user: User) -> bool:
    """Users, teams, regions and industries are the administrators' (DESIGN.md: admin)."""
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)


def sees_every_customer(user: User) -> bool:
    """Senior managers, credit control and administrators see every customer (DESIGN.md)."""
    return bool(user.is_authenticated and user.is_active and user.sees_all)


RULES = [
    (gettext_lazy("see every customer (else: own book; supervisors their team's)"), sees_every_customer),
    (gettext_lazy("change other reps' customers"), can_edit_customers_of_others),
    (gettext_lazy("enter and confirm orders"), can_enter_orders),
    (gettext_lazy("bring order history past draft in from the ERP"), can_import_order_history),
    (gettext_lazy("record payments"), can_record_payments),
    (gettext_lazy("change the product catalogue"), can_manage_products),
    (gettext_lazy("manage users, teams, regions and industries"), can_manage_organisation),
]
