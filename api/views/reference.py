"""Open to anyone: a health check and what the raise form needs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers.reference import CategoryOut, HealthOut, OrganisationOut, StandardOut
from concerns.selectors import category_list, organisation_list, standard_list


class HealthView(APIView):
    """Liveness for load balancers: the process answers. Touches nothing else."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses=HealthOut, tags=["reference"])
    def get(self, request: Request) -> Response:
        return Response(HealthOut({"status": "ok"}).data)


class OrganisationListView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses=OrganisationOut(many=True), tags=["reference"])
    def get(self, request: Request) -> Response:
        return Response(OrganisationOut(organisation_list(), many=True).data)


class CategoryListView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses=CategoryOut(many=True), tags=["reference"])
    def get(self, request: Request) -> Response:
        return Response(CategoryOut(category_list(), many=True).data)


class StandardListView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses=StandardOut(many=True), tags=["reference"])
    def get(self, request: Request) -> Response:
        return Response(StandardOut(standard_list(), many=True).data)
