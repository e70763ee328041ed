from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import validate_day
from kehu.core.forms import RecordsChoiceField
from kehu.ledger.models import Product

from .models import CadencePolicy, DayStart, Outcome, PlanKind
from .services import POLICY_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (a visit's photos)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return super().clean(data, initial)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = CadencePolicy
        fields = POLICY_FIELDS
        widgets = {"day_start": TimeInput(format="%H:%M"), "day_end": TimeInput(format="%H:%M"),
                   "morning_end": TimeInput(format="%H:%M")}


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=PlanKind.choices)
    day = forms.DateField(label=_("a day in the period"), widget=DateInput, validators=[validate_day])


class ChecklistForm(forms.Form):
    skip_reason = forms.CharField(label=_("why the checklist is not complete"), required=False, max_length=300,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in reversed(DayStart.ITEMS):
            self.fields = {item: forms.BooleanField(label=DayStart._meta.get_field(item).verbose_name, required=False),
                           **self.fields}

    def ticked(self) -> list[str]:
        return [item for item in DayStart.ITEMS if self.cleaned_data.get(item)]


class MoveForm(forms.Form):
    date = forms.DateField(label=_("another day"), widget=DateInput, validators=[validate_day])


class EntryAddForm(forms.Form):
    customer: forms.ModelChoiceField = forms.ModelChoiceField(label=_("customer"), queryset=None)
    date = forms.DateField(label=_("date"), widget=DateInput, validators=[validate_day])
    goal = forms.CharField(label=_("visit goal"), required=False, max_length=200)

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class VisitLogForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices, widget=forms.RadioSelect)
    summary = forms.CharField(label=_("what happened"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    products = RecordsChoiceField(label=_("products discussed"), required=False,
                                  queryset=Product.objects.filter(active=True).order_by("code"),
                                  widget=forms.CheckboxSelectMultiple)
    next_step = forms.CharField(label=_("next step"), required=False, max_length=200)
    next_step_on = forms.DateField(label=_("next step on"), required=False, widget=DateInput, validators=[validate_day])
    photos = MultipleFileField(label=_("photos"), required=False)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("comment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=300)
