from django.urls import include, path

# Reporter pages (raise, receipt, my concerns, conversation) and the guardian workspace
# live in separate modules so each stays readable.
urlpatterns = [
    path("", include("workflow.urls_reporter")),
    path("cases/", include("workflow.urls_guardian")),
]
