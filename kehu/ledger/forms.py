import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OrderStatus, PaymentChannel, PaymentMethod


class OrderHeaderForm(forms.Form):
    order_date = forms.DateField(label=_("Order date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    payment_method = forms.ChoiceField(label=_("Payment"), choices=PaymentMethod.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"order_date": timezone.localdate(), "payment_method": PaymentMethod.CREDIT})
        super().__init__(*args, **kwargs)

    def clean_order_date(self) -> datetime.date:
        day = self.cleaned_data["order_date"]
        if day.year < 2000:
            raise forms.ValidationError(_("The order date is too far in the past."))
        return day


class OrderFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=60, label=_("Search"))
    status = forms.ChoiceField(
        required=False, label=_("Status"),
        choices=[("", _("Any status")), ("open", _("Open (draft, confirmed, delivered)"))] + OrderStatus.choices,
    )
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount (CNY)"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    channel = forms.ChoiceField(label=_("Channel"), choices=PaymentChannel.choices)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=60)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
