from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LifeEventKind, TouchMethod


class TouchpointForm(forms.Form):
    DONE, PLAN = "done", "plan"
    when = forms.ChoiceField(label=_("This touch"), choices=[(DONE, _("happened")), (PLAN, _("is planned"))],
                             widget=forms.RadioSelect, initial=DONE)
    method = forms.ChoiceField(label=_("touch method"), choices=TouchMethod.choices)
    contact = forms.TypedChoiceField(label=_("contact"), required=False, coerce=int, empty_value=None)
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.CharField(label=_("outcome"), max_length=300, required=False)
    cost = forms.DecimalField(label=_("cost (CNY)"), required=False, min_value=0, max_digits=10, decimal_places=2)
    notes = forms.CharField(label=_("notes"), max_length=300, required=False)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = list(customer.contacts.all()) if customer else []
        self.fields["contact"].choices = [("", "—")] + [(c.pk, f"{c.name} {c.title}".strip()) for c in contacts]


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("outcome"), max_length=300, required=False)
    cost = forms.DecimalField(label=_("cost (CNY)"), required=False, min_value=0, max_digits=10, decimal_places=2)


class LifeEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("occasion"), choices=LifeEventKind.choices)
    on = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("notes"), max_length=200, required=False)
