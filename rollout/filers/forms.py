"""Forms of the filer's pages (labels and errors come from here; nothing asks for a password)."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.emails import email_address_problem
from accounts.models import HelpReason


def form_problems(form: forms.Form) -> str:
    """A bound, invalid form's errors in one message for the status page, where they show above the
    forms rather than beside a field (so each error says which field it is about)."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


NOT_YOURS = "That CM/ECF login is not one of yours."
CHOOSE_REASON = "Choose what you need help with (and tell us more for \"Something else\")."
HELP_TEXT_MAX = 2000


class AccountForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": NOT_YOURS, "invalid": NOT_YOURS})


class HelpForm(AccountForm):
    reason = forms.ChoiceField(label="What do you need help with?", choices=HelpReason.choices, widget=forms.RadioSelect,
                               error_messages={"required": CHOOSE_REASON, "invalid_choice": CHOOSE_REASON})
    text = forms.CharField(label="Tell us more (needed for \"Something else\")", required=False, max_length=HELP_TEXT_MAX,
                           error_messages={"max_length": f"Tell us more: at most {HELP_TEXT_MAX:,} characters."},
                           widget=forms.Textarea(attrs={"rows": 3}))


class EmailForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             error_messages={"required": "Enter your email address.",
                                             "invalid": "Enter a valid email address."},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def clean_email(self) -> str:
        # An address the sender would refuse is refused here too, before any link is mailed to it.
        value = self.cleaned_data["email"]
        problem = email_address_problem(value)
        if problem:
            raise ValidationError(problem)
        return value
