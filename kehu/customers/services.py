"""Changes to customers, contacts and needs. Pages, API, imports and commands all call these."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kehu.accounts.models import Region, Role, User
from kehu.accounts.permissions import assignable_owners, can_edit_customer
from kehu.accounts.services import apply_fields, clean_and_save, require_organisation_admin
from kehu.core.geo import parse_address
from kehu.core.phone import normalize_phone
from kehu.core.text import pinyin_full, pinyin_initials
from kehu.core.uscc import normalize_uscc

from .duplicates import company_name_key
from .geocoding import geocode_later
from .models import (
    ADDRESS_GEO_SOURCES,
    ColourGrade,
    Contact,
    Customer,
    CustomerCodeSequence,
    CustomerNeed,
    GeoSource,
    Industry,
    Lifecycle,
)
from .selectors import build_search_text, province_regions

CUSTOMER_FIELDS = {
    "code", "name", "short_name", "uscc", "industry", "region", "owner", "phone", "website", "address",
    "lng", "lat", "lifecycle", "colour", "colour_sub", "source", "source_detail", "pursuit", "pursuit_reason",
    "is_key_account", "current_supplier", "buying_process", "our_share_pct", "payment_terms_days", "notes",
}
CONTACT_FIELDS = {
    "name", "title", "phone", "wechat", "email", "decision_role", "is_primary", "birthday_lunar",
    "birthday_leap", "birthday_year", "birthday_month", "birthday_day", "notes",
}
NEED_FIELDS = ("category", "description", "monthly_volume", "unit", "current_supplier", "our_share_pct")
INDUSTRY_FIELDS = ("code", "name", "name_en", "sunset")


CODE_PREFIX = "KH"


def customer_reserve_codes(*, count: int, taken: set[str] | frozenset[str] = frozenset(),
                           prefix: str = CODE_PREFIX) -> list[str]:
    """Reserve ``count`` new codes, e.g. KH000123, atomically (a conditional UPDATE moves the
    sequence on, no check-then-act), skipping codes already used or in ``taken``."""
    out: list[str] = []
    with transaction.atomic():
        seq, _created = CustomerCodeSequence.objects.get_or_create(prefix=prefix)
        while len(out) < count:
            need = count - len(out)
            CustomerCodeSequence.objects.filter(pk=seq.pk).update(next_value=F("next_value") + need)
            seq.refresh_from_db()
            candidates = [f"{prefix}{n:06d}" for n in range(seq.next_value - need, seq.next_value)]
            used = set(Customer.objects.filter(code__in=candidates).values_list("code", flat=True))  # typed by hand
            out += [c for c in candidates if c not in used and c not in taken]
    return out


def customer_next_code(*, prefix: str = CODE_PREFIX) -> str:
    return customer_reserve_codes(count=1, prefix=prefix)[0]


def _region_for_province(province: str) -> Region | None:
    pk = province_regions().get(province) if province else None
    return Region.objects.get(pk=pk) if pk else None


def _apply_customer_fields(customer: Customer, data: dict[str, Any], *, user: User) -> None:
    unknown = set(data) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    for field, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        try:
            if field == "uscc":
                value = normalize_uscc(value or "")
            elif field == "phone":
                value = normalize_phone(value or "")
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
            continue
        setattr(customer, field, value)
    if "owner" in data and customer.owner_id and customer.owner_id != getattr(customer, "_original_owner_id", None):
        if not assignable_owners(user).filter(pk=customer.owner_id).exists():
            errors.setdefault("owner", []).append(_("You cannot give customers to this person."))
    if errors:
        raise ValidationError(errors)


def _locate(customer: Customer, *, address_changed: bool, coordinates_given: bool) -> None:
    if coordinates_given and customer.lng is not None and customer.lat is not None:
        customer.geo_source = GeoSource.EXACT
    if address_changed and customer.geo_source in ADDRESS_GEO_SOURCES:
        # a position found from the old address is not this one's: the district table may place it
        # again, and it is a geocoding candidate again
        customer.lng = customer.lat = None
        customer.geo_source = GeoSource.NONE
    if address_changed and customer.address:
        parsed = parse_address(customer.address)
        customer.province, customer.city, customer.district = parsed.province, parsed.city, parsed.district
        customer.adcode = parsed.adcode
        if customer.geo_source != GeoSource.EXACT and parsed.lng is not None:
            customer.lng, customer.lat, customer.geo_source = parsed.lng, parsed.lat, GeoSource.DISTRICT
        if customer.region_id is None:
            customer.region = _region_for_province(parsed.province)
    elif address_changed and not customer.address:
        customer.province = customer.city = customer.district = customer.adcode = ""


def _refresh_search(customer: Customer) -> None:
    customer.pinyin = pinyin_full(customer.name)[:400]
    customer.initials = pinyin_initials(customer.name)[:120]
    customer.search_text = build_search_text(customer)
    customer.name_key = company_name_key(customer.name)


def _duplicate_uscc_error(customer: Customer) -> ValidationError:
    other = Customer.objects.filter(uscc=customer.uscc).exclude(pk=customer.pk).values_list("code", flat=True).first()
    return ValidationError({"uscc": [
        _("Customer %(code)s already has this unified social credit code; one company is one customer.")
        % {"code": other or "?"}
    ]})


def _validate_and_save(customer: Customer) -> None:
    if customer.uscc and Customer.objects.filter(uscc=customer.uscc).exclude(pk=customer.pk).exists():
        raise _duplicate_uscc_error(customer)
    try:
        customer.full_clean(exclude=["created_by"], validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        # Two people saving the same company at once: the database constraint decides.
        if customer.uscc and Customer.objects.filter(uscc=customer.uscc).exclude(pk=customer.pk).exists():
            raise _duplicate_uscc_error(customer) from None
        raise ValidationError({"code": [_("This customer code is already taken.")]}) from None


@transaction.atomic
def customer_create(*, user: User, data: dict[str, Any]) -> Customer:
    data = dict(data)
    if not data.get("owner"):
        if not assignable_owners(user).filter(pk=user.pk).exists():
            raise ValidationError({"owner": [_("Choose the rep who owns this customer.")]})
        data["owner"] = user
    if not data.get("code"):
        data["code"] = customer_next_code()
    customer = Customer(created_by=user)
    customer._original_owner_id = None  # type: ignore[attr-defined]
    _apply_customer_fields(customer, data, user=user)
    _locate(customer, address_changed=True, coordinates_given=("lng" in data and "lat" in data))
    _refresh_search(customer)
    _validate_and_save(customer)
    geocode_later(customer_ids=[customer.pk], user=user)  # if it has no position of its own
    return customer


@transaction.atomic
def customer_update(*, user: User, customer: Customer, data: dict[str, Any]) -> Customer:
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    data = {k: v for k, v in data.items() if not (k == "code" and not v)}  # a blank code keeps the old one
    customer._original_owner_id = customer.owner_id  # type: ignore[attr-defined]
    old_address = customer.address
    _apply_customer_fields(customer, data, user=user)
    address_changed = customer.address != old_address
    _locate(customer, address_changed=address_changed, coordinates_given=("lng" in data and "lat" in data))
    _refresh_search(customer)
    _validate_and_save(customer)
    if address_changed:
        geocode_later(customer_ids=[customer.pk], user=user)  # if it has no position of its own
    return customer


def _check_contact_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - CONTACT_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if "phone" in data:
        try:
            data["phone"] = normalize_phone(data["phone"] or "")
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    return data


def _check_birthday(contact: Contact) -> None:
    month, day = contact.birthday_month, contact.birthday_day
    if (month is None) != (day is None):
        raise ValidationError({"birthday_day": [_("Give both the month and the day of the birthday, or neither.")]})
    if month is None or day is None:
        return
    limit = 30 if contact.birthday_lunar else [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if not 1 <= day <= limit:
        raise ValidationError({"birthday_day": [_("This month has no day %(day)d.") % {"day": day}]})


def _lock_customer(customer_id: int) -> None:
    """One change to a customer's contacts at a time, so two marked primary at once leave one
    primary. Taken before any contact row, by every writer in the same order (no deadlock)."""
    Customer.objects.select_for_update().filter(pk=customer_id).first()


def _save_contact(contact: Contact) -> None:
    try:
        contact.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    _check_birthday(contact)
    contact.save()
    if contact.is_primary:
        Contact.objects.filter(customer=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(is_primary=False)
    customer = contact.customer
    customer.search_text = build_search_text(customer)
    Customer.objects.filter(pk=customer.pk).update(search_text=customer.search_text)


@transaction.atomic
def contact_create(*, user: User, customer: Customer, data: dict[str, Any]) -> Contact:
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
    contact = Contact(customer=customer, **_check_contact_data(data))
    _lock_customer(customer.pk)
    _save_contact(contact)
    return contact


@transaction.atomic
def contact_update(*, user: User, contact: Contact, data: dict[str, Any]) -> Contact:
    if not can_edit_customer(user, contact.customer):
        raise PermissionDenied(_("You may not change this customer."))
    data = _check_contact_data(data)
    _lock_customer(contact.customer_id)
    # The row as it is now: two people changing different fields of one contact keep both.
    current = Contact.objects.filter(pk=contact.pk).first()
    if current is None:
        raise ValidationError(_("This contact was removed a moment ago."))
    contact = current
    for field, value in data.items():
        setattr(contact, field, value)
    _save_contact(contact)
    return contact


@transaction.atomic
def contact_delete(*, user: User, contact: Contact) -> None:
    customer = contact.customer
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
    _lock_customer(customer.pk)
    contact.delete()
    Customer.objects.filter(pk=customer.pk).update(search_text=build_search_text(customer))


@transaction.atomic
def need_save(*, user: User, customer: Customer, data: dict[str, Any], need: CustomerNeed | None = None) -> CustomerNeed:
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
    if need is None:
        need = CustomerNeed(customer=customer)
    else:  # the row as it is now, locked: two people changing different fields of one need keep both
        current = CustomerNeed.objects.select_for_update().filter(pk=need.pk).first()
        if current is None:
            raise ValidationError(_("This need was removed a moment ago."))
        need = current
    for field in NEED_FIELDS:
        if field in data:
            setattr(need, field, data[field])
    try:
        need.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    need.save()
    return need


@transaction.atomic
def need_delete(*, user: User, need: CustomerNeed) -> None:
    if not can_edit_customer(user, need.customer):
        raise PermissionDenied(_("You may not change this customer."))
    need.delete()


@transaction.atomic
def industry_save(*, user: User, data: dict[str, Any], industry: Industry | None = None) -> Industry:
    """Add or change an industry of the list customers are classified by (administrators)."""
    require_organisation_admin(user)
    industry = Industry.objects.select_for_update().get(pk=industry.pk) if industry else Industry()
    apply_fields(industry, data, INDUSTRY_FIELDS)
    clean_and_save(industry, unique_field="code")
    return industry


def customer_won_by_order(*, customer_id: int) -> bool:
    """P3: the first confirmed order turns a prospect red and into a customer (the ledger calls this
    from its own state change). A conditional UPDATE, so two confirmations at once change it once.
    Returns whether this call was the one that turned it."""
    return bool(customers_won_by_orders(customer_ids=[customer_id]))


def customers_won_by_orders(*, customer_ids: list[int]) -> int:
    """``customer_won_by_order`` for many customers at once (an import of order history)."""
    won = 0
    for start in range(0, len(customer_ids), 5000):
        won += Customer.objects.filter(pk__in=customer_ids[start:start + 5000], lifecycle=Lifecycle.PROSPECT).update(
            lifecycle=Lifecycle.CUSTOMER, colour=ColourGrade.RED, colour_sub=None)
    return won


def customer_grades_apply(*, grades: dict[int, str], graded_at: Any) -> list[tuple[int, str, str]]:
    """Write computed ABC grades (C1) onto the customers: the only way the grade field changes.

    Grading (analytics) computes; the card and visit planning read this field. Returns the
    changes as (customer id, old grade, new grade); a customer whose grade is unchanged is not
    written, so running the same grading twice changes nothing the second time.
    """
    valid = {"A", "B", "C", ""}
    if set(grades.values()) - valid:
        raise ValidationError(_("A grade is A, B or C."))
    ids = list(grades)
    changes: list[tuple[int, str, str]] = []
    with transaction.atomic():
        for start in range(0, len(ids), 10_000):
            chunk = ids[start:start + 10_000]
            for pk, old in Customer.objects.filter(pk__in=chunk).values_list("pk", "abc_grade"):
                if old != grades[pk]:
                    changes.append((pk, old, grades[pk]))
        by_grade: dict[str, list[int]] = {}
        for pk, _old, new in changes:
            by_grade.setdefault(new, []).append(pk)
        for grade, pks in by_grade.items():
            for start in range(0, len(pks), 10_000):
                Customer.objects.filter(pk__in=pks[start:start + 10_000]).update(abc_grade=grade, abc_graded_at=graded_at)
    return changes


@transaction.atomic
def customer_key_account_set(*, customer: Customer, is_key_account: bool, manager: User | None = None,
                             sponsor: User | None = None) -> Customer:
    """Make a customer a key account with its manager and senior-manager sponsor (C3), or not.

    The key-account programme decides (keyaccounts); this writes the customer's fields.
    """
    errors: dict[str, list[str]] = {}
    if is_key_account:
        if manager is None or not manager.is_active or manager.role != Role.KEY_ACCOUNT:
            errors["key_account_manager"] = [_("Choose an active key-account manager.")]
        if sponsor is None or not sponsor.is_active or sponsor.role != Role.SENIOR:
            errors["key_account_sponsor"] = [_("Choose an active senior manager as sponsor.")]
    if errors:
        raise ValidationError(errors)
    Customer.objects.filter(pk=customer.pk).update(
        is_key_account=is_key_account, key_account_manager=manager if is_key_account else None,
        key_account_sponsor=sponsor if is_key_account else None,
    )
    customer.refresh_from_db()
    return customer
