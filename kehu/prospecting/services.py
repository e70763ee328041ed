"""Prospect development's rules. Each of P1–P5 lives in one function here; pages, the API and the
daily job call them.

- P1 ``prospect_file``: every prospect is filed from a sourcing method and its record, after the
  duplicate check (``customers.duplicates``); never a silent second copy.
- P3 ``colour_set``: colour and sub-level, with the reason kept (``ColourChange``). The first
  confirmed order's red is the ledger's (``customers.services.customer_won_by_order``).
- P5 ``decision_set`` / ``prospect_revive``: the pursuit decision with reason and review date;
  giving up sends the prospect to the team's shared pool.
- The shared pool (公海): ``pool_sweep_untouched`` (daily) and ``pool_claim`` — one conditional
  UPDATE per claim, so two reps claiming at once can never both win, and the rep's row locked
  while their claims are counted, so the policy's cap holds under concurrency too.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.accounts.permissions import can_edit_customer
from kehu.accounts.services import notify
from kehu.core.messages import message
from kehu.core.phone import normalize_phone
from kehu.core.tables import ReadError, open_table
from kehu.core.text import cell_text
from kehu.core.unique import lock_values
from kehu.core.uploads import check_photo, upload_name
from kehu.customers.duplicates import Duplicate, MatchReason, company_name_key, customer_duplicates
from kehu.customers.models import ColourGrade, Customer, Lifecycle, PursuitDecision, SourceMethod
from kehu.customers.services import contact_create, customer_create
from kehu.engagement.models import Touchpoint, TouchStatus

from .models import (
    Campaign,
    CampaignMember,
    Clipping,
    ColourChange,
    ColourLevel,
    DecisionChange,
    Exhibition,
    FormerContact,
    HandoverRequest,
    MemberStatus,
    PoolReason,
    ProspectOrigin,
    ProspectPolicy,
    RequestStatus,
    SharedPoolEntry,
)
from .permissions import can_claim, can_decide_handover, owns_prospects

COMPANY_FIELDS = ("name", "uscc", "phone", "address", "industry", "website", "notes")
ORIGIN_FIELDS = ("exhibition", "booth", "supply", "background", "campaign", "campaign_member", "clipping",
                 "former_contact", "referrer")


def policy_get() -> ProspectPolicy:
    return ProspectPolicy.objects.get_or_create(pk=1)[0]


class DuplicateFound(ValidationError):
    """The company is someone's already: the page shows who, and offers to ask for it."""

    def __init__(self, duplicates: list[Duplicate]) -> None:
        from kehu.customers.duplicates import duplicate_message

        super().__init__({"name": [duplicate_message(d) for d in duplicates]}, code="duplicate")
        self.duplicates = duplicates


def _require_prospect_owner(user: User) -> None:
    if not owns_prospects(user):
        raise PermissionDenied(_("Your role does not own prospects."))


@transaction.atomic
def prospect_file(*, user: User, method: str, company: dict[str, Any], origin: dict[str, Any] | None = None,
                  contact: dict[str, Any] | None = None, different_company: bool = False) -> Customer:
    """P1: file a prospect owned by ``user``, from ``method`` and the record it came from.

    The duplicate check runs first: the same unified social credit code always stops it; the same
    phone or normalised name stops it unless the rep states it is a different company."""
    _require_prospect_owner(user)
    if method not in SourceMethod.values or method == SourceMethod.OTHER:
        raise ValidationError({"method": [_("Choose the sourcing method this prospect came from.")]})
    unknown = set(company) - set(COMPANY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    origin = {k: v for k, v in (origin or {}).items() if v not in (None, "")}
    if set(origin) - set(ORIGIN_FIELDS):
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(set(origin) - set(ORIGIN_FIELDS)))})
    contact = {k: v for k, v in (contact or {}).items() if v not in (None, "")}
    name = (company.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": [_("The company name is missing.")]})
    phones = [company.get("phone") or "", contact.get("phone") or ""]
    # The same company filed twice at once (a double tap, two reps back from one fair): the second
    # waits for the first, then its duplicate check finds it.
    keys = [("name", company_name_key(name)), ("uscc", (company.get("uscc") or "").strip().upper()),
            *(("phone", normalize_phone(p)) for p in phones)]
    lock_values(*(f"{kind}:{value}" for kind, value in keys if value))
    duplicates = customer_duplicates(name=name, uscc=company.get("uscc") or "", phones=phones)
    if duplicates and (not different_company or any(MatchReason.USCC in d.reasons for d in duplicates)):
        raise DuplicateFound(duplicates)
    detail = ""
    for key in ("exhibition", "campaign", "clipping"):
        if origin.get(key) is not None:
            detail = str(origin[key])
    if origin.get("referrer"):
        detail = origin["referrer"]
    data = {k: v for k, v in company.items() if v not in (None, "")}
    data.update(owner=user, lifecycle=Lifecycle.PROSPECT, colour=ColourGrade.GREEN, source=method,
                source_detail=detail[:200], pursuit=PursuitDecision.CONTINUE)
    customer = customer_create(user=user, data=data)
    if contact.get("name"):
        contact_create(user=user, customer=customer, data={**contact, "is_primary": True})
    if origin.get("campaign_member") is not None and origin.get("campaign") is None:
        origin["campaign"] = origin["campaign_member"].campaign
    ProspectOrigin.objects.create(customer=customer, method=method, created_by=user, **origin)
    # No reason typed: the card words it "filed as a prospect" in the reader's language.
    ColourChange.objects.create(customer=customer, colour=ColourGrade.GREEN, reason="", by=user)
    funnel_summary_refresh(customer_ids=[customer.pk])
    return customer


def _locked_prospect(user: User, customer: Customer) -> Customer:
    customer = Customer.objects.select_for_update(of=("self",)).select_related("owner__team").get(pk=customer.pk)
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
    return customer


@transaction.atomic
def colour_set(*, user: User, customer: Customer, colour: str, reason: str, sub: int | None = None) -> Customer:
    """P3: grade a prospect red / yellow / green (and an administrator's sub-level), reason kept."""
    customer = _locked_prospect(user, customer)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if colour not in ColourGrade.values:
        errors["colour"] = [_("Choose red, yellow or green.")]
    if not reason:
        errors["reason"] = [_("Say why: the grade's history keeps the reason.")]
    if sub is not None and colour in ColourGrade.values and not ColourLevel.objects.filter(colour=colour, number=sub).exists():
        errors["sub"] = [_("This colour has no sub-level %(n)s.") % {"n": sub}]
    if errors:
        raise ValidationError(errors)
    previous = customer.colour
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(colour=colour, colour_sub=sub, updated_at=now)
    # The funnel's marks: the first time it reached yellow (red counts as past yellow) and red.
    if colour in (ColourGrade.YELLOW, ColourGrade.RED):
        ProspectOrigin.objects.filter(customer=customer, yellow_at__isnull=True).update(yellow_at=now)
    if colour == ColourGrade.RED:
        ProspectOrigin.objects.filter(customer=customer, red_at__isnull=True).update(red_at=now)
    ColourChange.objects.create(customer=customer, colour=colour, sub=sub, previous=previous, reason=reason[:200], by=user)
    funnel_summary_refresh(customer_ids=[customer.pk])
    customer.colour, customer.colour_sub = colour, sub
    return customer


def _pool_put(customer: Customer, reason: str, previous_owner: User | None = None) -> SharedPoolEntry | None:
    owner = previous_owner or customer.owner
    try:
        with transaction.atomic():
            return SharedPoolEntry.objects.create(customer=customer, team_id=owner.team_id, reason=reason,
                                                  previous_owner=owner)
    except IntegrityError:  # in the pool already
        return None


@transaction.atomic
def decision_set(*, user: User, customer: Customer, decision: str, reason: str,
                 review_on: datetime.date | None = None, today: datetime.date | None = None) -> Customer:
    """P5: continue / keep trying at a low cadence / give up, with a reason and the next review.

    A given-up prospect leaves the active pool for the team's shared pool, where it stays
    searchable and another rep may claim it (or its owner revive it)."""
    customer = _locked_prospect(user, customer)
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if customer.lifecycle != Lifecycle.PROSPECT:
        errors["decision"] = [_("Pursuit decisions are for prospects; this is a customer already.")]
    if decision not in PursuitDecision.values:
        errors["decision"] = [_("Choose continue, keep trying or give up.")]
    if not reason:
        errors["reason"] = [_("Say why: the decision's history keeps the reason.")]
    if decision != PursuitDecision.GIVE_UP:
        if review_on is None:
            errors["review_on"] = [_("Give the date to review this decision.")]
        elif review_on <= today:
            errors["review_on"] = [_("The review date must be in the future.")]
    if errors:
        raise ValidationError(errors)
    Customer.objects.filter(pk=customer.pk).update(pursuit=decision, pursuit_reason=reason[:200], updated_at=timezone.now())
    DecisionChange.objects.create(customer=customer, decision=decision, reason=reason[:200],
                                  review_on=review_on if decision != PursuitDecision.GIVE_UP else None, by=user)
    if decision == PursuitDecision.GIVE_UP:
        _pool_put(customer, PoolReason.GIVEN_UP)
    customer.pursuit, customer.pursuit_reason = decision, reason[:200]
    return customer


@transaction.atomic
def prospect_revive(*, user: User, customer: Customer, reason: str, review_on: datetime.date,
                    today: datetime.date | None = None) -> Customer:
    """A given-up (or pooled) prospect taken up again by whoever may change it: back to continue."""
    customer = _locked_prospect(user, customer)
    open_entry = SharedPoolEntry.objects.filter(customer=customer, claimed_by__isnull=True, closed=False)
    if customer.pursuit != PursuitDecision.GIVE_UP and not open_entry.exists():
        raise ValidationError(_("This prospect is being pursued; there is nothing to revive."))
    revived = decision_set(user=user, customer=customer, decision=PursuitDecision.CONTINUE, reason=reason,
                           review_on=review_on, today=today)
    open_entry.update(closed=True)
    DecisionChange.objects.filter(pk=DecisionChange.objects.filter(customer=customer).order_by("-at", "-id")
                                  .values("pk")[:1]).update(revived=True)
    return revived


def _last_activity_filter(cutoff: datetime.date) -> Q:
    recent_touch = Touchpoint.objects.filter(customer=OuterRef("pk"), status=TouchStatus.DONE, done_on__gte=cutoff)
    recent_decision = DecisionChange.objects.filter(customer=OuterRef("pk"), at__date__gte=cutoff)
    recent_colour = ColourChange.objects.filter(customer=OuterRef("pk"), at__date__gte=cutoff)
    return Q(Exists(recent_touch)) | Q(Exists(recent_decision)) | Q(Exists(recent_colour)) | Q(created_at__date__gte=cutoff)


def untouched_prospects(*, today: datetime.date, days: int):
    """Prospects still pursued with no touch, decision or grade in ``days`` days, not in the pool."""
    cutoff = today - datetime.timedelta(days=days)
    open_entry = SharedPoolEntry.objects.filter(customer=OuterRef("pk"), claimed_by__isnull=True, closed=False)
    return (Customer.objects.filter(lifecycle=Lifecycle.PROSPECT).exclude(pursuit=PursuitDecision.GIVE_UP)
            .exclude(_last_activity_filter(cutoff)).exclude(Exists(open_entry)))


def pool_sweep_untouched(*, today: datetime.date) -> int:
    """Daily: prospects untouched for the policy's days go to their team's shared pool (idempotent)."""
    days = policy_get().untouched_days
    moved = 0
    for customer in untouched_prospects(today=today, days=days).select_related("owner").iterator(chunk_size=2000):
        if _pool_put(customer, PoolReason.UNTOUCHED):
            moved += 1
    return moved


@dataclass
class ClaimResult:
    entry: SharedPoolEntry
    customer: Customer


def pool_claim(*, user: User, entry: SharedPoolEntry, now: datetime.datetime | None = None) -> ClaimResult:
    """Claim a prospect from the shared pool. Exactly one of any number of simultaneous claims wins:
    the entry changes hands in one conditional UPDATE (… WHERE claimed_by IS NULL); the claimer's
    own row is locked first, so their claims are counted against the cap one at a time."""
    now = now or timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        entry = SharedPoolEntry.objects.select_related("customer").get(pk=entry.pk)
        if not can_claim(user, entry):
            raise PermissionDenied(_("Only another rep of the team may claim this prospect."))
        policy = policy_get()
        since = now - datetime.timedelta(days=policy.claim_window_days)
        claimed = SharedPoolEntry.objects.filter(claimed_by=user, claimed_at__gte=since).count()
        if claimed >= policy.claim_cap:
            raise ValidationError(_("You have claimed %(n)d prospects in %(days)d days, the most the policy allows.")
                                  % {"n": claimed, "days": policy.claim_window_days})
        won = SharedPoolEntry.objects.filter(pk=entry.pk, claimed_by__isnull=True, closed=False).update(
            claimed_by=user, claimed_at=now)
        if not won:
            raise ValidationError(_("Someone else claimed this prospect first."))
        before = _owner_months([entry.customer_id])
        Customer.objects.filter(pk=entry.customer_id).update(
            owner=user, pursuit=PursuitDecision.CONTINUE, pursuit_reason="", updated_at=now)
        funnel_summary_refresh(customer_ids=[entry.customer_id], owner_months=before)
        DecisionChange.objects.create(customer_id=entry.customer_id, decision=PursuitDecision.CONTINUE,
                                      reason="", claimed=True, by=user)
        entry.refresh_from_db()
        customer = Customer.objects.get(pk=entry.customer_id)
    return ClaimResult(entry, customer)


@transaction.atomic
def handover_request(*, user: User, customer: Customer, reason: str = "") -> HandoverRequest:
    """A rep who met a company already in someone's book asks for it; the owner and the owner's
    supervisor are told, and the supervisor (or a senior manager) decides."""
    _require_prospect_owner(user)
    if customer.owner_id == user.pk:
        raise ValidationError(_("This customer is yours already."))
    try:
        with transaction.atomic():
            request = HandoverRequest.objects.create(customer=customer, requested_by=user, owner_id=customer.owner_id,
                                                     reason=(reason or "").strip()[:200])
    except IntegrityError:
        raise ValidationError(_("You have asked for this customer already; the answer is on its way.")) from None
    owner = customer.owner
    supervisor = owner.team.supervisor if owner.team_id and owner.team.supervisor_id else None  # type: ignore[union-attr]  # team_id is set
    text = message(gettext_lazy("%(rep)s asks for %(name)s (%(code)s), which is in %(owner)s's book."),
                   rep=user, name=customer.name, code=customer.code, owner=owner)
    transaction.on_commit(lambda: notify(users=[owner, supervisor], text=text, link="/prospecting/requests/"))
    return request


@transaction.atomic
def handover_decide(*, user: User, request: HandoverRequest, approve: bool) -> HandoverRequest:
    request = HandoverRequest.objects.select_for_update(of=("self",)).select_related("owner__team", "customer").get(pk=request.pk)
    if not can_decide_handover(user, request):
        raise PermissionDenied(_("Only the owner's supervisor or a senior manager decides this request."))
    if request.status != RequestStatus.PENDING:
        raise ValidationError(_("This request has been decided already."))
    now = timezone.now()
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decided_by, request.decided_at = user, now
    request.save()
    if approve:
        before = _owner_months([request.customer_id])
        moved = Customer.objects.filter(pk=request.customer_id, owner_id=request.owner_id).update(
            owner_id=request.requested_by_id, updated_at=now)
        if not moved:
            raise ValidationError(_("The customer changed hands meanwhile; ask again."))
        funnel_summary_refresh(customer_ids=[request.customer_id], owner_months=before)
    word = gettext_lazy("approved") if approve else gettext_lazy("refused")
    text = message(gettext_lazy("Your request for %(name)s was %(word)s."), name=request.customer.name, word=word)
    requester = request.requested_by
    transaction.on_commit(lambda: notify(users=[requester], text=text, link=f"/customers/{request.customer_id}/"))
    return request


# ── the sourcing records (P1) ───────────────────────────────────────────────────────────────

def _clean_record(record, exclude: tuple[str, ...] = ()) -> None:
    try:
        record.full_clean(exclude=["created_by", "rep", "campaign", *exclude])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def exhibition_create(*, user: User, data: dict[str, Any]) -> Exhibition:
    _require_prospect_owner(user)
    exhibition = Exhibition(created_by=user, **{k: data.get(k) or "" for k in ("name", "venue", "notes")},
                            starts_on=data.get("starts_on"), ends_on=data.get("ends_on"), industry=data.get("industry"))  # type: ignore[misc]  # a missing day is refused by the model's validation
    if exhibition.starts_on and exhibition.ends_on and exhibition.ends_on < exhibition.starts_on:
        raise ValidationError({"ends_on": [_("The last day cannot be before the first.")]})
    _clean_record(exhibition)
    exhibition.save()
    return exhibition


@transaction.atomic
def campaign_create(*, user: User, data: dict[str, Any]) -> Campaign:
    _require_prospect_owner(user)
    fields = ("name", "character", "people", "climate", "avoid")
    campaign = Campaign(created_by=user, industry=data.get("industry"), sunset=bool(data.get("sunset")),
                        **{k: (data.get(k) or "").strip() for k in fields})
    if campaign.industry is not None and campaign.industry.sunset:
        campaign.sunset = True  # the industry list knows it is a sunset industry
    _clean_record(campaign)
    campaign.save()
    return campaign


MEMBER_COLUMNS = {
    "name": ("company name", "company", "name", "公司名称", "企业名称", "单位名称", "客户名称", "名称", "公司"),
    "phone": ("phone", "telephone", "电话", "联系电话", "手机"),
    "uscc": ("uscc", "unified social credit code", "统一社会信用代码", "信用代码"),
    "address": ("address", "地址", "公司地址"),
    "contact_name": ("contact", "联系人", "负责人"),
    "representative": ("representative", "代表性企业", "代表", "重点"),
}
MAX_MEMBERS = 5000
YES = {"1", "y", "yes", "true", "是", "√", "✓", "x", "重点", "代表"}


def read_member_rows(name: str, content: bytes) -> list[dict[str, str]]:
    """The member list's rows from an Excel (xlsx, xls, ods) or CSV file, by header names in Chinese or
    English, read as the imports read files (any encoding they take; a damaged file refused in words)."""
    names = {n: key for key, known in MEMBER_COLUMNS.items() for n in known}
    try:
        table = open_table(name, content, known=lambda h: h.strip().lower() in names)
        where: dict[str, int] = {}
        for i, h in enumerate(table.header):
            key = names.get(h.strip().lower())
            if key and key not in where:
                where[key] = i
        if "name" not in where:
            raise ValidationError(_("The first row must name the columns; a company-name column (公司名称) is required."))
        out = []
        for _number, raw in table.rows:
            cells = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in where.items()}
            if cells.get("name"):
                out.append(cells)
            if len(out) > MAX_MEMBERS:
                break
    except ReadError as exc:
        raise ValidationError(str(exc)) from None
    if not out:
        raise ValidationError(_("The file names no firms: under the header row, each row needs a company name."))
    return out


@transaction.atomic
def campaign_members_import(*, user: User, campaign: Campaign, name: str, content: bytes) -> int:
    """The industry's member list, from Excel; all rows or none (a row without a name is skipped)."""
    _require_prospect_owner(user)
    rows = read_member_rows(name, content)
    if len(rows) > MAX_MEMBERS:
        raise ValidationError(_("A member list has at most 5,000 firms."))
    members = [CampaignMember(campaign=campaign, name=r["name"][:120], phone=r.get("phone", "")[:30],
                              uscc=r.get("uscc", "").upper()[:18], address=r.get("address", "")[:200],
                              contact_name=r.get("contact_name", "")[:60],
                              representative=r.get("representative", "").lower() in YES) for r in rows]
    CampaignMember.objects.bulk_create(members)
    return len(members)


@transaction.atomic
def member_mark_representative(*, user: User, member: CampaignMember, representative: bool) -> CampaignMember:
    _require_prospect_owner(user)
    CampaignMember.objects.filter(pk=member.pk).update(representative=representative)
    member.representative = representative
    return member


@transaction.atomic
def member_file(*, user: User, member: CampaignMember, different_company: bool = False) -> Customer:
    """Approach one firm of the member list: it becomes the rep's prospect, or is marked as already
    someone's (the duplicate check's answer is kept on the member, and raised for the page)."""
    member = CampaignMember.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=member.pk)
    if member.status == MemberStatus.PROSPECT:
        raise ValidationError(_("This firm is a prospect already."))
    company = {"name": member.name, "phone": member.phone, "uscc": member.uscc, "address": member.address}
    try:
        with transaction.atomic():
            customer = prospect_file(user=user, method=SourceMethod.TARGET_INDUSTRY, company=company,
                                     contact={"name": member.contact_name},
                                     origin={"campaign": member.campaign, "campaign_member": member},
                                     different_company=different_company)
    except DuplicateFound as exc:
        CampaignMember.objects.filter(pk=member.pk).update(status=MemberStatus.DUPLICATE,
                                                           customer_id=exc.duplicates[0].customer_id)
        raise
    CampaignMember.objects.filter(pk=member.pk).update(status=MemberStatus.PROSPECT, customer=customer)
    return customer


@transaction.atomic
def clipping_file(*, user: User, data: dict[str, Any], company: dict[str, Any], contact: dict[str, Any] | None = None,
                  different_company: bool = False) -> Customer:
    """A clipping and the prospect it points to, together (or neither)."""
    _require_prospect_owner(user)
    clipping = Clipping(created_by=user, source=(data.get("source") or "").strip(), published_on=data.get("published_on"),  # type: ignore[misc]  # a missing day is refused by the model's validation
                        signal=data.get("signal") or "", text=(data.get("text") or "").strip())
    photo = data.get("photo")
    if photo:
        head = photo.read(32)
        photo.seek(0)
        try:  # an SVG or a web page named .jpg would run in the reader's browser
            check_photo(upload_name(photo.name or ""), photo.size or 0, head)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from None
    _clean_record(clipping)
    clipping.save()
    customer = prospect_file(user=user, method=SourceMethod.NEWS, company=company, contact=contact,
                             origin={"clipping": clipping}, different_company=different_company)
    if photo:  # stored last: a prospect refused (a duplicate) leaves no file behind
        clipping.photo.save(upload_name(photo.name or "", limit=80), photo)
    return customer


@transaction.atomic
def former_contact_file(*, user: User, data: dict[str, Any], company: dict[str, Any], contact: dict[str, Any],
                        different_company: bool = False) -> Customer:
    """A contact from the rep's former job (one of the handbook's three kinds) and the prospect."""
    _require_prospect_owner(user)
    former = FormerContact(rep=user, kind=data.get("kind") or "", person=(contact.get("name") or "").strip(),
                           company=(company.get("name") or "").strip(), phone=company.get("phone") or "",
                           former_employer=(data.get("former_employer") or "").strip(),
                           notes=(data.get("notes") or "").strip())
    _clean_record(former, exclude=("phone",))
    former.save()
    customer = prospect_file(user=user, method=SourceMethod.PREVIOUS_CUSTOMERS, company=company, contact=contact,
                             origin={"former_contact": former}, different_company=different_company)
    FormerContact.objects.filter(pk=former.pk).update(customer=customer)
    return customer


# ── the funnel's figures, refreshed daily ─────────────────────────────────────────────────────

WON = (Lifecycle.CUSTOMER, Lifecycle.DORMANT)


def origins_refresh(*, today: datetime.date) -> int:
    """Keep each prospect's way through the funnel for the yield report (idempotent, daily):

    - customers with a source method but no origin record (imported, or older than this app) get one;
    - customers won (a customer now, or red) get the date of their first confirmed order, the days
      from filing to it and the sales of its first 365 days, recomputed until that year is over.
    Returns the number of origins changed."""
    from .selectors import closing_figures

    missing = Customer.objects.exclude(source="").filter(origin__isnull=True).values_list("pk", "source", "colour", "lifecycle")
    now = timezone.now()
    made = 0
    batch: list[ProspectOrigin] = []
    for pk, source, colour, lifecycle in missing.iterator(chunk_size=5000):
        reached = colour in (ColourGrade.YELLOW, ColourGrade.RED) or lifecycle in WON
        batch.append(ProspectOrigin(customer_id=pk, method=source, yellow_at=now if reached else None,
                                    red_at=now if colour == ColourGrade.RED or lifecycle in WON else None))
        if len(batch) >= 5000:
            made += len(ProspectOrigin.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    made += len(ProspectOrigin.objects.bulk_create(batch, ignore_conflicts=True))
    open_year = Q(won_on__isnull=True) | Q(won_on__gte=today - datetime.timedelta(days=366))
    won = ProspectOrigin.objects.filter(open_year).filter(
        Q(customer__lifecycle__in=WON) | Q(customer__colour=ColourGrade.RED)).values_list("customer_id", flat=True)
    changed = 0
    ids = list(won)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        figures = closing_figures(customer_ids=chunk)
        updates = []
        for origin in ProspectOrigin.objects.filter(customer_id__in=chunk):
            first, days, sales = figures.get(origin.customer_id, (None, None, Decimal("0")))
            red_at = origin.red_at or now
            if (origin.won_on, origin.days_to_close, origin.first_year_sales, origin.red_at) != (first, days, sales, red_at):
                origin.won_on, origin.days_to_close, origin.first_year_sales, origin.red_at = first, days, sales, red_at
                origin.yellow_at = origin.yellow_at or red_at
                updates.append(origin)
        ProspectOrigin.objects.bulk_update(updates, ["won_on", "days_to_close", "first_year_sales", "red_at", "yellow_at"],
                                           batch_size=1000)
        changed += len(updates)
    funnel_summary_refresh()  # and the summary the company funnel reads, whole
    return made + changed


# ── the yield summary ───────────────────────────────────────────────────────────────────────

def funnel_figures() -> dict[str, Any]:
    """The funnel's figures of a group of customers (the one definition, raw and summarised).

    Reached yellow: yellow or red now, or at any time before (the origin's mark); reached red: red
    now or once, or won (a customer now)."""
    from django.db.models import Count, Sum

    red = Q(colour=ColourGrade.RED) | Q(lifecycle__in=WON) | Q(origin__red_at__isnull=False)
    yellow = red | Q(colour=ColourGrade.YELLOW) | Q(origin__yellow_at__isnull=False)
    return {"created": Count("id"), "yellow": Count("id", filter=yellow), "red": Count("id", filter=red),
            "sales": Sum("origin__first_year_sales"), "cost": Sum("touch_total__cost")}


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (datetime.datetime.combine(month, datetime.time(), tzinfo=tz),
            datetime.datetime.combine(following, datetime.time(), tzinfo=tz))


def _owner_months(customer_ids: list[int]) -> set[tuple[int | None, datetime.date]]:
    return {(owner, timezone.localtime(created).date().replace(day=1))
            for owner, created in Customer.objects.filter(pk__in=customer_ids).values_list("owner_id", "created_at")}


@transaction.atomic
def funnel_summary_refresh(*, customer_ids: list[int] | None = None,
                           owner_months: set[tuple[int | None, datetime.date]] | None = None) -> int:
    """Recompute the yield summary (``FunnelMonth``): all of it (no argument: the daily job), or the
    owner-months of ``customer_ids`` as they are now plus ``owner_months`` (where they were before a
    change of owner). The only writer of the summary. Returns the rows written."""
    from django.db.models import DateField
    from django.db.models.functions import Trunc

    from .models import FunnelMonth

    whole = customer_ids is None and owner_months is None
    scope = Customer.objects.exclude(source="")
    summary = FunnelMonth.objects.all()
    if not whole:
        pairs = set(owner_months or set()) | _owner_months(list(customer_ids or []))
        if not pairs:
            return 0
        where, gone = Q(pk__in=[]), Q(pk__in=[])
        for owner, month in pairs:
            start, end = _month_bounds(month)
            who = Q(owner__isnull=True) if owner is None else Q(owner_id=owner)
            where |= who & Q(created_at__gte=start, created_at__lt=end)
            gone |= (Q(owner__isnull=True) if owner is None else Q(owner_id=owner)) & Q(month=month)
        scope = scope.filter(where)
        summary = summary.filter(gone)
    summary.delete()
    created_month = Trunc("created_at", "month", output_field=DateField())
    rows = []
    for by, field in (("method", "source"), ("record", "source_detail")):
        keys = ("owner_id", field, "m")
        grouped = scope.annotate(m=created_month).values(*keys)
        days: dict[tuple, dict[str, int]] = {}
        won = grouped.filter(origin__days_to_close__isnull=False).annotate(d=F("origin__days_to_close"))
        for row in won.values_list(*keys, "d").order_by():
            hist = days.setdefault(row[:3], {})
            hist[str(row[3])] = hist.get(str(row[3]), 0) + 1
        rows += [FunnelMonth(owner_id=r["owner_id"], by=by, key=r[field], month=r["m"],
                             created=r["created"], yellow=r["yellow"], red=r["red"],
                             first_year_sales=r["sales"] or 0, touch_cost=r["cost"] or 0,
                             days_to_close=days.get(tuple(r[k] for k in keys), {}))
                 for r in grouped.annotate(**funnel_figures()).order_by()]
    FunnelMonth.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def summary_after_touch(customer_id: int) -> None:
    funnel_summary_refresh(customer_ids=[customer_id])
