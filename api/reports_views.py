"""Reports as JSON for committee members and lead guardians: the same disclosed figures as
the pages (counts are numbers; a suppressed cell is null with ``suppressed: true``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import policies
from reports.disclosure import Cell, Disclosure
from reports.periods import PeriodInvalid, period_parse, quarter_parse
from reports.protection import DisclosureUnsafe
from reports.selectors import (
    ReportNotFound,
    ReportScope,
    data_return_organisation_for_user,
    report_figures,
    report_scope_for_user,
    return_schema_for,
)
from reports.tables import Dashboard, Table, dashboard_build

# --- output serializers -------------------------------------------------------------------


class CellSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True, help_text="The disclosed figure; null when suppressed or not applicable."
    )
    suppressed = serializers.BooleanField(
        help_text='True when not shown: 1 to 7 ("*"), or withheld ("x").'
    )
    withheld = serializers.BooleanField(
        help_text='Secondary suppression ("x"): not 0, usually above 7, withheld so that no '
        '"*" can be worked out from the figures around it.'
    )
    display = serializers.CharField(help_text='As shown on the page: "*" when suppressed.')
    unit = serializers.ChoiceField(choices=["", "%", "days", "text"])


def _cell(cell: Cell | str) -> dict[str, Any]:
    if isinstance(cell, str):
        return {
            "value": None,
            "suppressed": False,
            "withheld": False,
            "display": cell,
            "unit": "text",
        }
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return {
        "value": value,
        "suppressed": cell.suppressed,
        "withheld": cell.withheld,
        "display": cell.display,
        "unit": cell.unit,
    }


class RowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    cells = CellSerializer(many=True)


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField(allow_blank=True)
    rows = RowSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = CellSerializer()
    special_cause = serializers.BooleanField()
    rules = serializers.ListField(child=serializers.CharField())


class TrendSerializer(serializers.Serializer):
    chart = serializers.CharField(help_text="xmr: individuals chart, limits mean ± 2.66 mR̄")
    mean = serializers.IntegerField(
        allow_null=True,
        help_text="Of the disclosed months (a * month counted as 4), rounded to a whole number; "
        "null when withheld.",
    )
    lower_limit = serializers.IntegerField(allow_null=True, help_text="Null without limits.")
    upper_limit = serializers.IntegerField(allow_null=True, help_text="Null without limits.")
    has_limits = serializers.BooleanField(help_text="False with fewer than 12 months.")
    points = TrendPointSerializer(many=True)


class IndicatorSerializer(serializers.Serializer):
    label = serializers.CharField()
    figure = CellSerializer()


class StandardSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    note = serializers.CharField()
    indicators = IndicatorSerializer(many=True)


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    first_month = serializers.CharField()
    last_month = serializers.CharField()


class DisclosureSerializer(serializers.Serializer):
    suppress_up_to = serializers.IntegerField()
    round_to = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    organisations = OrganisationSerializer(many=True)
    disclosure = DisclosureSerializer()
    tables = TableSerializer(many=True)
    trend = TrendSerializer()
    standards = StandardSerializer(many=True)
    national_source = serializers.CharField(allow_blank=True)
    checking = serializers.BooleanField(
        help_text="Some figures of the organisations together are still being checked in "
        "the background and are shown withheld (x) until then."
    )


def _dashboard_data(dashboard: Dashboard) -> dict[str, Any]:
    period = dashboard.scope.period
    policy = Disclosure.current()
    return {
        "period": {
            "kind": period.kind,
            "label": period.label,
            "first_month": f"{period.first_month:%Y-%m}",
            "last_month": f"{period.last_month:%Y-%m}",
        },
        "organisations": [
            {"id": o.pk, "code": o.code, "name": o.name} for o in dashboard.scope.organisations
        ],
        "disclosure": {"suppress_up_to": policy.suppress_up_to, "round_to": policy.round_to},
        "tables": [_table_data(t) for t in dashboard.tables.values()],
        "trend": _trend_data(dashboard),
        "standards": [
            {
                "code": s.code,
                "text": s.text,
                "note": s.note,
                "indicators": [{"label": lb, "figure": _cell(c)} for lb, c in s.indicators],
            }
            for s in dashboard.standards
        ],
        "national_source": dashboard.national_source,
        "checking": dashboard.checking,
    }


def _table_data(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "columns": list(table.columns),
        "note": table.note,
        "rows": [
            {"key": r.key, "label": r.label, "cells": [_cell(c) for c in r.cells]}
            for r in table.rows
        ],
    }


def _trend_data(dashboard: Dashboard) -> dict[str, Any]:
    """The SPC chart's figures: its limits and special causes only where it has limits."""
    trend = dashboard.trend
    return {
        "chart": trend.kind,
        "mean": None if trend.withheld or not trend.points else round(trend.mean),
        "lower_limit": round(trend.lower) if trend.has_limits else None,
        "upper_limit": round(trend.upper) if trend.has_limits else None,
        "has_limits": trend.has_limits,
        "points": [
            {
                "month": f"{month:%Y-%m}",
                "count": _cell(cell),
                "special_cause": point.special and trend.has_limits,
                "rules": list(point.rules) if trend.has_limits else [],
            }
            for month, cell, point in zip(
                dashboard.trend_months, dashboard.trend_cells, trend.points, strict=True
            )
        ],
    }


# --- permissions and views ----------------------------------------------------------------


class MayViewReports(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return policies.may_view_reports(request.user)


class MayDownloadDataReturn(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return policies.may_download_data_return(request.user)


PERIOD_PARAMETERS = [
    OpenApiParameter("period", OpenApiTypes.STR, enum=["month", "quarter", "year"]),
    OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (period=month)"),
    OpenApiParameter("quarter", OpenApiTypes.STR, description="YYYY-Qn, Q1 = April to June"),
    OpenApiParameter("year", OpenApiTypes.INT, description="Financial year start, e.g. 2024"),
    OpenApiParameter(
        "org", OpenApiTypes.INT, description="One organisation's id (default: all yours)"
    ),
]


def _org_ids(request: Request) -> list[int]:
    try:
        return [int(v) for v in request.query_params.getlist("org") if v]
    except ValueError as exc:
        raise NotFound("Organisation not found.") from exc


class FiguresWithheld(APIException):
    status_code = 409
    default_code = "figures_withheld"
    default_detail = (
        "These figures cannot be shown without risking that a small number could be worked "
        "out. Choose a longer period or all of your organisations."
    )


class DashboardView(APIView):
    permission_classes = [permissions.IsAuthenticated, MayViewReports]

    @extend_schema(
        operation_id="reports_dashboard",
        parameters=PERIOD_PARAMETERS,
        responses=DashboardSerializer,
        summary="The committee dashboard: disclosed counts, rates, medians and SPC trend",
    )
    def get(self, request: Request) -> Response:
        try:
            period = period_parse(request.query_params)
            scope = report_scope_for_user(
                user=request.user, period=period, organisation_ids=_org_ids(request)
            )
        except PeriodInvalid as exc:
            raise ParseError(str(exc)) from exc
        except ReportNotFound as exc:
            raise NotFound(str(exc)) from exc
        try:
            dashboard = dashboard_build(scope=scope, figures=report_figures(scope=scope))
        except DisclosureUnsafe as exc:
            raise FiguresWithheld from exc
        # _dashboard_data already yields plain JSON types in DashboardSerializer's shape (a
        # test holds it to the serializer); running ~500 cells through nested serializer
        # fields again cost more than all the queries.
        return Response(_dashboard_data(dashboard))


class DataReturnFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Exact: this is the organisation's own return.")


class DataReturnSerializer(serializers.Serializer):
    schema_version = serializers.CharField()
    authority = serializers.CharField()
    organisation = OrganisationSerializer()
    quarter = serializers.CharField()
    fields = DataReturnFieldSerializer(many=True)


class DataReturnView(APIView):
    permission_classes = [permissions.IsAuthenticated, MayDownloadDataReturn]

    @extend_schema(
        operation_id="reports_data_return",
        parameters=[
            OpenApiParameter("quarter", OpenApiTypes.STR, required=True, description="YYYY-Qn"),
            OpenApiParameter("organisation", OpenApiTypes.INT),
            OpenApiParameter("version", OpenApiTypes.STR, description="Schema version"),
        ],
        responses=DataReturnSerializer,
        summary="The quarterly Freedom to Speak Up data return (lead guardians, exact counts)",
    )
    def get(self, request: Request) -> Response:
        try:
            period = quarter_parse(request.query_params.get("quarter", ""))
            raw = request.query_params.get("organisation")
            organisation = data_return_organisation_for_user(
                user=request.user, organisation_id=int(raw) if raw else None
            )
            schema = return_schema_for(
                period=period, version=request.query_params.get("version", "")
            )
        except PeriodInvalid as exc:
            raise ParseError(str(exc)) from exc
        except (ReportNotFound, ValueError) as exc:
            raise NotFound("Not found.") from exc
        figures = report_figures(scope=ReportScope((organisation,), period))
        data = {
            "schema_version": schema.version,
            "authority": schema.authority,
            "organisation": {
                "id": organisation.pk,
                "code": organisation.code,
                "name": organisation.name,
            },
            "quarter": period.query["quarter"],
            "fields": [
                {"key": f["key"], "label": f["label"], "count": figures.measure(f["measure"])}
                for f in schema.fields
            ],
        }
        return Response(DataReturnSerializer(data).data)
