"""What the raise form needs: organisations, categories, quality standards."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.fields import SlugList


class DepartmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class OrganisationOut(serializers.Serializer):
    code = serializers.CharField(help_text="ODS code: what a concern names as its organisation.")
    name = serializers.CharField()
    kind = serializers.CharField()
    departments = DepartmentOut(many=True)


class CategoryOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    help_text = serializers.CharField()
    standards = SlugList(slug_field="code")


class StandardOut(serializers.Serializer):
    code = serializers.CharField(help_text='e.g. "1.7"')
    domain = serializers.IntegerField(source="domain.number")
    domain_title = serializers.CharField(source="domain.title")
    text = serializers.CharField()


class HealthOut(serializers.Serializer):
    status = serializers.CharField()
