"""Credit control (K1–K4). Every rule lives in one function here; pages, API and commands call them.

- K1 ``application_submit`` / ``application_decide``: a limit only after an investigation and an
  application approved by the applicant's supervisor, or higher by amount; never by the applicant.
  ``limit_import_record``: a limit decided in the previous system, recorded as such and held to the
  same approval rule (``limit_import_problems``).
- Order checks: ``order_confirm_checked`` — the confirm step of every order, serialised per customer.
- Exceptions: ``exception_request`` / ``exception_decide``.
- K2 ``credit_daily_review``: review prompts.
- K3/K4 ``write_off_create`` / ``recovery_record``: who bears a bad debt.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, Team, User
from kehu.accounts.services import notify
from kehu.core.messages import message
from kehu.core.money import ZERO, check_amount, to_money
from kehu.core.unique import save_unique
from kehu.core.uploads import upload_name
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible
from kehu.ledger.models import Order, OrderStatus, PaymentAllocation, PaymentMethod, Receivable
from kehu.ledger.selectors import customer_exposure, customer_overdue_items, customers_exposure
from kehu.ledger.services import order_mark_confirmed, order_mark_held

from . import permissions, scorecard
from .models import (
    ApplicationStatus,
    AuditEntry,
    CheckResult,
    CreditAccount,
    CreditCheck,
    CreditException,
    CreditLimit,
    CreditPolicy,
    Investigation,
    InvestigationAttachment,
    InvestigationSource,
    Liability,
    LiabilityRole,
    LimitApplication,
    Recovery,
    ReviewReason,
    ReviewTask,
    UtilisationSnapshot,
    WriteOff,
    reason_message,
)
from .permissions import can_approve
from .selectors import limits_in_force, policies_in_force, position_for_check

MAX_LIMIT = Decimal("1000000000.00")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


# ── audit ──────────────────────────────────────────────────────────────────────────────────

def _jsonable(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    data = model_to_dict(obj)
    out = {}
    for key, value in data.items():
        if isinstance(value, bytes | memoryview):
            continue
        out[key] = value if isinstance(value, int | float | bool | str | type(None) | list | dict) else str(value)
    return out


def audit(*, user: User | None, action: str, obj: Any, before: Any = None, customer: Customer | None = None) -> None:
    AuditEntry.objects.create(
        user=user, action=action, object_type=obj._meta.model_name, object_id=obj.pk,
        customer=customer if customer is not None else getattr(obj, "customer", None),
        before=before if isinstance(before, dict) or before is None else _jsonable(before), after=_jsonable(obj),
    )


# ── policy ─────────────────────────────────────────────────────────────────────────────────

def policy_in_force(*, on: datetime.date | None = None) -> CreditPolicy:
    on = on or timezone.localdate()
    policy = policies_in_force(on=on).first()
    if policy is None:
        policy, _created = CreditPolicy.objects.get_or_create(effective_from=datetime.date(2000, 1, 1))
    return policy


@transaction.atomic
def policy_create(*, user: User, data: dict[str, Any]) -> CreditPolicy:
    """A new version of the policy from a date; versions already in force are never changed."""
    if not permissions.can_set_policy(user):
        raise PermissionDenied(_("Only an administrator sets the credit policy."))
    policy = CreditPolicy(created_by=user, **data)
    if policy.effective_from and policy.effective_from < timezone.localdate():
        raise ValidationError({"effective_from": [_("A policy cannot take effect in the past: past decisions keep theirs.")]})
    if (policy.handler_share_pct or 0) + (policy.approver_share_pct or 0) > 100:
        raise ValidationError({"approver_share_pct": [_("The handler's and the approver's shares add up to more than 100%.")]})
    problems = scorecard.validate_rules(policy.scorecard_rules, policy.scorecard_bands)
    if problems:
        raise ValidationError(problems)
    try:
        policy.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    save_unique(policy, field="effective_from")  # a version for the same day saved a moment ago elsewhere
    audit(user=user, action="policy.create", obj=policy, customer=None)
    return policy


# ── who may do what ────────────────────────────────────────────────────────────────────────

def _require_visible(user: User, customer: Customer) -> None:
    if not customer_visible(user=user).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("No such customer in your book.")]})


# ── K1: investigations and applications ────────────────────────────────────────────────────

INVESTIGATION_FIELDS = [
    "investigated_on", "registered_capital", "years_in_business", "ownership", "staff_size", "revenue_band",
    "main_suppliers", "banks", "payment_record_us", "payment_record_others", "legal_disputes", "impression", "notes",
]


@transaction.atomic
def investigation_create(*, user: User, customer: Customer, data: dict[str, Any],
                         attachments: list[tuple[str, str, bytes]] | None = None) -> Investigation:
    _require_visible(user, customer)
    if not permissions.can_investigate(user):
        raise PermissionDenied(_("Your role does not investigate credit."))
    unknown = set(data) - set(INVESTIGATION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    investigation = Investigation(customer=customer, investigated_by=user, **data)
    if investigation.investigated_on is None:
        investigation.investigated_on = timezone.localdate()
    if investigation.investigated_on > timezone.localdate():
        raise ValidationError({"investigated_on": [_("An investigation cannot be dated in the future.")]})
    policy = policy_in_force()
    answers = {f: getattr(investigation, f) for f in INVESTIGATION_FIELDS}
    investigation.score, investigation.risk_class, investigation.score_detail = scorecard.score(
        answers, rules=policy.scorecard_rules, bands=policy.scorecard_bands)
    try:
        investigation.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    # Every file is judged before anything is saved: one refused file keeps the whole submission back.
    attachments = [(upload_name(name), content_type, content) for name, content_type, content in attachments or []]
    for name, _type, content in attachments:
        if not content:
            raise ValidationError({"attachments": [_("“%(name)s” is empty.") % {"name": name}]})
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError({"attachments": [_("“%(name)s” is larger than 10 MB.") % {"name": name}]})
    investigation.save()
    for name, content_type, content in attachments:
        InvestigationAttachment.objects.create(investigation=investigation, name=name,
                                               content_type=content_type[:100], size=len(content), data=content)
    audit(user=user, action="investigation.create", obj=investigation)
    return investigation


def investigation_current(*, customer: Customer) -> Investigation | None:
    return Investigation.objects.filter(customer=customer).order_by("-investigated_on", "-id").first()


@transaction.atomic
def application_submit(*, user: User, customer: Customer, investigation: Investigation,
                       requested_limit: Any, requested_terms_days: Any, reason: str) -> LimitApplication:
    _require_visible(user, customer)
    errors: dict[str, list[str]] = {}
    try:
        limit = check_amount(to_money(requested_limit), maximum=MAX_LIMIT)
    except ValidationError as exc:
        errors["requested_limit"] = exc.messages
        limit = ZERO
    policy = policy_in_force()
    try:
        terms = int(str(requested_terms_days).strip())
        if not 0 <= terms <= policy.max_terms_days:
            raise ValueError
    except (TypeError, ValueError):
        errors["requested_terms_days"] = [_("Payment terms are whole days from 0 to %(max)d.") % {"max": policy.max_terms_days}]
        terms = 0
    if investigation.customer_id != customer.pk:
        errors["investigation"] = [_("The investigation is of another customer.")]
    else:
        newest = investigation_current(customer=customer)
        age = (timezone.localdate() - investigation.investigated_on).days
        if newest is None or newest.pk != investigation.pk:
            errors["investigation"] = [_("A newer investigation exists; apply on the current one.")]
        elif investigation.is_imported:
            errors["investigation"] = [_("The current investigation was carried over from the previous system and has "
                                         "no scorecard; investigate the customer in Kehu before applying.")]
        elif age > policy.investigation_valid_days:
            errors["investigation"] = [_("The investigation is %(age)d days old; policy allows %(valid)d. Investigate again first.")
                                       % {"age": age, "valid": policy.investigation_valid_days}]
        elif investigation.risk_class == "reject" and limit > 0:
            errors["investigation"] = [_("The investigation's risk class is “do not extend credit”.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the application.")]
    if LimitApplication.objects.filter(customer=customer, status=ApplicationStatus.PENDING).exists():
        errors.setdefault("customer", []).append(_("This customer already has an application waiting for approval."))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            application = LimitApplication.objects.create(
                customer=customer, applicant=user, investigation=investigation, requested_limit=limit,
                requested_terms_days=terms, reason=reason.strip(),
            )
    except IntegrityError:  # another application went in a moment ago
        raise ValidationError({"customer": [_("This customer already has an application waiting for approval.")]}) from None
    audit(user=user, action="application.submit", obj=application)
    approvers = [u for u in User.objects.filter(is_active=True, role__in=permissions.APPROVER_ROLES)
                 if can_approve(u, requester=user, amount=limit)[0]]
    notify(users=approvers, text=message(gettext_lazy(
        "Credit application for %(customer)s: %(amount)s, %(days)d days, waits for your decision."),
        customer=customer.name, amount=f"¥{limit:,.2f}", days=terms),
           link=f"/credit/applications/{application.pk}/")
    return application


@transaction.atomic
def application_decide(*, user: User, application: LimitApplication, approve: bool,
                       amount: Any = None, terms_days: Any = None, comment: str = "") -> LimitApplication:
    application = LimitApplication.objects.select_for_update(of=("self",)).select_related("applicant__team").get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(_("This application was already decided."))
    before = _jsonable(application)
    if approve:
        try:
            approved = application.requested_limit if amount in (None, "") else check_amount(to_money(amount), maximum=MAX_LIMIT)
        except ValidationError as exc:
            raise ValidationError({"amount": exc.messages}) from None
        if approved > application.requested_limit:
            raise ValidationError({"amount": [_("You can approve the requested amount or less, not more.")]})
        try:
            terms = application.requested_terms_days if terms_days in (None, "") else int(str(terms_days).strip())
        except ValueError:
            raise ValidationError({"terms_days": [_("Payment terms are whole days.")]}) from None
        if not isinstance(terms, int) or not 0 <= terms <= application.requested_terms_days:
            raise ValidationError({"terms_days": [_("You can approve the requested terms or shorter, not longer.")]})
        allowed, why = can_approve(user, requester=application.applicant, amount=approved)
        if not allowed:
            raise PermissionDenied(why)
        policy = policy_in_force()
        today = timezone.localdate()
        _check_investigation_still_good(application, policy=policy, today=today, amount=approved)
        application.status = ApplicationStatus.APPROVED
        application.approved_limit, application.approved_terms_days = approved, terms
        _limit_grant(user=user, application=application, approved_by=user, valid_from=today,
                     review_on=today + datetime.timedelta(days=policy.limit_valid_days), action="limit.create")
    else:
        allowed, why = can_approve(user, requester=application.applicant, amount=ZERO)
        if not allowed:
            raise PermissionDenied(why)
        if not comment.strip():
            raise ValidationError({"comment": [_("Say why the application is rejected.")]})
        application.status = ApplicationStatus.REJECTED
    application.decided_by, application.decided_at = user, timezone.now()
    application.decision_comment = comment.strip()
    application.save()
    audit(user=user, action="application.approve" if approve else "application.reject", obj=application, before=before)
    notify(users=[application.applicant], text=message(gettext_lazy("Your credit application for %(customer)s was %(result)s."),
                                                       customer=application.customer.name,
                                                       result=ApplicationStatus(application.status).label),
           link=f"/credit/applications/{application.pk}/")
    return application


ANSWERED_BY_A_NEW_LIMIT = [ReviewReason.EXPIRING, ReviewReason.EXPIRED, ReviewReason.UTILISATION, ReviewReason.SLOWER]


def _limit_grant(*, user: User, application: LimitApplication, approved_by: User, valid_from: datetime.date,
                 review_on: datetime.date, action: str) -> CreditLimit:
    """Put an approved application's limit in force: the one way a CreditLimit is made, whether
    approved in Kehu or carried over. The old limit becomes history, the customer's terms follow,
    the prompts a new limit answers are closed, and the audit trail says who did it."""
    _lock_account(application.customer_id)
    CreditLimit.objects.filter(customer_id=application.customer_id, is_current=True).update(
        is_current=False, superseded_at=timezone.now())
    limit = CreditLimit.objects.create(
        customer_id=application.customer_id, application=application, amount=application.approved_limit,  # type: ignore[misc]  # approved: both set
        terms_days=application.approved_terms_days, approved_by=approved_by, valid_from=valid_from, review_on=review_on,
    )
    Customer.objects.filter(pk=application.customer_id).update(payment_terms_days=application.approved_terms_days)
    # A freeze, and the overdue and freeze prompts, stay with credit control (credit_freeze).
    ReviewTask.objects.filter(customer_id=application.customer_id, done_at__isnull=True,
                              reason__in=ANSWERED_BY_A_NEW_LIMIT).update(done_at=timezone.now(), done_by=user)
    audit(user=user, action=action, obj=limit)
    return limit


# ── K1 for limits decided in the previous system ─────────────────────────────────────────────

def limit_import_problems(*, amount: Decimal, terms_days: int, approver: User, applicant: User,
                          approved_on: datetime.date, valid_until: datetime.date | None, current: CreditLimit | None,
                          pending: bool, policy: CreditPolicy, today: datetime.date) -> dict[str, list[str]]:
    """What stops a limit decided in the previous system from being recorded, per field (empty: nothing).

    The same rule as an approval in Kehu (K1): the approver is an active user with authority for
    the amount over the applicant (``can_approve``: the applicant's supervisor within their
    authority, or a senior manager within theirs, never the applicant), the terms within the
    policy. The limit runs no longer than one approved today would (K2 reviews it in time); it must
    not be expired already, nor older than the customer's current limit; and an application
    waiting in Kehu is decided first."""
    errors: dict[str, list[str]] = {}
    try:
        check_amount(amount, maximum=MAX_LIMIT)
    except ValidationError as exc:
        errors["amount"] = exc.messages
    if not isinstance(terms_days, int) or not 0 <= terms_days <= policy.max_terms_days:
        errors["terms_days"] = [_("Payment terms are whole days from 0 to %(max)d (the credit policy's longest terms).")
                                % {"max": policy.max_terms_days}]
    if not approver.is_active:
        errors["approver"] = [_("%(name)s is not an active user, so cannot be the approver.") % {"name": approver}]
    elif "amount" not in errors:
        allowed, why = can_approve(approver, requester=applicant, amount=amount)
        if not allowed:
            errors["approver"] = [why]
    if approved_on > today:
        errors["approved_on"] = [_("A limit cannot be approved in the future.")]
    elif current is not None and current.valid_from > approved_on:
        errors["approved_on"] = [_("The customer's current limit, from %(day)s, is newer than this one.")
                                 % {"day": current.valid_from}]
    longest = today + datetime.timedelta(days=policy.limit_valid_days)
    review_on = valid_until or approved_on + datetime.timedelta(days=policy.limit_valid_days)
    if valid_until is not None and valid_until > longest:
        errors["valid_until"] = [_("A limit runs at most %(days)d days from today under the credit policy, so until "
                                   "%(day)s at the latest.") % {"days": policy.limit_valid_days, "day": longest}]
    elif review_on < today and "approved_on" not in errors:
        field = "valid_until" if valid_until is not None else "approved_on"
        errors[field] = [_("This limit expired on %(day)s; give the date it is valid until, or review the customer "
                           "in Kehu instead.") % {"day": review_on}]
    if pending:
        errors["customer"] = [_("This customer has a limit application waiting for a decision in Kehu; decide it first.")]
    return errors


@transaction.atomic
def limit_import_record(*, user: User, customer: Customer, amount: Any, terms_days: int, approver: User,
                        applicant: User | None = None, approved_on: datetime.date | None = None,
                        valid_until: datetime.date | None = None, note: str = "") -> CreditLimit:
    """Record a limit decided in the previous system (K1): a carried-over investigation, an
    application approved by ``approver`` on ``approved_on`` for ``applicant`` (the customer's rep
    if None), and the limit, put in force as an approval in Kehu puts it. The audit trail says it
    was imported and by whom. Only credit staff import limits."""
    if not permissions.can_import_limits(user):
        raise PermissionDenied(_("Only credit control, senior managers and administrators import credit limits."))
    _require_visible(user, customer)
    try:
        value = to_money(amount)
    except ValidationError as exc:
        raise ValidationError({"amount": exc.messages}) from None
    applicant = applicant or customer.owner
    today = timezone.localdate()
    approved_on = approved_on or today
    policy = policy_in_force(on=today)
    _lock_account(customer.pk)
    current = CreditLimit.objects.filter(customer=customer, is_current=True).first()
    pending = LimitApplication.objects.filter(customer=customer, status=ApplicationStatus.PENDING).exists()
    errors = limit_import_problems(amount=value, terms_days=terms_days, approver=approver, applicant=applicant,
                                   approved_on=approved_on, valid_until=valid_until, current=current, pending=pending,
                                   policy=policy, today=today)
    if errors:
        raise ValidationError(errors)
    note = (note or "").strip()
    investigation = Investigation.objects.create(
        customer=customer, investigated_by=user, investigated_on=approved_on, source=InvestigationSource.IMPORTED,
        score=None, risk_class="", score_detail={},
        notes=_("Carried over from the previous system, with the limit that %(name)s approved there on %(day)s.")
        % {"name": approver, "day": approved_on} + (f"\n{note}" if note else ""),
    )
    audit(user=user, action="investigation.import", obj=investigation)
    decided_at = timezone.make_aware(datetime.datetime.combine(approved_on, datetime.time(12)))
    application = LimitApplication.objects.create(
        customer=customer, applicant=applicant, investigation=investigation, requested_limit=value,
        requested_terms_days=terms_days, reason=note or _("Limit approved in the previous system."),
        status=ApplicationStatus.APPROVED, decided_by=approver, decided_at=decided_at, approved_limit=value,
        approved_terms_days=terms_days,
        decision_comment=_("Approved in the previous system; imported into Kehu by %(name)s on %(day)s.")
        % {"name": user, "day": today},
    )
    audit(user=user, action="application.import", obj=application)
    review_on = valid_until or approved_on + datetime.timedelta(days=policy.limit_valid_days)
    return _limit_grant(user=user, application=application, approved_by=approver, valid_from=approved_on,
                        review_on=review_on, action="limit.import")


def _check_investigation_still_good(application: LimitApplication, *, policy: CreditPolicy, today: datetime.date,
                                    amount: Decimal) -> None:
    """At decision time, too: the investigation must still be the current one and within validity."""
    newest = investigation_current(customer=application.customer)
    age = (today - application.investigation.investigated_on).days
    if newest is None or newest.pk != application.investigation_id:
        raise ValidationError({"investigation": [_("A newer investigation exists; the applicant must apply on it.")]})
    if age > policy.investigation_valid_days:
        raise ValidationError({"investigation": [_("The investigation is %(age)d days old; policy allows %(valid)d. Investigate again first.")
                                                 % {"age": age, "valid": policy.investigation_valid_days}]})
    if newest.risk_class == "reject" and amount > 0:
        raise ValidationError({"investigation": [_("The investigation's risk class is “do not extend credit”.")]})


def limit_current(*, customer_id: int, on: datetime.date | None = None) -> CreditLimit | None:
    """The approved limit in force: current and not past its review date."""
    on = on or timezone.localdate()
    return limits_in_force(on=on).filter(customer_id=customer_id).first()


# ── order-time check ───────────────────────────────────────────────────────────────────────

def _lock_account(customer_id: int) -> CreditAccount:
    """Lock the customer's credit row: every check of this customer waits here, one at a time.

    Nothing else is read in this statement: on PostgreSQL a statement that waited for a lock
    still sees the data as it was when it started, so figures are read in the next one."""
    locked = CreditAccount.objects.select_for_update().filter(customer_id=customer_id)
    account = locked.first()
    if account is None:
        try:
            with transaction.atomic():
                CreditAccount.objects.create(customer_id=customer_id)
        except IntegrityError:
            pass  # created by a concurrent check a moment ago
        account = locked.get()
    return account


def _reason(code: str, params: dict[str, Any] | None = None, **figures: Any) -> dict[str, Any]:
    """A reason is stored as its code and figures; its sentence is made in the reader's language
    (``CreditCheck.reasons_described``)."""
    return {"code": code, "params": {k: str(v) for k, v in (params or {}).items()},
            **{k: str(v) for k, v in figures.items()}}


def credit_assess(*, account: CreditAccount, order: Order, today: datetime.date) -> dict[str, Any]:
    """Exposure, limit and overdue items for ``order``; the caller holds the account lock."""
    position = position_for_check(customer_id=account.customer_id, today=today)
    grace = position["grace_days"] if position["grace_days"] is not None else policy_in_force(on=today).grace_days
    due_before = today - datetime.timedelta(days=grace)
    exposure = position["exposure"]
    overdue: list[Receivable] = []
    if position["earliest_due"] is not None and position["earliest_due"] < due_before:
        overdue = [r for r in customer_overdue_items(customer_id=account.customer_id, due_before=due_before)
                   if r.outstanding > 0]
    overdue_amount = sum((r.outstanding for r in overdue), ZERO)
    limit = CreditLimit(pk=position["limit_id"], amount=position["limit_amount"]) if position["limit_id"] else None
    reasons = []
    if overdue:
        reasons.append(_reason("overdue", {"n": len(overdue), "grace": grace, "amount": f"¥{overdue_amount:,.2f}"},
                               amount=overdue_amount, overdue_items=", ".join(f"{r.order.number} ({r.due_on})" for r in overdue[:10])))
    on_credit = order.payment_method != PaymentMethod.CASH
    if on_credit and account.frozen:
        reasons.append(_reason("frozen", {"why": account.frozen_reason or "—"}))
    if limit is None:
        if on_credit:
            reasons.append(_reason("no_limit"))
    elif exposure + order.total > limit.amount:
        # A cash order not yet paid is exposure too: over the limit, it is held like any other.
        reasons.append(_reason(
            "over_limit",
            {"exposure": f"¥{exposure:,.2f}", "order": f"¥{order.total:,.2f}",
             "after": f"¥{exposure + order.total:,.2f}", "limit": f"¥{limit.amount:,.2f}",
             "over": f"¥{exposure + order.total - limit.amount:,.2f}"},
            exposure=exposure, order=order.total, limit=limit.amount))
    return {"exposure": exposure, "limit": limit, "overdue_amount": overdue_amount, "reasons": reasons}


def order_confirm_checked(*, user: User, order: Order) -> Order:
    """The confirm step of every order: lock the customer's credit row, check, record, then
    confirm or hold. Two orders of one customer confirmed at once are checked one after the other,
    so together they never exceed the limit. The caller (ledger.order_confirm) has checked that the
    user may confirm the order."""
    with transaction.atomic(savepoint=False):
        account = _lock_account(order.customer_id)
        if order.status not in (OrderStatus.DRAFT, OrderStatus.HELD):
            raise ValidationError(_("This order is %(status)s and cannot be confirmed.") % {"status": order.get_status_display()})
        today = timezone.localdate()
        found = credit_assess(account=account, order=order, today=today)
        exception = None
        if found["reasons"]:
            # An approved exception covers the order up to the amount and the exposure approved.
            exception = CreditException.objects.filter(
                order=order, status=ApplicationStatus.APPROVED, order_amount__gte=order.total,
                exposure_after__gte=found["exposure"] + order.total).order_by("-decided_at").first()
        if found["reasons"] and exception is not None:
            result = CheckResult.RELEASED
        else:
            result = CheckResult.HELD if found["reasons"] else CheckResult.PASSED
        check = CreditCheck.objects.create(
            order=order, customer_id=order.customer_id, checked_by=user, order_amount=order.total,
            exposure_before=found["exposure"], limit_amount=found["limit"].amount if found["limit"] else None,
            credit_limit_id=found["limit"].pk if found["limit"] else None, overdue_amount=found["overdue_amount"], result=result,
            reasons=found["reasons"], exception=exception if result == CheckResult.RELEASED else None,
        )
        # Compare-and-set on the total checked: an order whose lines changed meanwhile is refused.
        if result == CheckResult.HELD:
            order = order_mark_held(order=order, expect_total=order.total)
            transaction.on_commit(lambda: _notify_held(order, check))
        else:
            order = order_mark_confirmed(order=order, expect_total=order.total)
    return order


def _notify_held(order: Order, check: CreditCheck) -> None:
    """The handler, whoever entered the order, the handler's supervisor and the credit team."""
    people = User.objects.filter(
        Q(pk__in=[order.handler_id, order.created_by_id])
        | Q(role=Role.CREDIT)
        | Q(pk=Team.objects.filter(pk=order.handler.team_id).values("supervisor_id")[:1]),  # type: ignore[misc]  # none without a team
        is_active=True,
    )
    text = message(gettext_lazy("Order %(number)s for %(customer)s (%(amount)s) is held: %(why)s"),
                   number=order.number, customer=order.customer.name, amount=f"¥{order.total:,.2f}",
                   why=[reason_message(r) for r in check.reasons])
    notify(users=people, text=text, link=f"/orders/{order.pk}/")


def check_latest(*, order: Order) -> CreditCheck | None:
    return CreditCheck.objects.filter(order=order).order_by("-checked_at", "-id").first()


@transaction.atomic
def exception_request(*, user: User, order: Order, reason: str) -> CreditException:
    order = Order.objects.select_for_update().get(pk=order.pk)
    _require_visible(user, order.customer)
    if order.status != OrderStatus.HELD:
        raise ValidationError(_("Only a held order needs an exception."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why this order should go ahead.")]})
    if CreditException.objects.filter(order=order, status=ApplicationStatus.PENDING).exists():
        raise ValidationError(_("An exception for this order is already waiting for a decision."))
    check = check_latest(order=order)
    exposure_after = (check.exposure_before if check else ZERO) + order.total
    exc = CreditException.objects.create(order=order, requested_by=user, reason=reason.strip(),
                                         order_amount=order.total, exposure_after=exposure_after)
    audit(user=user, action="exception.request", obj=exc, customer=order.customer)
    approvers = [u for u in User.objects.filter(is_active=True, role__in=permissions.APPROVER_ROLES)
                 if can_approve(u, requester=order.handler, amount=exposure_after)[0] and u.pk != user.pk]
    notify(users=approvers, text=message(gettext_lazy("Exception requested for held order %(number)s (%(customer)s)."),
                                         number=order.number, customer=order.customer.name), link=f"/orders/{order.pk}/")
    return exc


def exception_decide(*, user: User, exception: CreditException, approve: bool, comment: str = "") -> CreditException:
    """Decide an exception; approving releases the order in the same transaction, under the
    customer's lock, on the exposure as it is now (not as it was when the exception was asked)."""
    with transaction.atomic():
        exc = CreditException.objects.select_for_update(of=("self",)).select_related("order__handler__team").get(pk=exception.pk)
        if exc.status != ApplicationStatus.PENDING:
            raise ValidationError(_("This exception was already decided."))
        # The approver answers for the whole exposure the order brings, and approves neither their
        # own request nor an order they handled.
        if user.pk == exc.requested_by_id:
            raise PermissionDenied(_("Nobody approves their own request."))
        if approve:
            _lock_account(exc.order.customer_id)
            order = Order.objects.get(pk=exc.order_id)
            if order.status != OrderStatus.HELD:
                raise ValidationError(_("The order is no longer held."))
            exc.exposure_after = max(exc.exposure_after, customer_exposure(customer_id=order.customer_id) + order.total)
            exc.order_amount = order.total
        allowed, why = can_approve(user, requester=exc.order.handler, amount=exc.exposure_after if approve else ZERO)
        if not allowed:
            raise PermissionDenied(why)
        if not approve and not comment.strip():
            raise ValidationError({"comment": [_("Say why the exception is rejected.")]})
        before = _jsonable(exc)
        exc.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        exc.decided_by, exc.decided_at, exc.decision_comment = user, timezone.now(), comment.strip()
        exc.save()
        audit(user=user, action="exception.approve" if approve else "exception.reject", obj=exc, before=before,
              customer=exc.order.customer)
        if approve:
            order_confirm_checked(user=user, order=order)
    notify(users=[exc.requested_by, exc.order.handler],
           text=message(gettext_lazy("Exception for order %(number)s: %(result)s."), number=exc.order.number,
                        result=ApplicationStatus(exc.status).label),
           link=f"/orders/{exc.order_id}/")
    return exc


# ── K3/K4: write-offs and liability ───────────────────────────────────────────────────────

def _cover_of(order: Order) -> tuple[User | None, str]:
    """Who approved the credit the order went out on: the exception's approver, or the approver
    of the limit in force at its check. None when the order went through without cover."""
    check = CreditCheck.objects.filter(order=order, result__in=[CheckResult.PASSED, CheckResult.RELEASED]).order_by(
        "-checked_at", "-id").select_related("exception__decided_by", "credit_limit__approved_by").first()
    if check is None:
        return None, _("no credit check on record")
    if check.result == CheckResult.RELEASED and check.exception:
        return check.exception.decided_by, _("exception approved by %(who)s") % {"who": check.exception.decided_by}
    if check.credit_limit and check.exposure_after <= check.credit_limit.amount:
        return check.credit_limit.approved_by, _("within the limit approved by %(who)s") % {"who": check.credit_limit.approved_by}
    return None, _("confirmed without an approved limit covering it")


def _split(amount: Decimal, pct: Decimal) -> Decimal:
    return (amount * pct / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def write_off_create(*, user: User, receivable: Receivable, amount: Any, kind: str, reason: str,
                     day: datetime.date | None = None) -> WriteOff:
    """K3: write off (part of) a receivable and charge it to those responsible."""
    if not permissions.can_write_off(user):
        raise PermissionDenied(_("Only a credit controller writes off receivables."))
    receivable = Receivable.objects.select_for_update(of=("self",)).select_related("order__handler").get(pk=receivable.pk)
    try:
        value = check_amount(to_money(amount), allow_zero=False)
    except ValidationError as exc:
        raise ValidationError({"amount": exc.messages}) from None
    if value > receivable.outstanding:
        raise ValidationError({"amount": [_("%(amount)s is more than the %(left)s still owed on this receivable.")
                                          % {"amount": f"¥{value:,.2f}", "left": f"¥{receivable.outstanding:,.2f}"}]})
    if kind not in {"doubtful", "dead"}:
        raise ValidationError({"kind": [_("Choose doubtful or dead.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for the write-off.")]})
    day = day or timezone.localdate()
    policy = policy_in_force(on=day)
    approver, note = _cover_of(receivable.order)
    write_off = WriteOff.objects.create(
        receivable=receivable, customer_id=receivable.customer_id, kind=kind, amount=value, written_off_on=day,
        reason=reason.strip(), by=user, policy=policy, covered=approver is not None, cover_note=note[:200],
    )
    Receivable.objects.filter(pk=receivable.pk).update(written_off=F("written_off") + value)
    receivable.refresh_from_db()
    if receivable.outstanding == 0:
        Receivable.objects.filter(pk=receivable.pk).update(settled_on=day)
    handler = receivable.order.handler
    if approver is None:
        Liability.objects.create(write_off=write_off, person=handler, role=LiabilityRole.HANDLER,
                                 share_pct=Decimal("100"), amount=value)
    else:
        Liability.objects.create(write_off=write_off, person=handler, role=LiabilityRole.HANDLER,
                                 share_pct=policy.handler_share_pct, amount=_split(value, policy.handler_share_pct))
        Liability.objects.create(write_off=write_off, person=approver, role=LiabilityRole.APPROVER,
                                 share_pct=policy.approver_share_pct, amount=_split(value, policy.approver_share_pct))
    audit(user=user, action="writeoff.create", obj=write_off)
    return write_off


@transaction.atomic
def recovery_record(*, user: User, write_off: WriteOff, amount: Any, day: datetime.date | None = None,
                    note: str = "") -> Recovery:
    """Money recovered on a written-off debt reduces every liability in proportion."""
    if not permissions.can_record_recovery(user):
        raise PermissionDenied(_("Only a credit controller records recoveries."))
    write_off = WriteOff.objects.select_for_update().get(pk=write_off.pk)
    try:
        value = check_amount(to_money(amount), allow_zero=False)
    except ValidationError as exc:
        raise ValidationError({"amount": exc.messages}) from None
    if day and day > timezone.localdate():
        raise ValidationError({"day": [_("A recovery cannot be received in the future.")]})
    if value > write_off.amount - write_off.recovered:
        raise ValidationError({"amount": [_("More than the %(left)s still unrecovered.")
                                          % {"left": f"¥{write_off.amount - write_off.recovered:,.2f}"}]})
    before = _jsonable(write_off)
    recovery = Recovery.objects.create(write_off=write_off, amount=value, received_on=day or timezone.localdate(),
                                       by=user, note=note[:200])
    recovered = write_off.recovered + value
    WriteOff.objects.filter(pk=write_off.pk).update(recovered=recovered)
    for liability in Liability.objects.select_for_update().filter(write_off=write_off):
        # Recompute from the total recovered, so rounding never drifts over several recoveries.
        reduced = (liability.amount * recovered / write_off.amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        Liability.objects.filter(pk=liability.pk).update(reduced_by_recovery=min(reduced, liability.amount))
    write_off.refresh_from_db()
    audit(user=user, action="writeoff.recovery", obj=write_off, before=before)
    return recovery


# ── K2: the daily review ───────────────────────────────────────────────────────────────────

def _late_days(rows) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for customer_id, paid, due in rows:
        out.setdefault(customer_id, []).append(max(0, (paid - due).days))
    return out


def credit_daily_review(*, today: datetime.date) -> dict[str, int]:
    """K2: raise review tasks. Idempotent: an open task per customer and reason is never doubled.

    Works in bulk (a handful of grouped queries, not a few per customer), so it runs in minutes
    at 100,000 customers."""
    policy = policy_in_force(on=today)
    wanted: list[tuple[int, str, str]] = []
    limits = list(CreditLimit.objects.filter(is_current=True).values_list("customer_id", "amount", "review_on"))
    limit_of = {cid: amount for cid, amount, _review in limits}
    for cid, _amount, review_on in limits:
        if review_on < today:
            wanted.append((cid, ReviewReason.EXPIRED, _("The limit expired on %(day)s.") % {"day": review_on}))
        elif (review_on - today).days <= policy.review_expiry_days:
            wanted.append((cid, ReviewReason.EXPIRING, _("The limit expires on %(day)s.") % {"day": review_on}))

    # Utilisation: today's exposure of every limited customer, kept as a daily snapshot.
    exposure = customers_exposure(customer_ids=limit_of)
    UtilisationSnapshot.objects.bulk_create(
        [UtilisationSnapshot(customer_id=cid, day=today, exposure=exposure[cid], limit_amount=limit_of[cid]) for cid in limit_of],
        batch_size=2000, update_conflicts=True, unique_fields=["customer", "day"], update_fields=["exposure", "limit_amount"])
    threshold = Decimal(policy.review_utilisation_pct) / 100
    window = today - datetime.timedelta(days=policy.review_utilisation_days - 1)
    high_today = [cid for cid in limit_of if limit_of[cid] > 0 and exposure[cid] >= limit_of[cid] * threshold]
    stays_high = (UtilisationSnapshot.objects.filter(customer_id__in=high_today, day__gte=window, day__lte=today)
                  .values("customer_id")
                  .annotate(days=Count("id"), low=Count("id", filter=Q(exposure__lt=F("limit_amount") * threshold)))
                  .filter(days__gte=policy.review_utilisation_days, low=0).values_list("customer_id", flat=True))
    for cid in stays_high:
        wanted.append((cid, ReviewReason.UTILISATION, _("Exposure has stayed above %(pct)d%% of the limit for %(days)d days.")
                       % {"pct": policy.review_utilisation_pct, "days": policy.review_utilisation_days}))

    # Payments slowing down: average days late, last 90 days against the 90 before.
    paid_rows = (PaymentAllocation.objects.filter(receivable__customer_id__in=limit_of,
                                                  payment__received_on__gte=today - datetime.timedelta(days=180),
                                                  payment__received_on__lte=today)
                 .values_list("receivable__customer_id", "payment__received_on", "receivable__due_on"))
    recent_start = today - datetime.timedelta(days=90)
    recent = _late_days((c, p, d) for c, p, d in paid_rows if p >= recent_start)
    earlier = _late_days((c, p, d) for c, p, d in paid_rows if p < recent_start)
    for cid, lates in recent.items():
        if cid in earlier:
            now, before = sum(lates) / len(lates), sum(earlier[cid]) / len(earlier[cid])
            if now - before >= policy.review_lateness_rise_days:
                wanted.append((cid, ReviewReason.SLOWER, _("Average days late rose from %(before).0f to %(now).0f.")
                               % {"before": before, "now": now}))

    # Overdue receivables: the oldest open item of each customer past the threshold.
    cutoff = today - datetime.timedelta(days=policy.review_overdue_days)
    seen: set[int] = set()
    for cid, number, due_on, amount, paid, off in (
            Receivable.objects.filter(settled_on__isnull=True, due_on__lt=cutoff)
            .order_by("customer_id", "due_on", "id")
            .values_list("customer_id", "order__number", "due_on", "amount", "paid", "written_off").iterator(chunk_size=5000)):
        if cid in seen:
            continue
        seen.add(cid)
        days = (today - due_on).days
        wanted.append((cid, ReviewReason.OVERDUE, _("%(number)s is %(days)d days overdue, %(amount)s outstanding.")
                       % {"number": number, "days": days, "amount": f"¥{amount - paid - off:,.2f}"}))
        if days >= policy.freeze_overdue_days:
            wanted.append((cid, ReviewReason.FREEZE, _("%(number)s is %(days)d days overdue: cut or freeze the limit.")
                           % {"number": number, "days": days}))

    open_now = set(ReviewTask.objects.filter(done_at__isnull=True).values_list("customer_id", "reason"))
    new = [ReviewTask(customer_id=cid, reason=reason, detail=str(detail)[:300], raised_on=today)
           for cid, reason, detail in wanted if (cid, reason) not in open_now]
    # ignore_conflicts: a task raised by a concurrent run a moment ago is not doubled either.
    ReviewTask.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    raised = dict.fromkeys(ReviewReason.values, 0)
    for task in new:
        raised[task.reason] += 1
    return raised


@transaction.atomic
def credit_freeze(*, user: User, customer: Customer, reason: str, frozen: bool = True) -> CreditAccount:
    if not permissions.can_freeze(user):
        raise PermissionDenied(_("Only credit control or a senior manager freezes credit."))
    if frozen and not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for the freeze.")]})
    account = _lock_account(customer.pk)
    before = _jsonable(account)
    account.frozen, account.frozen_reason = frozen, (reason or "").strip()[:200] if frozen else ""
    account.save()
    audit(user=user, action="account.freeze" if frozen else "account.unfreeze", obj=account, before=before, customer=customer)
    return account


@transaction.atomic
def review_task_done(*, user: User, task: ReviewTask) -> ReviewTask:
    if not permissions.can_close_review(user):
        raise PermissionDenied(_("Only credit control closes review tasks."))
    before = _jsonable(task)
    if ReviewTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=timezone.now(), done_by=user):
        task.refresh_from_db()
        audit(user=user, action="review.done", obj=task, before=before)
    return task

