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
    """Input a form or serializer should have caught (a blank text, an unknown choice).

    A subclass of TransitionRefused so existing handlers answer 4xx, never 500; handlers
    that know it may answer 400.
    """
