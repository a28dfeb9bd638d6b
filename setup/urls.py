from django.urls import path

from setup import views

app_name = "setup"

urlpatterns = [
    path("", views.index, name="index"),
    path("organisations/add/", views.organisation_add, name="organisation_add"),
    path("organisations/<str:code>/", views.organisation, name="organisation"),
    path(
        "organisations/<str:code>/departments/<int:pk>/",
        views.department_rename,
        name="department",
    ),
    path("staff/", views.staff, name="staff"),
    path("staff/invite/", views.staff_invite, name="invite"),
    path("staff/<int:pk>/deactivate/", views.staff_deactivate, name="deactivate"),
    path("categories/", views.categories, name="categories"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("retention/", views.retention, name="retention"),
    path("invitation/<str:uidb64>/<str:token>/", views.accept, name="accept"),
]
