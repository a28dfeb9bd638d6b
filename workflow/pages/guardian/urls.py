from django.urls import path

from workflow.pages.guardian import files, views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("workload/", views.workload, name="workload"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/actions/<str:name>/", views.case_transition, name="transition"),
    path("<str:reference>/assign/", views.case_assign, name="assign"),
    path("<str:reference>/messages/", views.case_message, name="message"),
    path("<str:reference>/notes/", views.case_note, name="note"),
    path("<str:reference>/triage/", views.case_triage, name="triage"),
    path("<str:reference>/outcome/", views.case_outcome, name="outcome"),
    path("<str:reference>/detriment/", views.case_detriment, name="detriment"),
    path("<str:reference>/identity/", views.case_reveal, name="reveal"),
    path(
        "<str:reference>/attachments/<int:attachment_id>/",
        files.attachment_download,
        name="attachment",
    ),
    path("<str:reference>/files/<int:number>/", files.case_file_download, name="file"),
    path("<str:reference>/bundle/", views.case_bundle, name="bundle"),
]
