"""Forms of the filer's pages (labels and errors come from here; nothing asks for a password)."""
from __future__ import annotations

from django import forms

from accounts.models import HelpReason


class AccountForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)


class HelpForm(AccountForm):
    reason = forms.ChoiceField(label="What do you need help with?", choices=HelpReason.choices, widget=forms.RadioSelect)
    text = forms.CharField(label="Tell us more (needed for \"Something else\")", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class EmailForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
