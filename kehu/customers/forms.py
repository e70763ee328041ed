from typing import cast

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Region, Role, Team, User
from kehu.accounts.permissions import assignable_owners

from .models import AbcGrade, ColourGrade, Contact, Customer, CustomerNeed, Industry, Lifecycle


class CustomerFilterForm(forms.Form):
    """Parses the list's query string; bad values are ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Owner"))
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, label=_("Team"))
    region = forms.ModelChoiceField(queryset=Region.objects.all(), required=False, label=_("Region"))
    industry = forms.ModelChoiceField(queryset=Industry.objects.all(), required=False, label=_("Industry"))
    lifecycle = forms.ChoiceField(choices=[("", _("Any stage"))] + Lifecycle.choices, required=False, label=_("Lifecycle"))
    colour = forms.ChoiceField(choices=[("", _("Any colour"))] + ColourGrade.choices, required=False, label=_("Colour grade"))
    grade = forms.ChoiceField(choices=[("", _("Any grade"))] + AbcGrade.choices + [("-", _("Not graded"))], required=False, label=_("ABC grade"))
    key = forms.ChoiceField(choices=[("", _("All")), ("1", _("Key accounts only"))], required=False, label=_("Key accounts"))
    ordering = forms.ChoiceField(
        choices=[("code", _("Code")), ("name", _("Name (pinyin)")), ("-updated", _("Recently changed")), ("grade", _("ABC grade"))],
        required=False, label=_("Sort by"),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        owners = owner_choices(user)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owners
        if not (user.sees_all or user.role == Role.SUPERVISOR):
            del self.fields["team"]
        if not owners.exclude(pk=user.pk).exists():
            del self.fields["owner"]


def owner_choices(user: User):
    if user.sees_all:
        # EXISTS, not a join: a join over every customer costs ~100 ms at 100,000 customers.
        return User.objects.filter(Exists(Customer.objects.filter(owner=OuterRef("pk"))), is_active=True).order_by("username")
    return assignable_owners(user).order_by("username")


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "name", "short_name", "code", "uscc", "industry", "region", "owner", "phone", "website", "address",
            "lifecycle", "colour", "colour_sub", "source", "source_detail", "pursuit", "pursuit_reason",
            "is_key_account", "current_supplier", "buying_process", "our_share_pct", "payment_terms_days", "notes",
        ]
        widgets = {
            "buying_process": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        owners = assignable_owners(user)
        if self.instance.pk:  # keeping the current owner is always allowed
            owners = User.objects.filter(Q(pk__in=owners.values("pk")) | Q(pk=self.instance.owner_id))
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owners.order_by("username")
        self.fields["owner"].required = False
        self.fields["code"].required = False
        self.fields["code"].help_text = _("Leave empty and Kehu assigns the next code.")
        # Unique checks are the service's and the database's; the form only parses.
        self._validate_unique = False
        if user.role == Role.REP:
            # Payment terms come from an approved credit application, not from the rep.
            del self.fields["payment_terms_days"]
            del self.fields["is_key_account"]

    def validate_unique(self):
        pass


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "wechat", "email", "decision_role", "is_primary",
                  "birthday_lunar", "birthday_leap", "birthday_year", "birthday_month", "birthday_day", "notes"]


class NeedForm(forms.ModelForm):
    class Meta:
        model = CustomerNeed
        fields = ["category", "description", "monthly_volume", "unit", "current_supplier", "our_share_pct"]
