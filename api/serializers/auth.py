from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import Text


class TokenIn(serializers.Serializer):
    username = Text(max_length=150, trim_whitespace=False)
    # Hashing cost grows with length; nobody's password is longer than this.
    password = Text(max_length=1024, trim_whitespace=False)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class ReceiptSessionIn(serializers.Serializer):
    receipt_code = Text(max_length=64)


class ReceiptSessionOut(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as 'Authorization: Token <token>'. Valid for this one concern only, "
        "for a short time."
    )
    reference = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")
