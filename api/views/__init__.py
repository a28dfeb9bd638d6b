"""API views: parse with an input serializer, call a service or selector, answer with an
output serializer. No rule about who may do what lives here."""
