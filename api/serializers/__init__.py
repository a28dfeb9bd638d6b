"""Input and output serializers, one pair per endpoint, grouped by who uses them."""
