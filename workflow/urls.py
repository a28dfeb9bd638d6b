from django.urls import include, path

from workflow import views_pages

# Reporter pages (raise, receipt, my concerns, conversation) and the guardian workspace
# live in separate modules so each stays readable.
urlpatterns = [
    path("", include("workflow.urls_reporter")),
    path("cases/", include("workflow.urls_guardian")),
    path("workspace/", views_pages.landing, name="landing"),
    path("accessibility/", views_pages.accessibility, name="accessibility"),
    path("privacy/", views_pages.privacy, name="privacy"),
]
