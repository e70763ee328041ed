from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.dates import validate_day
from kehu.customers.models import ColourGrade, Industry, PursuitDecision, SourceMethod

from .models import FormerKind, NewsSignal

DATE = forms.DateInput(attrs={"type": "date"})


class CompanyForm(forms.Form):
    """The company and its person, as a rep types them on a phone: the least that identifies it."""

    name = forms.CharField(label=_("company name"), max_length=120)
    contact_name = forms.CharField(label=_("contact"), max_length=60, required=False)
    contact_title = forms.CharField(label=_("title"), max_length=60, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    uscc = forms.CharField(label=_("unified social credit code"), max_length=25, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    different_company = forms.BooleanField(
        label=_("It is a different company with a similar name or the same phone"), required=False)

    def company(self) -> dict:
        d = self.cleaned_data
        return {k: d.get(k, "") for k in ("name", "phone", "uscc", "address") if d.get(k)}

    def contact(self) -> dict:
        d = self.cleaned_data
        return {"name": d.get("contact_name", ""), "title": d.get("contact_title", ""), "phone": d.get("phone", "")}


class ExhibitionProspectForm(CompanyForm):
    booth = forms.CharField(label=_("booth"), max_length=40, required=False)
    supply = forms.CharField(label=_("current oil supply"), max_length=200, required=False,
                             help_text=_("Ask before walking up: who supplies their oil now, and how."))
    background = forms.CharField(label=_("background"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["booth", "supply", "name", "contact_name", "contact_title", "phone", "uscc", "background", "address",
                   "different_company"]


class ReferralForm(CompanyForm):
    referrer = forms.CharField(label=_("referred by / how they came to us"), max_length=120, required=False)
    background = forms.CharField(label=_("background"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExhibitionForm(forms.Form):
    name = forms.CharField(label=_("exhibition"), max_length=120)
    starts_on = forms.DateField(label=_("first day"), widget=DATE)
    ends_on = forms.DateField(label=_("last day"), widget=DATE)
    venue = forms.CharField(label=_("venue"), max_length=120, required=False)
    industry = forms.ModelChoiceField(label=_("industry"), queryset=Industry.objects.all(), required=False)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("campaign"), max_length=120)
    industry = forms.ModelChoiceField(label=_("industry"), queryset=Industry.objects.all())
    character = forms.CharField(label=_("the industry's character"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    people = forms.CharField(label=_("its people"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    climate = forms.CharField(label=_("recent business climate"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sunset = forms.BooleanField(label=_("sunset industry"), required=False)
    avoid = forms.CharField(label=_("talking points to avoid"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MemberUploadForm(forms.Form):
    file = forms.FileField(label=_("member list (Excel)"),
                           help_text=_("Columns: company name; optional: phone, USCC, address, contact, representative."))


class ClippingForm(CompanyForm):
    source = forms.CharField(label=_("source"), max_length=120, help_text=_("Newspaper, website, classified ads…"))
    published_on = forms.DateField(label=_("published on"), widget=DATE)
    signal = forms.ChoiceField(label=_("signal"), choices=NewsSignal.choices)
    text = forms.CharField(label=_("text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("photo"), required=False)

    field_order = ["source", "published_on", "signal", "text", "photo", "name", "contact_name", "contact_title", "phone",
                   "uscc", "address", "different_company"]


class FormerContactForm(CompanyForm):
    kind = forms.ChoiceField(label=_("kind"), choices=FormerKind.choices)
    former_employer = forms.CharField(label=_("my former employer"), max_length=120, required=False)
    notes = forms.CharField(label=_("notes"), max_length=200, required=False)

    field_order = ["kind", "contact_name", "contact_title", "name", "phone", "former_employer", "notes", "uscc",
                   "address", "different_company"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].required = True
        self.fields["contact_name"].label = _("person")


class ColourForm(forms.Form):
    colour = forms.ChoiceField(label=_("colour grade"), choices=ColourGrade.choices)
    sub = forms.TypedChoiceField(label=_("sub-level"), required=False, coerce=int, empty_value=None, choices=[])
    reason = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub"].choices = [("", "—")] + [(lv.number, str(lv)) for lv in levels]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("pursuit decision"), choices=PursuitDecision.choices)
    reason = forms.CharField(label=_("reason"), max_length=200)
    review_on = forms.DateField(label=_("next review"), required=False, widget=DATE)


class ReviveForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)
    review_on = forms.DateField(label=_("next review"), widget=DATE)


class FunnelFilterForm(forms.Form):
    by = forms.ChoiceField(label=_("by"), required=False,
                           choices=[("method", _("method")), ("record", _("exhibition, campaign, source"))])
    team = forms.TypedChoiceField(label=_("team"), required=False, coerce=int, empty_value=None)
    rep = forms.TypedChoiceField(label=_("rep"), required=False, coerce=int, empty_value=None)
    since = forms.DateField(label=_("filed from"), required=False, widget=DATE, validators=[validate_day])
    until = forms.DateField(label=_("filed until"), required=False, widget=DATE, validators=[validate_day])

    def __init__(self, *args, teams=(), reps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "—")] + [(t.pk, str(t)) for t in teams]
        self.fields["rep"].choices = [("", "—")] + [(u.pk, str(u)) for u in reps]


METHOD_FORMS: dict[str, type[ReferralForm]] = {SourceMethod.REFERRAL: ReferralForm, SourceMethod.INBOUND: ReferralForm}
