"""Committee dashboard pages and exports. Thin: parse → selector → disclosed tables → render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from reports import boardpack, charts, exports, keymessages
from reports.periods import PeriodInvalid, financial_year_of, period_parse, quarter_parse
from reports.protection import DisclosureUnsafe
from reports.selectors import (
    ReportNotFound,
    ReportScope,
    data_return_organisation_for_user,
    data_return_organisations_for_user,
    report_figures,
    report_organisations_for_user,
    report_scope_for_user,
    return_schema_for,
)
from reports.tables import Dashboard, dashboard_build
from workflow.errors import NotPermitted

View = Callable[..., HttpResponse]


UNSAFE = (
    "These figures cannot be shown without risking that a small number could be worked out. "
    "Choose a longer period or all of your organisations."
)


def _guarded(view: View) -> View:
    """Sign-in required; domain refusals become 403 / 404 pages; bad periods a 400."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except ReportNotFound as exc:
            raise Http404(str(exc)) from exc
        except PeriodInvalid as exc:
            return render(request, "reports/bad_period.html", {"error": str(exc)}, status=400)
        except DisclosureUnsafe:
            # Nothing published rather than a figure that could single a reporter out.
            context = {"error": UNSAFE, "title": "These figures are withheld"}
            return render(request, "reports/bad_period.html", context, status=409)

    return require_GET(login_required(wrapper))


def _organisation_ids(request: HttpRequest) -> list[int]:
    try:
        return [int(v) for v in request.GET.getlist("org") if v]
    except ValueError as exc:
        raise ReportNotFound("Organisation not found.") from exc


def _dashboard(request: HttpRequest) -> Dashboard:
    report_organisations_for_user(user=request.user)  # refuse non-members before parsing
    period = period_parse(request.GET)
    scope = report_scope_for_user(
        user=request.user, period=period, organisation_ids=_organisation_ids(request)
    )
    return dashboard_build(scope=scope, figures=report_figures(scope=scope))


def _query(dashboard: Dashboard) -> str:
    params = list(dashboard.scope.period.query.items())
    params += [("org", str(pk)) for pk in dashboard.scope.organisation_ids]
    return urlencode(params)


@_guarded
def dashboard_view(request: HttpRequest) -> HttpResponse:
    dashboard = _dashboard(request)
    context = {
        "dashboard": dashboard,
        "key": keymessages.key_messages_for(dashboard),
        "tables": dashboard.tables,
        "charts": charts.dashboard_charts(dashboard),
        "query": _query(dashboard),
        "all_organisations": report_organisations_for_user(user=request.user),
        "selected": set(dashboard.scope.organisation_ids),
        "period": dashboard.scope.period,
        "this_year": financial_year_of(dashboard.scope.period.last_month),
    }
    return render(request, "reports/dashboard.html", context)


@_guarded
def table_csv_view(request: HttpRequest, table: str) -> HttpResponse:
    dashboard = _dashboard(request)
    if table not in dashboard.tables:
        raise Http404("No such table.")
    response = HttpResponse(
        exports.table_csv(dashboard.tables[table], dashboard), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="speak-up-{table}.csv"'
    return response


@_guarded
def dashboard_xlsx_view(request: HttpRequest) -> HttpResponse:
    dashboard = _dashboard(request)
    response = HttpResponse(
        exports.dashboard_xlsx(dashboard),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="speak-up-report.xlsx"'
    return response


@_guarded
def dashboard_pdf_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        boardpack.dashboard_pdf(_dashboard(request)), content_type="application/pdf"
    )
    response["Content-Disposition"] = 'attachment; filename="speak-up-board-pack.pdf"'
    return response


@_guarded
def data_return_view(request: HttpRequest) -> HttpResponse:
    """The lead guardian's page: choose a quarter (and organisation) to download."""
    organisations = data_return_organisations_for_user(user=request.user)
    return render(request, "reports/data_return.html", {"organisations": organisations})


def _data_return(request: HttpRequest) -> tuple[str, str]:
    period = quarter_parse(request.GET.get("quarter", ""))
    raw_org = request.GET.get("organisation") or None
    try:
        org_id = int(raw_org) if raw_org else None
    except ValueError as exc:
        raise ReportNotFound("Organisation not found.") from exc
    organisation = data_return_organisation_for_user(user=request.user, organisation_id=org_id)
    schema = return_schema_for(period=period, version=request.GET.get("version", ""))
    figures = report_figures(scope=ReportScope((organisation,), period))
    rows = exports.data_return_rows(
        schema=schema, organisation=organisation, period=period, figures=figures
    )
    name = f"ftsu-return-{organisation.code}-{period.query['quarter']}-{schema.version}.csv"
    return exports.data_return_csv(rows), name


@_guarded
def data_return_csv_view(request: HttpRequest) -> HttpResponse:
    body, name = _data_return(request)
    response = HttpResponse(body, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
