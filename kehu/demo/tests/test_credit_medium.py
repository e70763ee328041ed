"""The demo company's credit at a size where the rarer cases show up: approvals within authority,
limit history, frozen accounts and pending raises."""


import pytest
from django.db.models import F

from kehu.accounts.models import Role
from kehu.credit.models import (
    ApplicationStatus,
    CreditAccount,
    CreditLimit,
    CreditPolicy,
    Investigation,
    LimitApplication,
)
from kehu.credit.permissions import can_approve
from kehu.credit.selectors import applications_to_decide
from kehu.customers.models import Customer, Lifecycle
from kehu.demo.builder import DemoOptions, build_demo
from kehu.testing import shared_rows

from .test_credit import current_limits
from .test_demo import TODAY

pytestmark = pytest.mark.django_db

# Big enough that the rarer cases (history, frozen accounts, pending raises) show up.
MEDIUM = DemoOptions(seed=11, customers=800, order_lines=8000, today=TODAY)


@pytest.fixture(scope="module")
def medium_rows(django_db_setup, django_db_blocker):
    """Built once for this module's tests, which only read it."""
    with shared_rows(django_db_blocker, lambda: build_demo(MEDIUM)) as build:
        yield build


@pytest.fixture
def medium(medium_rows, db):
    return medium_rows


def test_nobody_approves_their_own_application_and_approvers_are_within_authority(medium):
    applications = list(LimitApplication.objects.filter(status=ApplicationStatus.APPROVED)
                        .select_related("applicant__team__supervisor", "decided_by"))
    assert applications
    assert not LimitApplication.objects.filter(decided_by=F("applicant")).exists()
    by_supervisor = by_senior = 0
    for application in applications:
        applicant, approver = application.applicant, application.decided_by
        assert approver.pk != applicant.pk
        assert applicant.pk == application.customer.owner_id
        allowed, why = can_approve(approver, requester=applicant, amount=application.approved_limit)
        assert allowed, why
        supervisor = applicant.team.supervisor
        if applicant.role == Role.REP and application.approved_limit <= supervisor.approval_limit:
            assert approver == supervisor
            by_supervisor += 1
        else:
            assert approver.role == Role.SENIOR
            by_senior += 1
    assert by_supervisor and by_senior


def test_history_frozen_accounts_and_pending_raises(medium):
    limits = current_limits()
    on_credit = set(Customer.objects.exclude(lifecycle=Lifecycle.PROSPECT).filter(payment_terms_days__gt=0)
                    .values_list("pk", flat=True))
    assert set(limits) == on_credit
    # Limits run on a yearly cycle: none expired yet, some within the days the daily review warns about.
    policy = CreditPolicy.objects.get()
    days_left = [(limit.review_on - TODAY).days for limit in limits.values()]
    assert min(days_left) >= 0
    assert 0.02 < sum(d <= policy.review_expiry_days for d in days_left) / len(days_left) < 0.2
    # History: an older limit, superseded when the current one was approved, on its own application.
    old = list(CreditLimit.objects.filter(is_current=False))
    assert 0.01 < len(old) / len(on_credit) < 0.07
    for limit in old:
        current = limits[limit.customer_id]
        assert limit.valid_from < current.valid_from <= limit.review_on
        assert limit.superseded_at is not None and limit.superseded_at.date() == current.valid_from
        assert limit.application_id != current.application_id
        assert limit.application.investigation.investigated_on < current.application.investigation.investigated_on
    # About 1% of the accounts frozen, each with its reason.
    frozen = list(CreditAccount.objects.filter(frozen=True))
    assert frozen and len(frozen) / len(on_credit) < 0.04
    assert all(account.frozen_reason for account in frozen)
    # Pending raises: in the owner's supervisor's inbox, on the customer's current investigation.
    pending = list(LimitApplication.objects.filter(status=ApplicationStatus.PENDING)
                   .select_related("applicant__team__supervisor", "investigation"))
    assert pending and len(pending) / len(on_credit) < 0.04
    assert len({a.customer_id for a in pending}) == len(pending)
    for application in pending:
        assert application.decided_by_id is None and application.approved_limit is None
        assert application.applicant.role == Role.REP and application.applicant.pk == application.customer.owner_id
        newest = Investigation.objects.filter(customer_id=application.customer_id).order_by("-investigated_on", "-id").first()
        assert application.investigation == newest
        assert 0 <= (TODAY - newest.investigated_on).days <= policy.investigation_valid_days
        assert newest.risk_class != "reject"
        assert application.requested_limit > limits[application.customer_id].amount
        supervisor = application.applicant.team.supervisor
        assert can_approve(supervisor, requester=application.applicant, amount=application.requested_limit)[0]
        assert application in applications_to_decide(user=supervisor)
        assert not CreditAccount.objects.get(customer_id=application.customer_id).frozen
