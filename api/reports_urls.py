from django.urls import path

from api import reports_views

urlpatterns = [
    path("dashboard/", reports_views.DashboardView.as_view(), name="reports-dashboard"),
    path("data-return/", reports_views.DataReturnView.as_view(), name="reports-data-return"),
]
