from __future__ import annotations

from collections.abc import Mapping


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message is safe to show."""


class CaseNotFound(CaseError):
    """Not there, or not yours: the same answer either way."""


class NotPermitted(CaseError):
    pass


class TransitionRefused(CaseError):
    pass


class CaseChanged(CaseError):
    def __init__(
        self,
        message: str = "The case changed while you were working on it. "
        "Reload the page to see the latest, then try again.",
    ) -> None:
        super().__init__(message)


class InvalidInput(TransitionRefused):
    """Input the service refuses: a blank text, an unknown choice, a rule of raising.

    A subclass of TransitionRefused so existing handlers answer 4xx, never 500; handlers
    that know it may answer 400. ``problems`` names the input each message is about ("" for
    none), so a page can show it on its field and the API name the field in its 400.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.problems: dict[str, str] = {field: message}

    @classmethod
    def of(cls, problems: Mapping[str, str]) -> InvalidInput:
        """Several problems at once (a form shows them all, not one per try)."""
        field, message = next(iter(problems.items()))
        error = cls(message, field=field)
        error.problems = dict(problems)
        return error
