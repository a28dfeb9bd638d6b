"""The administrator's pages for setting up a trust (issue 18). Reachable by the
administrator role (and superusers) only; nothing here reads a case."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlsafe_base64_decode

from concerns.models import Category, Department, Membership, Organisation
from concerns.roles import Role, has_role
from setup import forms, services
from setup.models import CategoryWording, RetentionSetting


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_superuser or has_role(request.user, Role.ADMIN)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _roles_in_words(user) -> list[str]:
    names = [g.name for g in user.groups.all()]
    return [services.ROLE_SHORT.get(Role(n), n) if n in set(Role) else n for n in names]


@admin_required
def index(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.order_by("name").prefetch_related("departments")
    return render(request, "setup/index.html", {"organisations": organisations})


@admin_required
def organisation_add(request: HttpRequest) -> HttpResponse:
    form = forms.OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_save(actor=request.user, **form.cleaned_data)
        except services.SetupError as error:
            form.add_error("code", str(error))
        else:
            messages.success(request, f"{organisation.name} added.")
            return redirect("setup:organisation", code=organisation.code)
    return render(request, "setup/organisation_form.html", {"form": form})


@admin_required
def organisation(request: HttpRequest, code: str) -> HttpResponse:
    org = get_object_or_404(Organisation, code=code)
    form = forms.OrganisationForm(
        request.POST if request.POST.get("form") == "organisation" else None,
        initial={
            "name": org.name,
            "code": org.code,
            "kind": org.kind,
            "guardian_contact": org.guardian_contact,
        },
    )
    department_form = forms.DepartmentForm(
        request.POST if request.POST.get("form") == "department" else None
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "organisation" and form.is_valid():
                services.organisation_save(
                    actor=request.user, organisation=org, **form.cleaned_data
                )
                messages.success(request, "Organisation saved.")
                return redirect("setup:organisation", code=org.code)
            if request.POST.get("form") == "department" and department_form.is_valid():
                services.department_add(
                    actor=request.user, organisation=org, name=department_form.cleaned_data["name"]
                )
                messages.success(request, "Department or site added.")
                return redirect("setup:organisation", code=org.code)
        except services.SetupError as error:
            (form if request.POST.get("form") == "organisation" else department_form).add_error(
                None if request.POST.get("form") == "organisation" else "name", str(error)
            )
    return render(
        request,
        "setup/organisation.html",
        {"org": org, "form": form, "department_form": department_form},
    )


@admin_required
def department_rename(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk, organisation__code=code)
    form = forms.DepartmentForm(
        request.POST if request.method == "POST" else None, initial={"name": department.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.department_rename(
                actor=request.user, department=department, name=form.cleaned_data["name"]
            )
        except services.SetupError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Department or site renamed.")
            return redirect("setup:organisation", code=code)
    return render(request, "setup/department_form.html", {"form": form, "department": department})


@admin_required
def staff(request: HttpRequest) -> HttpResponse:
    people = (
        get_user_model()
        .objects.filter(groups__name__in=[str(r) for r in services.ROLE_WORDS])
        .distinct()
        .order_by("username")
        .prefetch_related(
            "groups",
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
        )
    )
    rows = [
        {
            "user": person,
            "roles": _roles_in_words(person),
            "organisations": [m.organisation for m in person.memberships.all()],
        }
        for person in people
    ]
    return render(request, "setup/staff.html", {"rows": rows})


@admin_required
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = forms.InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invite(actor=request.user, **form.cleaned_data)
        except services.SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {user.email}.")
            return redirect("setup:staff")
    return render(request, "setup/invite.html", {"form": form})


@admin_required
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    if request.method == "POST":
        try:
            services.staff_deactivate(actor=request.user, user=person)
        except services.SetupError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{person.get_username()} can no longer sign in.")
        return redirect("setup:staff")
    return render(request, "setup/deactivate.html", {"person": person})


@admin_required
def categories(request: HttpRequest) -> HttpResponse:
    rows = Category.objects.order_by("position", "name").prefetch_related(
        Prefetch("wordings", queryset=CategoryWording.objects.order_by("-valid_from", "-version"))
    )
    return render(request, "setup/categories.html", {"categories": rows})


@admin_required
def category(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Category, slug=slug)
    form = forms.CategoryForm(
        request.POST if request.method == "POST" else None,
        initial={"name": item.name, "help_text": item.help_text},
    )
    if request.method == "POST" and form.is_valid():
        services.category_reword(actor=request.user, category=item, **form.cleaned_data)
        messages.success(request, "New wording saved. Concerns raised before keep the old one.")
        return redirect("setup:categories")
    return render(request, "setup/category_form.html", {"form": form, "category": item})


@admin_required
def retention(request: HttpRequest) -> HttpResponse:
    current = services.retention_in_force()
    form = forms.RetentionForm(
        request.POST if request.method == "POST" else None,
        initial={
            "keep_for_ever": current.months_after_end is None,
            "months_after_end": current.months_after_end,
        },
    )
    if request.method == "POST" and form.is_valid():
        months = (
            None if form.cleaned_data["keep_for_ever"] else form.cleaned_data["months_after_end"]
        )
        services.retention_set(actor=request.user, months_after_end=months)
        messages.success(request, "Retention period saved.")
        return redirect("setup:retention")
    history = RetentionSetting.objects.all()[:20]
    return render(
        request, "setup/retention.html", {"form": form, "current": current, "history": history}
    )


def accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation link: set a password (then MFA enrolment follows, as for all staff),
    or sign in with the organisation's provider."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
        user = get_user_model().objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        raise Http404 from None
    if not default_token_generator.check_token(user, token):
        return render(request, "setup/accept_expired.html", status=400)
    form = forms.AcceptForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        from allauth.account.internal.flows.login import record_authentication

        form.save()
        login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
        # A password sign-in, as allauth records one: MFA enrolment follows without asking
        # for the password again (accounts.adapters).
        record_authentication(request, user, "password", username=user.get_username())
        return redirect("accounts_mfa_enrol")
    return render(request, "setup/accept.html", {"form": form, "invited": user})
