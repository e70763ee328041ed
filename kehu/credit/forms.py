from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Investigation, WriteOffKind


class InvestigationForm(forms.ModelForm):
    class Meta:
        model = Investigation
        fields = ["investigated_on", "registered_capital", "years_in_business", "ownership", "staff_size",
                  "revenue_band", "main_suppliers", "banks", "payment_record_us", "payment_record_others",
                  "legal_disputes", "impression", "notes"]
        widgets = {"investigated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "notes": forms.Textarea(attrs={"rows": 3})}

    attachments = forms.FileField(label=_("Attachments"), required=False,
                                  widget=forms.ClearableFileInput(attrs={"allow_multiple_selected": True}))


class ApplicationForm(forms.Form):
    requested_limit = forms.CharField(label=_("Requested limit (CNY)"), max_length=30,
                                      widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    requested_terms_days = forms.CharField(label=_("Payment terms (days)"), max_length=6,
                                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))],
                                 widget=forms.RadioSelect)
    amount = forms.CharField(label=_("Approved amount (CNY), if lower"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    terms_days = forms.CharField(label=_("Approved terms (days), if shorter"), required=False, max_length=6,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExceptionRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why should this order go ahead?"), widget=forms.Textarea(attrs={"rows": 3}))


class ExceptionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WriteOffForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=WriteOffKind.choices)
    amount = forms.CharField(label=_("Amount (CNY)"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RecoveryForm(forms.Form):
    amount = forms.CharField(label=_("Amount recovered (CNY)"), max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
