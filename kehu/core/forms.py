from django.core.exceptions import ValidationError
from django.forms import BaseForm, ModelMultipleChoiceField

from kehu.core.queries import as_id


def apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class RecordsChoiceField(ModelMultipleChoiceField):
    """Records ticked on a form. A value that is no record's number (text, or a number larger than
    a key can be) is refused as not a valid choice before the database is asked about it."""

    def _check_values(self, value):
        for pk in value:
            if as_id(pk) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super()._check_values(value)
