from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import Text


class TokenIn(serializers.Serializer):
    username = Text(max_length=150, trim_whitespace=False)
    # Hashing cost grows with length; nobody's password is longer than this.
    password = Text(max_length=1024, trim_whitespace=False)
    code = Text(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Staff: the current code from your authenticator app, or an unused "
        "recovery code (each works once). Not needed for reporters without MFA.",
    )


class TokenOut(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as 'Authorization: Token <token>'. Stored by Speak Up only as a hash: "
        "it cannot be shown again."
    )
    id = serializers.CharField(help_text="The token's id, to list or revoke it.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")


class TokenInfoOut(serializers.Serializer):
    id = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="The token this request was made with.")


class ReceiptSessionIn(serializers.Serializer):
    receipt_code = Text(max_length=64)


class ReceiptSessionOut(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as 'Authorization: Token <token>'. Valid for this one concern only, "
        "for a short time."
    )
    reference = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")
