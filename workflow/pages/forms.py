"""What every workflow form shares: the NHS.UK design system's classes, hints and errors
described for screen readers, and an error summary linking to each field.

Forms only parse input; the services decide. ``add_refusal`` puts a service's refusal on
the field it names, so a rule the service enforces reads on the page as a form error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy

from config import rules
from workflow.errors import InvalidInput
from workflow.services.files import FILE_TYPES, file_check
from workflow.services.raising import NewAttachment

# Grouped widgets are described on their fieldset by the template, not on each input.
_GROUPED = (forms.RadioSelect, forms.CheckboxSelectMultiple)
# First match wins: CheckboxSelectMultiple is a RadioSelect, so it comes first.
_CLASSES: tuple[tuple[type[forms.Widget], str], ...] = (
    (forms.Textarea, "nhsuk-textarea"),
    (forms.Select, "nhsuk-select"),
    (forms.ClearableFileInput, "nhsuk-file-upload"),
    (forms.TextInput, "nhsuk-input"),
    (forms.EmailInput, "nhsuk-input"),
    (forms.CheckboxSelectMultiple, "nhsuk-checkboxes__input"),
    (forms.RadioSelect, "nhsuk-radios__input"),
)


@dataclass(frozen=True)
class SummaryItem:
    href: str
    text: str


class NhsFormMixin:
    """Adds the NHS.UK classes, links each hint and error to its field (aria-describedby,
    aria-invalid) and offers ``error_summary``. For forms.Form and its subclasses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            css = next((c for kind, c in _CLASSES if isinstance(widget, kind)), "")
            if css:
                widget.attrs.setdefault("class", css)
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)
            self._describe(name)

    def _describe(self, name: str, *, error: bool = False) -> None:
        widget = self.fields[name].widget
        if isinstance(widget, _GROUPED):
            return
        auto_id = self[name].auto_id
        ids = [f"{auto_id}-hint"] if self.fields[name].help_text else []
        if error:
            ids.append(f"{auto_id}-error")
            widget.attrs["aria-invalid"] = "true"
            css = widget.attrs.get("class", "")
            if css and "--error" not in css:
                widget.attrs["class"] = f"{css} {css}--error"
        if ids:
            widget.attrs["aria-describedby"] = " ".join(ids)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self._describe(name, error=True)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field in self.fields:
            self._describe(field, error=True)

    def add_refusal(self, refusal: InvalidInput) -> None:
        """Each problem the service named, on its field (or the whole form's, if none)."""
        for field, message in refusal.problems.items():
            self.add_error(field if field in self.fields else None, message)

    def error_summary(self) -> list[SummaryItem]:
        """Each error once, linking to the field (the first option of a group)."""
        items = [SummaryItem("", str(e)) for e in self.non_field_errors()]
        for name in self.fields:
            if name not in self.errors:
                continue
            bound = self[name]
            grouped = isinstance(bound.field.widget, _GROUPED)
            anchor = f"#{bound.auto_id}_0" if grouped else f"#{bound.id_for_label}"
            items.extend(SummaryItem(anchor, str(e)) for e in bound.errors)
        return items


class NhsForm(NhsFormMixin, forms.Form):
    pass


def _file_hint() -> str:
    size = filesizeformat(rules.attachments().max_bytes)
    return f"A PDF, an image or an Office document, up to {size}."


class CaseFileField(forms.FileField):
    """One optional file for a message, reply or note, checked by ``files.file_check``
    (the same rules as the raise form's); cleans to a NewAttachment, or None if none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Attach a file (optional)")
        # Lazy: the size limit is a setting, read when the page is drawn, not at import.
        kwargs.setdefault("help_text", lazy(_file_hint, str)())
        kwargs.setdefault(
            "widget", forms.ClearableFileInput(attrs={"accept": ",".join(FILE_TYPES)})
        )
        kwargs.setdefault(
            "error_messages",
            {"empty": "The selected file is empty. Upload a file with something in it."},
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> NewAttachment | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return file_check(upload=upload)
        except InvalidInput as refusal:
            raise forms.ValidationError(str(refusal)) from refusal


def attached(file: NewAttachment | None) -> tuple[NewAttachment, ...]:
    """A CaseFileField's value as the services take it."""
    return () if file is None else (file,)


def posted_files(request: HttpRequest, data: Any) -> Any:
    """A form's uploads go with posted data only: a retry form (data None) stays unbound."""
    return None if data is None else request.FILES
