"""Forms of the guardian's workspace: input parsing only, no business rules.

Every form that changes the case carries the ``version`` the page was rendered with, so a
service can refuse a stale form (CaseChanged) instead of silently overwriting a newer change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from concerns.models import Category, QualityStandard, Route
from workflow.models import DetrimentAnswer, ReferralDestination, Status, Upheld
from workflow.pages.forms import CaseFileField, NhsForm

MAX_TEXT = 10_000


class VersionedForm(NhsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _text(
    label: str, *, required: bool = True, help_text: str = "", **kwargs: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea,
        **kwargs,
    )


class QueueFilterForm(NhsForm):
    q = forms.CharField(
        label="Find a case by reference",
        required=False,
        max_length=20,
        help_text="All or part of it, for example SU-2026-00042 or 42.",
    )
    status = forms.ChoiceField(label="Status", required=False)
    category = forms.ChoiceField(label="Category", required=False)
    organisation = forms.ChoiceField(label="Organisation", required=False)
    route = forms.ChoiceField(label="Route", required=False)
    assigned = forms.ChoiceField(
        label="Assigned",
        required=False,
        choices=[("", "Anyone"), ("me", "Assigned to me"), ("none", "Unassigned")],
    )
    due = forms.ChoiceField(
        label="Due",
        required=False,
        choices=[("", "Any time"), ("soon", "Due soon"), ("overdue", "Overdue")],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("due", "Due date"),
            ("activity", "Latest activity"),
            ("status", "Status"),
        ],
    )
    guardian = forms.CharField(required=False, max_length=150, widget=forms.HiddenInput)
    per_page = forms.TypedChoiceField(
        label="Cases per page",
        required=False,
        coerce=int,
        empty_value=25,
        choices=[(n, str(n)) for n in (5, 10, 25, 50, 100)],
    )

    def __init__(
        self,
        *args: Any,
        categories: QuerySet[Category],
        organisations: QuerySet,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("open", "Open cases"),
            ("all", "Any status"),
            *Status.choices,
        ]
        self.fields["route"].choices = [("", "Any route"), *Route.choices]
        self.fields["category"].choices = [("", "Any category")] + [
            (c.slug, c.name) for c in categories
        ]
        self.fields["organisation"].choices = [("", "All my organisations")] + [
            (o.code, o.name) for o in organisations
        ]

    def valid_values(self) -> dict[str, Any]:
        """What was asked for, ignoring any value that is not one of the choices."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}

    def queue_filters(self) -> tuple[dict[str, Any], int]:
        """The selector's filters (status "open" is the default, "all" is none) and the
        page size."""
        wanted = self.valid_values()
        per_page = wanted.pop("per_page", 25)
        status = wanted.pop("status", "open")
        if status == "open":
            wanted["open_only"] = True
        elif status != "all":
            wanted["status"] = status
        if "q" in wanted:
            wanted["q"] = wanted["q"].strip().upper()
        return wanted, per_page

    @property
    def has_filters(self) -> bool:
        """Whether anything beyond the defaults is chosen (the filters then show open)."""
        chosen = self.valid_values()
        status = chosen.pop("status", "open")
        return status != "open" or bool(set(chosen) - {"per_page", "q", "sort", "guardian"})


class TransitionForm(VersionedForm):
    note = _text("Note (optional)", required=False, help_text="Recorded in the case timeline.")


class FeedbackForm(VersionedForm):
    message = _text(
        "Your feedback to the reporter",
        help_text="What you found and what is being done. The reporter sees this as your "
        "feedback, even if they are anonymous.",
        error_messages={"required": "Write your feedback to the reporter."},
    )
    note = _text("Note for the timeline (optional)", required=False)


class CloseForm(VersionedForm):
    message = _text(
        "Outcome summary for the reporter (optional)",
        required=False,
        help_text="Shown to the reporter with the news that their concern is closed.",
    )
    note = _text("Note for the timeline (optional)", required=False)


NAME_SHARED = [
    ("no", "No, their name was not passed on"),
    ("yes", "Yes, with the reporter's agreement"),
]


class ReferForm(VersionedForm):
    destination = forms.ChoiceField(
        label="Where is the concern being referred?",
        choices=ReferralDestination.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the concern is referred to."},
    )
    name_shared = forms.ChoiceField(
        label="Did the reporter's name go with the referral?",
        choices=NAME_SHARED,
        widget=forms.RadioSelect,
        help_text="The reporter is told which.",
        error_messages={"required": "Say whether the reporter's name went with the referral."},
    )
    note = _text(
        "Reason for referring",
        help_text="Recorded in the case timeline.",
        error_messages={"required": "Give the reason for referring."},
    )
    message = _text(
        "What to tell the reporter (optional)",
        required=False,
        help_text="They are told where their concern went; add who will contact them, or how.",
    )

    def __init__(self, *args: Any, anonymous: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if anonymous:
            # Nobody knows an anonymous reporter's name, so there is nothing to ask.
            del self.fields["name_shared"]

    def clean_name_shared(self) -> bool:
        return self.cleaned_data["name_shared"] == "yes"


class ReopenForm(VersionedForm):
    note = _text(
        "Reason for reopening",
        help_text="Recorded in the case timeline.",
        error_messages={"required": "Give the reason for reopening."},
    )


TRANSITION_FORMS: dict[str, type[VersionedForm]] = {
    "give_feedback": FeedbackForm,
    "close": CloseForm,
    "refer": ReferForm,
    "reopen": ReopenForm,
}


def transition_form_class(name: str) -> type[VersionedForm]:
    return TRANSITION_FORMS.get(name, TransitionForm)


class AssignForm(VersionedForm):
    guardian = forms.ModelChoiceField(
        label="Guardian",
        queryset=None,
        empty_label="Choose a guardian",
        error_messages={
            "required": "Choose a guardian.",
            "invalid_choice": "Choose a guardian who serves this organisation.",
        },
    )

    def __init__(self, *args: Any, guardians: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = guardians
        self.fields["guardian"].label_from_instance = lambda u: u.get_full_name() or u.username


class MessageForm(NhsForm):
    body = _text(
        "Message to the reporter",
        help_text="The reporter sees this in their conversation, even if they are anonymous.",
        error_messages={"required": "Write your message to the reporter."},
    )
    file = CaseFileField(label="Attach a file for the reporter (optional)")


class NoteForm(NhsForm):
    body = _text(
        "Internal note",
        help_text="Only guardians see this. Never shown to the reporter.",
        error_messages={"required": "Write the note."},
    )
    file = CaseFileField(label="Attach a file to the note (optional)")


class TriageForm(VersionedForm):
    categories = forms.ModelMultipleChoiceField(
        label="Categories",
        queryset=Category.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="slug",
        error_messages={"required": "Choose at least one category."},
    )
    standards = forms.ModelMultipleChoiceField(
        label="Quality standards",
        queryset=QualityStandard.objects.select_related("domain"),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
        required=False,
    )
    note = _text("Why (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standards"].label_from_instance = lambda s: f"{s.code} {s.text[:90]}"


class OutcomeForm(VersionedForm):
    upheld = forms.ChoiceField(
        label="Was the concern upheld?",
        choices=Upheld.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the concern was upheld."},
    )
    findings = _text("What was found", error_messages={"required": "Say what was found."})
    actions = _text("What was done", required=False)
    lessons = _text("Lessons for the organisation", required=False)


class DetrimentRecordForm(NhsForm):
    """The guardian records what the reporter told them (the reporter's own account is
    reporter.forms.DetrimentReportForm)."""

    suffered = forms.ChoiceField(
        label="Does the reporter say they suffered detriment for speaking up?",
        choices=DetrimentAnswer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the reporter says they suffered detriment."},
    )
    note = _text("Note (optional)", required=False)


class RevealForm(NhsForm):
    reason = _text(
        "Why do you need to see the reporter's identity?",
        help_text="Your reason is recorded in the case timeline.",
        error_messages={"required": "Give a reason for revealing the reporter's identity."},
    )
