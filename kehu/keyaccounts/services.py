"""The key-account workflow (C3): candidates by regional share or by management's mark, a senior
manager's confirmation, and the account plan. Customer fields change through customers' services."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, User
from kehu.accounts.services import notify
from kehu.core.messages import message
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible
from kehu.customers.services import customer_key_account_set

from .models import (
    AccountPlan,
    CandidateReason,
    CandidateStatus,
    KeyAccountCandidate,
    KeyAccountPolicy,
)
from .selectors import region_shares

PLAN_FIELDS = ("goals", "needs_match", "our_share_pct", "risks", "next_steps", "senior_visit_every_days")
POLICY_FIELDS = ("share_threshold_pct", "window_months", "senior_visit_every_days")


def policy_current() -> KeyAccountPolicy:
    return KeyAccountPolicy.objects.order_by("-created_at", "-id").first() or KeyAccountPolicy()


def is_management(user: User) -> bool:
    """Who marks candidates: the key-account department, senior managers, administrators."""
    return user.is_active and (user.is_superuser or user.role in {Role.KEY_ACCOUNT, Role.SENIOR, Role.ADMIN})


def can_decide(user: User) -> bool:
    return user.is_active and user.role == Role.SENIOR


def can_edit_policy(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)


@transaction.atomic
def policy_update(*, user: User, data: dict[str, Any]) -> KeyAccountPolicy:
    if not can_edit_policy(user):
        raise PermissionDenied(_("Only an administrator changes the key-account policy."))
    current = policy_current()
    policy = KeyAccountPolicy(**{f: data.get(f, getattr(current, f)) for f in POLICY_FIELDS}, created_by=user)
    try:
        policy.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    policy.save()
    return policy


def candidates_refresh(*, today: datetime.date) -> int:
    """Propose every customer whose share of its region's sales passes the policy's threshold and
    that is neither a key account nor already proposed or declined (the daily job; idempotent)."""
    policy = policy_current()
    shares = region_shares(today=today, window_months=policy.window_months)
    threshold = Decimal(policy.share_threshold_pct)
    over = {pk: share for pk, share in shares.items() if share >= threshold}
    if not over:
        return 0
    taken = set(Customer.objects.filter(pk__in=list(over), is_key_account=True).values_list("pk", flat=True))
    taken |= set(KeyAccountCandidate.objects.filter(customer_id__in=list(over))
                 .exclude(status=CandidateStatus.CONFIRMED).values_list("customer_id", flat=True))
    new = [KeyAccountCandidate(customer_id=pk, reason=CandidateReason.SHARE, region_share_pct=round(share, 2))
           for pk, share in sorted(over.items()) if pk not in taken]
    KeyAccountCandidate.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        seniors = User.objects.filter(role=Role.SENIOR, is_active=True)
        notify(users=seniors, text=message(gettext_lazy("%(n)d new key-account candidates wait for a decision."), n=len(new)),
               link=reverse("keyaccounts:list"))
    return len(new)


@transaction.atomic
def candidate_mark(*, user: User, customer: Customer, note: str = "") -> KeyAccountCandidate:
    """Management proposes a customer as a key account."""
    if not is_management(user):
        raise PermissionDenied(_("Only management marks key-account candidates."))
    if not customer_visible(user=user).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("No such customer in your book.")]})
    if customer.is_key_account:
        raise ValidationError(_("This customer is a key account already."))
    shares = region_shares(today=timezone.localdate(), window_months=policy_current().window_months,
                           customer_ids=[customer.pk])
    try:
        with transaction.atomic():
            return KeyAccountCandidate.objects.create(
                customer=customer, reason=CandidateReason.MARKED, note=(note or "").strip()[:300], marked_by=user,
                region_share_pct=round(shares[customer.pk], 2) if customer.pk in shares else None,
            )
    except IntegrityError:
        raise ValidationError(_("This customer is already waiting for a decision.")) from None


def _user(value: Any, role: str) -> User | None:
    if isinstance(value, User):
        return value
    try:
        return User.objects.filter(pk=int(value), role=role, is_active=True).first() if value else None
    except (TypeError, ValueError):
        return None


@transaction.atomic
def candidate_decide(*, user: User, candidate: KeyAccountCandidate, confirm: bool, manager: Any = None,
                     sponsor: Any = None, note: str = "") -> KeyAccountCandidate:
    """A senior manager confirms (naming the key-account manager and a senior sponsor) or declines.
    Nobody decides a candidate they marked themselves."""
    candidate = KeyAccountCandidate.objects.select_for_update().select_related("customer").get(pk=candidate.pk)
    if not can_decide(user):
        raise PermissionDenied(_("Only a senior manager confirms or declines a key account."))
    if candidate.marked_by_id == user.pk:
        raise PermissionDenied(_("Nobody approves their own request."))
    if candidate.status != CandidateStatus.PENDING:
        raise ValidationError(_("This candidate has been decided already."))
    if confirm:
        customer_key_account_set(customer=candidate.customer, is_key_account=True,
                                 manager=_user(manager, Role.KEY_ACCOUNT), sponsor=_user(sponsor, Role.SENIOR))
        AccountPlan.objects.get_or_create(customer=candidate.customer)
    candidate.status = CandidateStatus.CONFIRMED if confirm else CandidateStatus.DECLINED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.decision_note = (note or "").strip()[:300]
    candidate.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return candidate


def can_edit_plan(user: User, customer: Customer) -> bool:
    if not user.is_active or not customer.is_key_account:
        return False
    if user.is_superuser or user.role in {Role.SENIOR, Role.ADMIN}:
        return True
    return user.pk in {customer.key_account_manager_id, customer.key_account_sponsor_id}


@transaction.atomic
def plan_save(*, user: User, customer: Customer, data: dict[str, Any]) -> AccountPlan:
    if not can_edit_plan(user, customer):
        raise PermissionDenied(_("Only the account's key-account manager, its sponsor or a senior manager edits the plan."))
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    plan, _created = AccountPlan.objects.select_for_update().get_or_create(customer=customer)
    for f in PLAN_FIELDS:
        if f in data:
            value = data[f]
            if f in ("our_share_pct", "senior_visit_every_days"):
                value = None if value in ("", None) else value
            setattr(plan, f, value.strip() if isinstance(value, str) else value)
    try:
        plan.full_clean(exclude=["customer", "updated_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    plan.updated_by = user
    plan.save()
    return plan
