from django.urls import include, path

app_name = "api"
urlpatterns = [
    path("reports/", include("api.reports_urls")),
]
