from django.http import HttpRequest

from concerns.roles import Role, has_role


def setup_link(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    allowed = bool(user is not None and user.is_authenticated)
    allowed = allowed and (user.is_superuser or has_role(user, Role.ADMIN))
    return {"may_set_up": allowed}
