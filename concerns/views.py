"""The quality standards browser: every domain and standard, and the categories that map to
each. Public reference material, so no sign-in is needed."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from concerns.selectors import category_list, domain_list_with_standards


def standards(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "concerns/standards.html",
        {"domains": domain_list_with_standards(), "categories": category_list()},
    )
