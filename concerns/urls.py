from django.urls import path

from concerns import views

app_name = "concerns"
urlpatterns = [
    path("", views.standards, name="standards"),
]
