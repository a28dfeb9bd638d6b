from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView

from api.views import auth, cases, concerns, docs, reference


class ReferenceConverter:
    """A concern's reference (SU-2026-00012): letters, digits and dashes only, so that
    nothing else (a NUL byte, say) ever reaches a query. Anything else is a plain 404."""

    regex = "[A-Za-z0-9-]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

app_name = "api"
urlpatterns = [
    path("health/", reference.HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("auth/tokens/", auth.TokenListView.as_view(), name="tokens"),
    path("auth/tokens/<str:token_id>/", auth.TokenDetailView.as_view(), name="token-detail"),
    path("auth/sign-out/", auth.SignOutView.as_view(), name="sign-out"),
    path("anonymous/sessions/", auth.ReceiptSessionView.as_view(), name="receipt-session"),
    # A receipt holder's concern: the session says which; no reference in these URLs.
    path("anonymous/concern/", concerns.ReceiptConcernView.as_view(), name="receipt-concern"),
    path(
        "anonymous/concern/messages/",
        concerns.ReceiptMessagesView.as_view(),
        name="receipt-concern-messages",
    ),
    path(
        "anonymous/concern/files/<int:number>/",
        concerns.ReceiptFileView.as_view(),
        name="receipt-concern-file",
    ),
    path(
        "anonymous/concern/withdraw/",
        concerns.ReceiptWithdrawView.as_view(),
        name="receipt-concern-withdraw",
    ),
    path(
        "anonymous/concern/feedback/",
        concerns.ReceiptFeedbackView.as_view(),
        name="receipt-concern-feedback",
    ),
    path("organisations/", reference.OrganisationListView.as_view(), name="organisations"),
    path("categories/", reference.CategoryListView.as_view(), name="categories"),
    path("standards/", reference.StandardListView.as_view(), name="standards"),
    path("concerns/", concerns.ConcernsView.as_view(), name="concerns"),
    path("concerns/<ref:reference>/", concerns.ConcernDetailView.as_view(), name="concern"),
    path(
        "concerns/<ref:reference>/messages/",
        concerns.ConcernMessagesView.as_view(),
        name="concern-messages",
    ),
    path(
        "concerns/<ref:reference>/files/<int:number>/",
        concerns.ConcernFileView.as_view(),
        name="concern-file",
    ),
    path(
        "concerns/<ref:reference>/withdraw/",
        concerns.ConcernWithdrawView.as_view(),
        name="concern-withdraw",
    ),
    path(
        "concerns/<ref:reference>/feedback/",
        concerns.ConcernFeedbackView.as_view(),
        name="concern-feedback",
    ),
    path("cases/", cases.CaseQueueView.as_view(), name="cases"),
    path("cases/<ref:reference>/", cases.CaseDetailView.as_view(), name="case"),
    path("cases/<ref:reference>/events/", cases.CaseEventsView.as_view(), name="case-events"),
    path("cases/<ref:reference>/assign/", cases.CaseAssignView.as_view(), name="case-assign"),
    path(
        "cases/<ref:reference>/transitions/<slug:name>/",
        cases.CaseTransitionView.as_view(),
        name="case-transition",
    ),
    path("cases/<ref:reference>/messages/", cases.CaseMessagesView.as_view(), name="case-messages"),
    path("cases/<ref:reference>/notes/", cases.CaseNotesView.as_view(), name="case-notes"),
    path(
        "cases/<ref:reference>/files/<int:number>/",
        cases.CaseFileView.as_view(),
        name="case-file",
    ),
    path("cases/<ref:reference>/outcome/", cases.CaseOutcomeView.as_view(), name="case-outcome"),
    path(
        "cases/<ref:reference>/identity/",
        cases.CaseIdentityRevealView.as_view(),
        name="case-identity",
    ),
    path("reports/", include("api.reports_urls")),
]
