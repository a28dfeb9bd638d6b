from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from concerns.models import Organisation
from concerns.roles import Role
from setup.services import ROLE_WORDS


class OrganisationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    code = forms.RegexField(
        label="ODS code",
        regex=r"^[A-Za-z0-9]{3,12}$",
        max_length=12,
        help_text="The organisation's code in the Organisation Data Service, for example RX1.",
        error_messages={"invalid": "Enter the ODS code: 3 to 12 letters and numbers."},
    )
    kind = forms.ChoiceField(label="Type of organisation", choices=Organisation.Kind.choices)
    guardian_contact = forms.CharField(
        label="Guardian contact details",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to reporters: how to reach this organisation's Freedom to Speak Up "
        "guardians, for example an email address and a phone number with hours.",
    )


class DepartmentForm(forms.Form):
    name = forms.CharField(label="Department or site", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: on the organisation's page it sits beside OrganisationForm, whose
        # ``name`` would otherwise share ``id_name`` (a duplicate id, the second label lost).
        kwargs.setdefault("auto_id", "id_department_%s")
        super().__init__(*args, **kwargs)


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    username = forms.RegexField(
        label="Username",
        regex=r"^[\w.@+-]{3,150}$",
        max_length=150,
        help_text="What they sign in with: letters, numbers and . @ + - _",
        error_messages={"invalid": "Enter a username of 3 to 150 letters, numbers or . @ + - _"},
    )
    role = forms.ChoiceField(
        label="Role", choices=[(str(r), w) for r, w in ROLE_WORDS.items()], widget=forms.RadioSelect
    )
    organisations = forms.ModelMultipleChoiceField(
        label="Organisations",
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Guardians, lead guardians and committee members see only these.",
    )

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role in {Role.GUARDIAN, Role.LEAD_GUARDIAN, Role.COMMITTEE} and not data.get(
            "organisations"
        ):
            self.add_error("organisations", "Choose the organisations this person works for.")
        return data


class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    help_text = forms.CharField(
        label="Explanation shown to reporters", max_length=300, required=False
    )


class RetentionForm(forms.Form):
    keep_for_ever = forms.BooleanField(label="Keep case content for ever", required=False)
    months_after_end = forms.IntegerField(
        label="Months to keep a case's content after it ends",
        min_value=1,
        max_value=1200,
        required=False,
        help_text="Then its text, files, conversation and the reporter's identity are erased.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("keep_for_ever") and not data.get("months_after_end"):
            self.add_error("months_after_end", "Enter a number of months, or keep for ever.")
        return data


class AcceptForm(SetPasswordForm):
    """Django's set-password form (the password validators apply)."""
