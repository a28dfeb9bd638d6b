"""The reporter's pages. No URL carries anything that identifies a reporter: at most a
signed-in reporter's own concern reference; the anonymous pages find their one concern
through the session."""

from django.urls import path

from workflow.pages.reporter import journey, views

urlpatterns = [
    path("", views.start, name="home"),
    path("raise/", views.raise_concern, name="raise"),
    path("raise/receipt/", views.raise_receipt, name="raise_receipt"),
    path("raise/sent/<str:reference>/", views.raise_sent, name="raise_sent"),
    path("raise/check/", journey.raise_check, name="raise_check"),
    path("raise/<slug:page>/", journey.raise_page, name="raise_page"),
    path("exit/", journey.exit_this_page, name="exit_this_page"),
    path("receipt/", views.receipt_enter, name="receipt"),
    path("receipt/sign-out/", views.receipt_sign_out, name="receipt_sign_out"),
    path("receipt/concern/", views.concern_detail, name="receipt_concern"),
    path("receipt/concern/reply/", views.concern_reply, name="receipt_concern_reply"),
    path(
        "receipt/concern/files/<int:attachment_id>/",
        views.concern_file,
        name="receipt_concern_file",
    ),
    path(
        "receipt/concern/conversation-files/<int:number>/",
        views.concern_case_file,
        name="receipt_concern_case_file",
    ),
    path("receipt/concern/withdraw/", views.concern_withdraw, name="receipt_concern_withdraw"),
    path(
        "receipt/concern/speak-up-again/",
        views.concern_speak_up_again,
        name="receipt_concern_again",
    ),
    path("receipt/concern/detriment/", views.concern_detriment, name="receipt_concern_detriment"),
    path("my-concerns/", views.my_concerns, name="my_concerns"),
    path("my-concerns/<str:reference>/", views.concern_detail, name="my_concern"),
    path("my-concerns/<str:reference>/reply/", views.concern_reply, name="my_concern_reply"),
    path(
        "my-concerns/<str:reference>/files/<int:attachment_id>/",
        views.concern_file,
        name="my_concern_file",
    ),
    path(
        "my-concerns/<str:reference>/conversation-files/<int:number>/",
        views.concern_case_file,
        name="my_concern_case_file",
    ),
    path(
        "my-concerns/<str:reference>/withdraw/", views.concern_withdraw, name="my_concern_withdraw"
    ),
    path(
        "my-concerns/<str:reference>/speak-up-again/",
        views.concern_speak_up_again,
        name="my_concern_again",
    ),
    path(
        "my-concerns/<str:reference>/detriment/",
        views.concern_detriment,
        name="my_concern_detriment",
    ),
]
