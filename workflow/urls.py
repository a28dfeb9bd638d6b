from django.urls import include, path

from workflow.pages import views as pages

# Reporter pages (raise, receipt, my concerns, conversation) and the guardian workspace
# live in separate modules so each stays readable.
urlpatterns = [
    path("", include("workflow.pages.reporter.urls")),
    path("cases/", include("workflow.pages.guardian.urls")),
    path("workspace/", pages.landing, name="landing"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("privacy/", pages.privacy, name="privacy"),
]
