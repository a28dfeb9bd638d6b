from django.urls import path, re_path

from notifications import consumers
from workflow.socket_tokens import SOCKET_NAME_PATTERN

websocket_urlpatterns = [
    path("ws/queue/", consumers.QueueConsumer.as_asgi()),
    re_path(r"^ws/cases/(?P<reference>SU-\d{4}-\d{5})/$", consumers.CaseConsumer.as_asgi()),
    # A reporter's conversation: an opaque per-session token, never the concern's reference.
    re_path(
        rf"^ws/concern/(?P<token>{SOCKET_NAME_PATTERN})/$", consumers.ConcernConsumer.as_asgi()
    ),
    # Last: every other path is closed without a word in the logs (consumers.py says why).
    re_path(r"", consumers.UnknownPathConsumer.as_asgi()),
]
