from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("export.xlsx", views.dashboard_xlsx_view, name="export_xlsx"),
    path("board-pack.pdf", views.dashboard_pdf_view, name="export_pdf"),
    path("export/<slug:table>.csv", views.table_csv_view, name="export_csv"),
    path("data-return/", views.data_return_view, name="data_return"),
    path("data-return.csv", views.data_return_csv_view, name="data_return_csv"),
]
