"""Forms for the reporter's pages, styled for the NHS.UK design system.

Forms only parse input (and check that an uploaded file is what it says it is); every rule
of raising a concern is ``workflow.services.raising.concern_raise``'s, and its refusals come
back onto these fields (``NhsForm.add_refusal``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile

from concerns.models import (
    Department,
    Organisation,
    ProfessionalGroup,
    RaisedElsewhere,
    ReporterRole,
    Route,
)
from concerns.selectors import category_list, organisation_list
from config import rules
from workflow.errors import InvalidInput
from workflow.models import DetrimentAnswer, SpeakUpAgain
from workflow.pages.forms import CaseFileField, NhsForm
from workflow.services.files import FILE_TYPES, file_check
from workflow.services.raising import NewAttachment, NewConcern

# --- NHS.UK styling ------------------------------------------------------------------------


class HintedRadioSelect(forms.RadioSelect):
    """Radios whose options can each carry a hint (rendered as nhsuk-radios__hint)."""

    def __init__(self, *args: Any, hints: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hints = hints or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["hint"] = self.hints.get(str(value), "")
        return option


class HintedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes for model choices; each option's hint is the object's help text."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        option["hint"] = getattr(instance, "help_text", "")
        return option


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the form's clean_attachments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


# --- Raising a concern ---------------------------------------------------------------------

ROUTE_HINTS = {
    Route.OPEN: "Your name is known to the guardian and may be used, with care, while they "
    "look into your concern. You need to sign in.",
    Route.CONFIDENTIAL: "Only the guardian knows your name. It is encrypted and never shared "
    "without your permission. You need to sign in.",
    Route.ANONYMOUS: "Nobody knows who you are: no account, no name, and we do not store your "
    "IP address or browser details. You get a receipt code to come back with. The guardian "
    "cannot contact you any other way, which can make a concern harder to look into.",
}


def attachment_check(upload: UploadedFile) -> NewAttachment:
    """One uploaded file -> NewAttachment, or a ValidationError saying what is wrong (the
    rules are ``workflow.services.files.file_check``'s, shared with every other upload)."""
    try:
        return file_check(upload=upload, field="attachments")
    except InvalidInput as refusal:
        raise forms.ValidationError(str(refusal)) from refusal


def department_choices() -> list[tuple[str, Any]]:
    """Departments grouped under their organisation, so the list works without JavaScript."""
    groups: list[tuple[str, Any]] = [("", "Not sure, or not listed")]
    for organisation in organisation_list():
        options = [(str(d.pk), d.name) for d in organisation.departments.all()]
        if options:
            groups.append((organisation.name, options))
    return groups


class DepartmentChoiceField(forms.ChoiceField):
    def clean(self, value: Any) -> Department | None:
        value = super().clean(value)
        if not value:
            return None
        return Department.objects.filter(pk=value).first()


_MAX_PK = 2**63 - 1  # the widest key a database column takes


def _pk_ok(value: Any) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= _MAX_PK


class IdChoiceField(forms.ModelChoiceField):
    """A model choice whose value must look like a key before it reaches the database (an
    over-long number would otherwise overflow the query: a 500, not a form error)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _pk_ok(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], "invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for item in value:
            if not _pk_ok(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(item)[:50]},
                )
        return super()._check_values(value)


class RaiseConcernForm(NhsForm):
    organisation = IdChoiceField(
        queryset=Organisation.objects.none(),
        label="Which organisation is your concern about?",
        help_text="The trust, practice or other provider where it happened.",
        empty_label="Choose an organisation",
        error_messages={"required": "Choose the organisation your concern is about"},
    )
    department = DepartmentChoiceField(
        choices=department_choices,
        label="Department or site (optional)",
        help_text="Leave this if you are not sure: a guardian can add it later.",
        required=False,
    )
    categories = IdMultipleChoiceField(
        queryset=category_list(),
        widget=HintedCheckboxes,
        label="What is your concern about?",
        help_text="Select all that apply.",
        error_messages={"required": "Select at least one thing your concern is about"},
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="What happened?",
        help_text="Say what happened, when and where, and who was affected. Do not include "
        "your own name if you want to stay anonymous.",
        max_length=20000,
        error_messages={
            "required": "Tell us what happened",
            "max_length": "What happened must be 20,000 characters or fewer",
        },
    )
    outcome_hoped = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What would you like to happen? (optional)",
        help_text="For example, a change to how things are done, or an apology.",
        required=False,
        max_length=5000,
        error_messages={"max_length": "This must be 5,000 characters or fewer"},
    )
    raised_elsewhere = forms.ChoiceField(
        choices=RaisedElsewhere.choices,
        widget=forms.RadioSelect,
        label="Have you already raised this somewhere else?",
        help_text="For example, with your supervisor, your university or your employer.",
        error_messages={"required": "Say whether you have raised this somewhere else"},
    )
    reporter_role = forms.ChoiceField(
        choices=ReporterRole.choices,
        widget=forms.RadioSelect,
        label="What is your role?",
        error_messages={"required": "Select your role"},
    )
    professional_group = forms.ChoiceField(
        choices=ProfessionalGroup.choices,
        label="Which professional group are you in?",
        help_text="This helps us see where concerns come from. It is never shown on its own.",
        initial=ProfessionalGroup.NOT_SAID,
    )
    attachments = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ",".join(FILE_TYPES)}),
        label="Attach files (optional)",
        help_text="Up to 5 files, each up to 10 MB: PDF, images (PNG, JPEG, GIF, WebP) or "
        "Office documents. Files can contain your name: check before you upload them.",
        required=False,
    )
    route = forms.ChoiceField(
        choices=Route.choices,
        widget=HintedRadioSelect(hints={str(k): v for k, v in ROUTE_HINTS.items()}),
        label="How do you want to raise your concern?",
        error_messages={"required": "Choose how you want to raise your concern"},
    )
    reporter_name = forms.CharField(
        label="Your name",
        required=False,
        max_length=200,
        error_messages={"max_length": "Your name must be 200 characters or fewer"},
    )
    reporter_contact = forms.CharField(
        label="How can the guardian contact you?",
        help_text="An email address or phone number.",
        required=False,
        max_length=300,
        error_messages={"max_length": "Contact details must be 300 characters or fewer"},
    )
    email_updates = forms.BooleanField(
        label="Email me when there is news about my concern",
        help_text="The email only says there is news; you read it after signing in.",
        required=False,
    )

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        self.user = user
        if user.is_authenticated:
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault("reporter_name", user.get_full_name())
            kwargs["initial"].setdefault("reporter_contact", getattr(user, "email", ""))
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisation_list()
        self.fields["categories"].queryset = category_list()

    def clean_attachments(self) -> list[NewAttachment]:
        files = self.cleaned_data.get("attachments") or []
        policy = rules.attachments()
        if len(files) > policy.max_files:
            raise forms.ValidationError(
                f"You can attach up to {policy.max_files} files. Remove "
                f"{len(files) - policy.max_files} and try again."
            )
        checked, problems = [], []
        for upload in files:
            try:
                checked.append(attachment_check(upload))
            except forms.ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise forms.ValidationError(problems)
        return checked

    def new_concern(self) -> NewConcern:
        """What was raised, as the service takes it (call once the form is valid)."""
        data = self.cleaned_data
        return NewConcern(
            organisation=data["organisation"],
            department=data["department"],
            categories=list(data["categories"]),
            description=data["description"],
            outcome_hoped=data["outcome_hoped"],
            raised_elsewhere=data["raised_elsewhere"],
            reporter_role=data["reporter_role"],
            professional_group=data["professional_group"],
            route=data["route"],
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            email_updates=data["email_updates"],
            attachments=data["attachments"],
        )


class RaiseStepForm(RaiseConcernForm):
    """One page of the raise journey: the same fields (and checks) as RaiseConcernForm,
    only those the page asks. ``heading`` makes one question's label the page's heading."""

    def __init__(
        self, *args: Any, fields: tuple[str, ...], heading: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if n not in fields]:
            del self.fields[name]
        if heading and len(self.fields) == 1:
            next(iter(self.fields.values())).label = heading


# --- Coming back and the conversation ------------------------------------------------------


class NoEchoTextInput(forms.TextInput):
    """A receipt code is a credential: like a password, it is never written back into a page."""

    def format_value(self, value: Any) -> None:
        return None


class ReceiptForm(NhsForm):
    code = forms.CharField(
        label="Your receipt code",
        help_text="The 24 letters and numbers you were given, for example "
        "7KQ2-M9XD-4TRB-8WNC-3HFA-P6QE. Capital letters and dashes do not matter.",
        max_length=60,
        error_messages={"required": "Enter your receipt code"},
        widget=NoEchoTextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class ReplyForm(NhsForm):
    prefix = "reply"
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Your reply",
        help_text="The guardian will see this in your conversation.",
        max_length=10000,
        error_messages={
            "required": "Write your reply",
            "max_length": "Your reply must be 10,000 characters or fewer",
        },
    )
    file = CaseFileField(label="Attach a file for the guardian (optional)")


class WithdrawForm(NhsForm):
    prefix = "withdraw"
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why are you withdrawing your concern? (optional)",
        help_text="This helps the guardian. You do not have to say.",
        required=False,
        max_length=2000,
        error_messages={"max_length": "This must be 2,000 characters or fewer"},
    )


class SpeakUpAgainForm(NhsForm):
    prefix = "again"
    answer = forms.ChoiceField(
        choices=SpeakUpAgain.choices,
        widget=forms.RadioSelect,
        label="Given your experience, would you speak up again?",
        error_messages={"required": "Choose an answer"},
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything you would like to add? (optional)",
        required=False,
        max_length=2000,
        error_messages={"max_length": "This must be 2,000 characters or fewer"},
    )


class DetrimentReportForm(NhsForm):
    """The reporter tells us, in their own words (a guardian's record is another form)."""

    prefix = "detriment"
    suffered = forms.ChoiceField(
        choices=DetrimentAnswer.choices,
        widget=forms.RadioSelect,
        label="Have you been treated worse because you spoke up?",
        help_text="For example, being left out, given worse shifts or assessments, or "
        "being bullied. This is called detriment.",
        error_messages={"required": "Choose an answer"},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What has happened? (optional)",
        required=False,
        max_length=5000,
        error_messages={"max_length": "This must be 5,000 characters or fewer"},
    )
