from rest_framework.authentication import BaseAuthentication


class ReceiptTokenAuthentication(BaseAuthentication):
    """Placeholder until the API issue: anonymous receipt-session tokens."""

    def authenticate(self, request):  # type: ignore[no-untyped-def]
        return None
