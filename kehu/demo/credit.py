"""Credit for the demo company (K1–K2), so its first orders are checked as in a working company.

Every customer who buys on credit (payment terms > 0) has what the handbook asks for before
credit is granted: a credit investigation (客户信用状况调查表) scored with the company's
scorecard, a credit-limit application (客户授信额度申请表) by the customer's rep, approved by the
rep's supervisor when the amount is within their authority and by the senior manager otherwise
(never by the applicant), the current limit that approval made, and the customer's credit
account. Cash customers get none of it. A few customers also have a superseded older limit, a
frozen account, or a raise waiting in their supervisor's inbox.

Limits are sized from the customer's own sales, the way a credit controller would: the exposure
the terms carry — 1.5–2.5 months of average monthly sales for 30-day terms, in proportion for
longer ones — plus room for three typical orders (those between confirmation and invoice, and the
next), cut by a tenth for a medium and a quarter for a high risk class, rounded to ¥10,000, at
least ¥20,000, and never above what the senior manager may approve. Months of sales alone would
leave a third of the customers who pay on time over their limit already (a small customer's
orders are lumpy: one order can be two months of its sales), which is not how a real company
looks; sized like this, about nine in ten of them can place a typical order today.

Investigations are scored with ``kehu.credit.scorecard.score`` and the rules of the credit policy
in force on the build's ``today`` — the defaults, on a new database.

The rows are made in memory and loaded with the builder's TableWriter; nothing here calls the
credit services (they audit and notify per row). The random draws come from the build's own
``credit`` generator, so adding credit changes nothing else the same seed builds.
"""

import datetime
import json
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kehu.accounts.models import Role, User
from kehu.credit import scorecard
from kehu.credit.models import (
    ApplicationStatus,
    CreditAccount,
    CreditLimit,
    CreditPolicy,
    Investigation,
    LimitApplication,
)
from kehu.customers.models import Lifecycle

from . import data
from .bulk import TableWriter, next_id

if TYPE_CHECKING:
    from .builder import _Account, _Builder

CREDIT_MODELS = (Investigation, LimitApplication, CreditLimit, CreditAccount)
POLICY_START = datetime.date(2000, 1, 1)
MINIMUM_LIMIT = 20_000  # CNY
ROUND_TO = 10_000
RISK_FACTOR = {"low": 1.0, "medium": 0.9, "high": 0.75}
ORDERS_IN_FLIGHT = 3  # room for the orders between confirmation and invoice, and the next one
HISTORY_SHARE = 0.036  # customers whose current limit superseded an older one
# About 1% of the accounts frozen, all of customers already paying late or badly: a freeze follows
# payment trouble (or news about a customer who is late anyway), so customers in good standing —
# those a new user, or the benchmark, would try an order on — are never frozen.
FROZEN_SHARE = {"bad": 0.10, "slow": 0.015, "good": 0.0}
PENDING_SHARE = 0.03  # of the customers who could ask for a raise: about 1% of all
DAYS_PER_MONTH = 30.44


def ensure_policy() -> CreditPolicy:
    """The company's credit policy: the defaults from 2000-01-01 when there is none yet."""
    if not CreditPolicy.objects.exists():
        CreditPolicy.objects.create(effective_from=POLICY_START)
    return CreditPolicy.objects.order_by("effective_from").first()  # type: ignore[return-value]


def policy_on(day: datetime.date) -> CreditPolicy:
    policy = CreditPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    return policy or ensure_policy()


def round_limit(yuan: float) -> int:
    """To the nearest ¥10,000, at least ¥20,000."""
    return max(MINIMUM_LIMIT, int(math.floor(yuan / ROUND_TO + 0.5)) * ROUND_TO)


def _money(yuan: int) -> str:
    return f"{yuan}.00"


class _Pick:
    def __init__(self, pairs) -> None:
        pairs = list(pairs)
        self.items = [p for p, _ in pairs]
        self.weights = [w for _, w in pairs]

    def __call__(self, rng: random.Random):
        return rng.choices(self.items, self.weights)[0]


@dataclass
class _Person:
    pk: int
    role: str
    team_supervisor_id: int | None
    authority: int  # whole CNY


class _Approvers:
    """Who approves how much for whom (K1), as kehu.credit.permissions.can_approve decides."""

    def __init__(self, senior: User) -> None:
        people = {}
        for user in User.objects.select_related("team").filter(is_active=True):
            people[user.pk] = _Person(
                user.pk, user.role, user.team.supervisor_id if user.team else None, int(user.approval_limit)
            )
        self.people = people
        self.senior = people.get(senior.pk) or _Person(senior.pk, senior.role, None, int(senior.approval_limit))
        self.top = self.senior.authority // ROUND_TO * ROUND_TO

    def supervisor_of(self, applicant_id: int) -> _Person | None:
        applicant = self.people.get(applicant_id)
        if applicant is None or applicant.role not in {Role.REP, Role.KEY_ACCOUNT}:
            return None  # a supervisor's own customers go to the senior manager
        supervisor = self.people.get(applicant.team_supervisor_id or 0)
        if supervisor is None or supervisor.role != Role.SUPERVISOR or supervisor.pk == applicant_id:
            return None
        return supervisor

    def approver(self, applicant_id: int, amount: int) -> int:
        supervisor = self.supervisor_of(applicant_id)
        if supervisor is not None and amount <= supervisor.authority:
            return supervisor.pk
        return self.senior.pk


@dataclass
class _Terms:
    """One approved limit: its investigation, application and limit, by day ordinals."""

    investigated: int
    applied: int
    valid_from: int
    amount: int
    requested: int
    approver: int
    reason: str
    comment: str
    investigation_pk: int = 0
    application_pk: int = 0


class CreditMaker:
    def __init__(self, builder: "_Builder") -> None:
        self.b = builder
        self.rng = builder.rng("credit")
        self.policy = policy_on(builder.today)
        self.rules = self.policy.scorecard_rules
        self.bands = self.policy.scorecard_bands
        self.valid_days = self.policy.limit_valid_days
        self.approvers = _Approvers(builder.users["senior"])
        self.ownership = {
            code: _Pick(zip(data.OWNERSHIPS, odds, strict=True)) for code, odds in data.OWNERSHIP_ODDS.items()
        }
        self.bank = _Pick(data.BANKS)
        self.others = {
            "good": _Pick((("good", 62), ("none", 28), ("slow", 9), ("bad", 1))),
            "slow": _Pick((("good", 35), ("none", 25), ("slow", 35), ("bad", 5))),
            "bad": _Pick((("good", 15), ("none", 25), ("slow", 45), ("bad", 15))),
        }
        self.disputes = _Pick((("none", 86), ("minor", 12), ("major", 2)))
        self.impression = _Pick((("good", 55), ("fair", 40), ("poor", 5)))
        self.industry_of = {industry.pk: spec for industry, spec in zip(builder.industries, data.INDUSTRIES, strict=True)}
        self._dates: dict[int, datetime.date] = {}
        self.counts = {"investigations": 0, "limit_applications": 0, "credit_limits": 0, "credit_accounts": 0,
                       "credit_history": 0, "credit_frozen": 0, "credit_pending": 0}

    # -- sizes -----------------------------------------------------------------------------------

    def _sales(self, index: int, account: "_Account") -> tuple[float, float]:
        """Average monthly sales and average order, in CNY: over the last 12 months when the
        customer bought in them, else over the whole time it bought."""
        b = self.b
        year_ago = b.today_ord - 365
        if b.orders_12m[index]:
            days = account.end - max(account.start, year_ago + 1) + 1
            months = min(12.0, max(1.0, days / DAYS_PER_MONTH))
            return b.sales_12m[index] / 100 / months, b.sales_12m[index] / 100 / b.orders_12m[index]
        if b.orders_all[index]:
            months = max(1.0, (account.end - account.start + 1) / DAYS_PER_MONTH)
            return b.sales_all[index] / 100 / months, b.sales_all[index] / 100 / b.orders_all[index]
        return 0.0, 0.0

    def _limit(self, monthly: float, order: float, terms: int, risk: str) -> int:
        months = self.rng.uniform(1.5, 2.5) * (terms + 15) / 45
        amount = round_limit((monthly * months + ORDERS_IN_FLIGHT * order) * RISK_FACTOR.get(risk, 0.5))
        return min(amount, max(MINIMUM_LIMIT, self.approvers.top))

    # -- the investigation -----------------------------------------------------------------------

    def _investigation(self, pk: int, index: int, account: "_Account", day: int, monthly: float) -> tuple:
        rng = self.rng
        b = self.b
        customer = b.customers[index]
        industry = self.industry_of[customer.industry_id]  # type: ignore[index]  # every demo customer has one
        ownership = self.ownership.get(industry.code, self.ownership["DEFAULT"])(rng)
        # What they buy from us is a few per cent of their turnover; a filling station sells on
        # what it buys.
        bought = max(monthly * 12, 60_000.0)
        if industry.code == "FUEL":
            revenue = bought * rng.uniform(1.2, 4.0)  # we are seldom their only supplier
            staff = revenue / rng.uniform(2_500_000, 6_000_000)
        else:
            revenue = bought * rng.lognormvariate(math.log(30), 0.45)
            staff = revenue / rng.uniform(400_000, 1_200_000)
        if ownership == "individual":
            revenue = min(revenue, rng.uniform(2_000_000, 12_000_000))
            staff = min(staff, rng.randint(3, 40))
        band = ("u5m" if revenue < 5e6 else "5-20m" if revenue < 2e7 else "20-100m" if revenue < 1e8
                else "100-500m" if revenue < 5e8 else "o500m")
        capital_share = rng.uniform(0.01, 0.05) if ownership == "individual" else rng.uniform(0.03, 0.25)
        capital = max(30_000 if ownership == "individual" else 100_000, round(revenue * capital_share, -4))
        known = (day - customer.created_at.date().toordinal()) // 365
        years = min(300, max(1, known + rng.choice((0, 1, 2, 3, 5, 8, 12, 18))))
        if account.start >= day - 30:
            record_us = "none"  # nothing invoiced yet when investigated
        elif account.behaviour == "bad":
            record_us = "bad" if rng.random() < 0.35 else "slow"
        else:
            record_us = account.behaviour
        answers = {
            "registered_capital": int(capital), "years_in_business": years, "ownership": ownership,
            "staff_size": max(3, min(2_000_000, int(staff))), "revenue_band": band,
            "payment_record_us": record_us, "payment_record_others": self.others[account.behaviour](rng),
            "legal_disputes": self.disputes(rng), "impression": self.impression(rng),
        }
        score, risk, detail = scorecard.score(answers, rules=self.rules, bands=self.bands)
        if risk == "reject":
            # Credit was granted, so the investigation passed, if narrowly: what the rep found on
            # site and heard from other suppliers carried it.
            answers["legal_disputes"], answers["impression"] = "none", "fair"
            answers["payment_record_others"] = rng.choice(("none", "good"))
            score, risk, detail = scorecard.score(answers, rules=self.rules, bands=self.bands)
            if risk == "reject":
                answers["impression"], answers["payment_record_others"] = "good", "good"
                score, risk, detail = scorecard.score(answers, rules=self.rules, bands=self.bands)
        suppliers = "本公司"
        if customer.current_supplier:
            suppliers = f"{customer.current_supplier}、本公司"
        town = customer.city[:-1] if customer.city.endswith("市") and len(customer.city) > 2 else customer.city
        banks = [self.bank(rng)]
        if rng.random() < 0.35:
            second = self.bank(rng)
            if second != banks[0]:
                banks.append(second)
        banks_text = "、".join(f"{bank}{town}分行" if bank != "农村商业银行" else f"{town}{bank}" for bank in banks)
        notes = rng.choice(data.INVESTIGATION_NOTES) if rng.random() < 0.3 else ""
        when = b.stamp(day, 9)
        row = (
            pk, customer.pk, account.owner_id, self._date(day), _money(answers["registered_capital"]), years, ownership,
            answers["staff_size"], band, suppliers, banks_text, record_us, answers["payment_record_others"],
            answers["legal_disputes"], answers["impression"], notes, score, risk, json.dumps(detail), when, when,
        )
        return row, risk

    # -- the build -------------------------------------------------------------------------------

    def run(self) -> None:
        b = self.b
        rng = self.rng
        investigations = TableWriter(Investigation, [
            "id", "customer_id", "investigated_by_id", "investigated_on", "registered_capital", "years_in_business",
            "ownership", "staff_size", "revenue_band", "main_suppliers", "banks", "payment_record_us",
            "payment_record_others", "legal_disputes", "impression", "notes", "score", "risk_class", "score_detail",
            "created_at", "updated_at",
        ])
        applications = TableWriter(LimitApplication, [
            "id", "customer_id", "applicant_id", "investigation_id", "requested_limit", "requested_terms_days",
            "reason", "status", "decided_by_id", "decided_at", "approved_limit", "approved_terms_days",
            "decision_comment", "created_at", "updated_at",
        ])
        limits = TableWriter(CreditLimit, [
            "id", "customer_id", "application_id", "amount", "terms_days", "approved_by_id", "valid_from",
            "review_on", "is_current", "superseded_at", "created_at", "updated_at",
        ])
        accounts = TableWriter(CreditAccount, ["id", "customer_id", "frozen", "frozen_reason"])
        self.pk = {
            "investigation": next_id(Investigation), "application": next_id(LimitApplication),
            "limit": next_id(CreditLimit), "account": next_id(CreditAccount),
        }
        today = b.today_ord
        on_credit = [i for i, a in enumerate(b.accounts) if not a.prospect and a.terms > 0]
        b.progress.phase("credit", "credit limits", len(on_credit))
        for n, index in enumerate(on_credit):
            account = b.accounts[index]
            customer = b.customers[index]
            applicant = account.owner_id
            created = customer.created_at.date().toordinal()
            monthly, order = self._sales(index, account)

            # The current limit: approved at the last yearly review, or when the customer was won.
            if created > today - 365:
                valid_from = rng.randint(min(created + 1, account.start), max(created + 1, account.start))
            else:
                valid_from = today - rng.randint(5, 360)
            valid_from = min(valid_from, today)
            investigated = max(created, valid_from - rng.randint(2, 15))
            history = created < valid_from - 400 and rng.random() < HISTORY_SHARE
            old: _Terms | None = None
            if history:
                old_from = valid_from - rng.randint(300, 365)
                old_investigated = max(created, old_from - rng.randint(2, 15))
                old = _Terms(old_investigated, rng.randint(old_investigated, old_from), old_from, 0, 0, 0, "", "")

            # Investigations, oldest first: the newest is the current one.
            if old is not None:
                old.investigation_pk = self._next("investigation")
                row, old_risk = self._investigation(old.investigation_pk, index, account, old.investigated, monthly * 0.8)
                investigations.add(row)
                old.amount = self._limit(monthly * rng.uniform(0.6, 0.95), order, account.terms, old_risk)
            current = _Terms(investigated, rng.randint(investigated, valid_from), valid_from, 0, 0, 0, "", "")
            current.investigation_pk = self._next("investigation")
            row, risk = self._investigation(current.investigation_pk, index, account, investigated, monthly)
            investigations.add(row)
            current.amount = self._limit(monthly, order, account.terms, risk)

            for terms in (old, current):
                if terms is None:
                    continue
                if terms is current and old is not None:
                    kind = "raise" if current.amount > old.amount else "cut" if current.amount < old.amount else "renewal"
                else:  # the first limit, or the first the demo keeps
                    kind = "first" if account.start >= terms.valid_from - 30 else "renewal"
                terms.reason = rng.choice(data.APPLICATION_REASONS[kind])
                terms.requested = terms.amount
                if rng.random() < 0.15:  # asked for more, approved less
                    terms.requested = terms.amount + ROUND_TO * rng.randint(1, max(1, terms.amount // 40_000))
                    terms.comment = rng.choice(data.CUT_COMMENTS)
                else:
                    terms.comment = rng.choice(data.DECISION_COMMENTS)
                terms.approver = self.approvers.approver(applicant, terms.amount)
                terms.application_pk = self._next("application")
                decided = b.stamp(terms.valid_from, 15)
                applications.add((
                    terms.application_pk, customer.pk, applicant, terms.investigation_pk, _money(terms.requested),
                    account.terms, terms.reason, ApplicationStatus.APPROVED, terms.approver, decided,
                    _money(terms.amount), account.terms, terms.comment, b.stamp(terms.applied, 11), decided,
                ))
            if old is not None:
                superseded = b.stamp(valid_from, 15)
                limits.add((
                    self._next("limit"), customer.pk, old.application_pk, _money(old.amount), account.terms,
                    old.approver, self._date(old.valid_from), self._date(old.valid_from + self.valid_days), False,
                    superseded, b.stamp(old.valid_from, 15), superseded,
                ))
                self.counts["credit_history"] += 1
            limits.add((
                self._next("limit"), customer.pk, current.application_pk, _money(current.amount), account.terms,
                current.approver, self._date(valid_from), self._date(valid_from + self.valid_days), True, None,
                b.stamp(valid_from, 15), b.stamp(valid_from, 15),
            ))

            # The account: a few frozen, mostly for debts long overdue.
            frozen = rng.random() < FROZEN_SHARE.get(account.behaviour, 0.0)
            reason = ""
            if frozen:
                overdue = account.behaviour == "bad" and rng.random() < 0.7
                reason = data.FREEZE_REASONS[0] if overdue else rng.choice(data.FREEZE_REASONS)
                self.counts["credit_frozen"] += 1
            accounts.add((self._next("account"), customer.pk, frozen, reason))

            # A raise waiting in the supervisor's inbox, on a fresh investigation.
            supervisor = self.approvers.supervisor_of(applicant)
            if (supervisor is not None and not frozen and customer.lifecycle == Lifecycle.CUSTOMER
                    and account.behaviour == "good" and investigated < today - 45 and rng.random() < PENDING_SHARE):
                asked = min(round_limit(current.amount * rng.uniform(1.2, 1.8)), supervisor.authority // ROUND_TO * ROUND_TO)
                if asked > current.amount:
                    day = today - rng.randint(1, 30)
                    pk = self._next("investigation")
                    row, _risk = self._investigation(pk, index, account, day, monthly * 1.2)
                    investigations.add(row)
                    applications.add((
                        self._next("application"), customer.pk, applicant, pk, _money(asked), account.terms,
                        rng.choice(data.APPLICATION_REASONS["raise"]), ApplicationStatus.PENDING, None, None, None,
                        None, "", b.stamp(rng.randint(day, today), 11), b.stamp(today, 11),
                    ))
                    self.counts["credit_pending"] += 1
            if n % 1000 == 0:
                b.progress.update(n)
        for writer in (investigations, applications, limits, accounts):
            writer.flush()
        self.counts.update({
            "investigations": investigations.count, "limit_applications": applications.count,
            "credit_limits": limits.count, "credit_accounts": accounts.count,
        })
        b.summary.credit_limits = accounts.count
        b.summary.counts.update(self.counts)

    def _date(self, ordinal: int) -> datetime.date:
        value = self._dates.get(ordinal)
        if value is None:
            value = self._dates[ordinal] = datetime.date.fromordinal(ordinal)
        return value

    def _next(self, kind: str) -> int:
        value = self.pk[kind]
        self.pk[kind] = value + 1
        return value


def make_credit(builder: "_Builder") -> None:
    CreditMaker(builder).run()

