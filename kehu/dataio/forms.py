from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"))
    file = forms.FileField(label=_("File"), help_text=_(".xlsx, .xls, .ods or .csv (UTF-8 or GBK)"))

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
