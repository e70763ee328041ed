"""Credit records in the back office: for looking, not for changing.

Every change to credit goes through ``services.py`` (the rules and the audit trail live there), so
the admin shows investigations, applications, limits, checks, exceptions, write-offs, liabilities
and the audit trail read-only. The credit policy is the one thing edited here, and only by adding
a new version through ``services.policy_create``: versions in force are never changed or deleted,
because past decisions keep the version they were made under.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from kehu.accounts.models import Role

from . import services
from .models import (
    AuditEntry,
    CreditAccount,
    CreditCheck,
    CreditException,
    CreditLimit,
    CreditPolicy,
    Investigation,
    Liability,
    LimitApplication,
    Recovery,
    ReviewTask,
    WriteOff,
)


class ViewOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff with the view permission; nobody adds, changes or deletes here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ViewOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- the policy: new versions only ---------------------------------------------------------


class PolicyVersionForm(forms.ModelForm):
    """Saves a new version through ``services.policy_create`` once the form is otherwise valid
    (the admin view runs in one transaction, so nothing stays if a later step fails)."""

    request_user = None  # set by the admin for each request

    class Meta:
        model = CreditPolicy
        fields = ["effective_from", "investigation_valid_days", "limit_valid_days", "grace_days", "max_terms_days",
                  "handler_share_pct", "approver_share_pct", "review_expiry_days", "review_utilisation_pct",
                  "review_utilisation_days", "review_overdue_days", "freeze_overdue_days",
                  "review_lateness_rise_days", "scorecard_rules", "scorecard_bands"]

    def _post_clean(self):
        super()._post_clean()  # the model's own checks, uniqueness of the date included
        if self.errors:
            return
        data = {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
        try:
            self.created = services.policy_create(user=self.request_user, data=data)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.created


@admin.register(CreditPolicy)
class CreditPolicyAdmin(admin.ModelAdmin):
    form = PolicyVersionForm
    list_display = ["effective_from", "investigation_valid_days", "limit_valid_days", "grace_days", "max_terms_days",
                    "handler_share_pct", "approver_share_pct", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or request.user.role == Role.ADMIN)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request_user": request.user})

    def save_model(self, request, obj, form, change) -> None:
        """Saved (and audited) by the service when the form was validated."""


# --- the records, read-only ----------------------------------------------------------------


@admin.register(Investigation)
class InvestigationAdmin(ViewOnlyAdmin):
    list_display = ["customer", "investigated_on", "investigated_by", "score", "risk_class"]
    list_filter = ["risk_class", "ownership", "revenue_band"]
    search_fields = ["customer__name", "customer__code"]
    list_select_related = ["customer", "investigated_by"]
    date_hierarchy = "investigated_on"


@admin.register(LimitApplication)
class LimitApplicationAdmin(ViewOnlyAdmin):
    list_display = ["customer", "applicant", "requested_limit", "requested_terms_days", "status", "decided_by",
                    "approved_limit", "created_at"]
    list_filter = ["status"]
    search_fields = ["customer__name", "customer__code", "applicant__username"]
    list_select_related = ["customer", "applicant", "decided_by"]


@admin.register(CreditLimit)
class CreditLimitAdmin(ViewOnlyAdmin):
    list_display = ["customer", "amount", "terms_days", "approved_by", "valid_from", "review_on", "is_current"]
    list_filter = ["is_current"]
    search_fields = ["customer__name", "customer__code"]
    list_select_related = ["customer", "approved_by"]


@admin.register(CreditAccount)
class CreditAccountAdmin(ViewOnlyAdmin):
    list_display = ["customer", "frozen", "frozen_reason"]
    list_filter = ["frozen"]
    search_fields = ["customer__name", "customer__code"]
    list_select_related = ["customer"]


@admin.register(CreditCheck)
class CreditCheckAdmin(ViewOnlyAdmin):
    list_display = ["order", "customer", "checked_at", "checked_by", "order_amount", "exposure_before",
                    "limit_amount", "result"]
    list_filter = ["result"]
    search_fields = ["order__number", "customer__name", "customer__code"]
    list_select_related = ["order", "customer", "checked_by"]


@admin.register(CreditException)
class CreditExceptionAdmin(ViewOnlyAdmin):
    list_display = ["order", "requested_by", "order_amount", "exposure_after", "status", "decided_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "order__customer__name"]
    list_select_related = ["order", "requested_by", "decided_by"]


class LiabilityInline(ViewOnlyInline):
    model = Liability


class RecoveryInline(ViewOnlyInline):
    model = Recovery


@admin.register(WriteOff)
class WriteOffAdmin(ViewOnlyAdmin):
    list_display = ["customer", "receivable", "kind", "amount", "recovered", "written_off_on", "by", "covered"]
    list_filter = ["kind", "covered"]
    search_fields = ["customer__name", "customer__code", "receivable__order__number"]
    list_select_related = ["customer", "receivable__order", "by"]
    inlines = [LiabilityInline, RecoveryInline]


@admin.register(Liability)
class LiabilityAdmin(ViewOnlyAdmin):
    list_display = ["person", "role", "write_off", "share_pct", "amount", "reduced_by_recovery"]
    list_filter = ["role"]
    search_fields = ["person__username", "person__display_name", "write_off__customer__name"]
    list_select_related = ["person", "write_off__customer"]


@admin.register(ReviewTask)
class ReviewTaskAdmin(ViewOnlyAdmin):
    list_display = ["customer", "reason", "raised_on", "done_at", "done_by"]
    list_filter = ["reason"]
    search_fields = ["customer__name", "customer__code"]
    list_select_related = ["customer", "done_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "customer"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_type", "customer__name", "user__username"]
    list_select_related = ["user", "customer"]
    date_hierarchy = "at"
