from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from api.views import auth, cases, concerns, docs, reference

app_name = "api"
urlpatterns = [
    path("health/", reference.HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("anonymous/sessions/", auth.ReceiptSessionView.as_view(), name="receipt-session"),
    path("organisations/", reference.OrganisationListView.as_view(), name="organisations"),
    path("categories/", reference.CategoryListView.as_view(), name="categories"),
    path("standards/", reference.StandardListView.as_view(), name="standards"),
    path("concerns/", concerns.ConcernsView.as_view(), name="concerns"),
    path("concerns/<str:reference>/", concerns.ConcernDetailView.as_view(), name="concern"),
    path(
        "concerns/<str:reference>/messages/",
        concerns.ConcernMessagesView.as_view(),
        name="concern-messages",
    ),
    path(
        "concerns/<str:reference>/withdraw/",
        concerns.ConcernWithdrawView.as_view(),
        name="concern-withdraw",
    ),
    path(
        "concerns/<str:reference>/feedback/",
        concerns.ConcernFeedbackView.as_view(),
        name="concern-feedback",
    ),
    path("cases/", cases.CaseQueueView.as_view(), name="cases"),
    path("cases/<str:reference>/", cases.CaseDetailView.as_view(), name="case"),
    path("cases/<str:reference>/events/", cases.CaseEventsView.as_view(), name="case-events"),
    path("cases/<str:reference>/assign/", cases.CaseAssignView.as_view(), name="case-assign"),
    path(
        "cases/<str:reference>/transitions/<str:name>/",
        cases.CaseTransitionView.as_view(),
        name="case-transition",
    ),
    path("cases/<str:reference>/messages/", cases.CaseMessagesView.as_view(), name="case-messages"),
    path("cases/<str:reference>/notes/", cases.CaseNotesView.as_view(), name="case-notes"),
    path("cases/<str:reference>/outcome/", cases.CaseOutcomeView.as_view(), name="case-outcome"),
    path("reports/", include("api.reports_urls")),
]
