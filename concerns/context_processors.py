from django.http import HttpRequest

from concerns.roles import is_committee, is_guardian, is_lead_guardian


def roles(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    return {
        "is_guardian": is_guardian(user),
        "is_lead_guardian": is_lead_guardian(user),
        "is_committee": is_committee(user),
    }
