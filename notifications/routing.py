from django.urls import path, re_path

from notifications import consumers

websocket_urlpatterns = [
    path("ws/queue/", consumers.QueueConsumer.as_asgi()),
    re_path(r"^ws/cases/(?P<reference>SU-\d{4}-\d{5})/$", consumers.CaseConsumer.as_asgi()),
    re_path(r"^ws/concerns/(?P<reference>SU-\d{4}-\d{5})/$", consumers.ConcernConsumer.as_asgi()),
]
