from typing import cast

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"))
    file = forms.FileField(label=_("File"), help_text=_(".xlsx, .xls, .ods or .csv (UTF-8 or GBK)"))

    def __init__(self, *args, kinds: list[tuple[str, str | Promise]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds
