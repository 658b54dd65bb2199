from typing import TYPE_CHECKING, Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from labelhub.accounts.lockout import (
    LoginLocked,
    client_ip,
    login_check,
    login_failed,
    login_succeeded,
)

if TYPE_CHECKING:  # the mixin is only ever put before an AuthenticationForm
    _SignInForm = AuthenticationForm
else:
    _SignInForm = object


class LockoutMixin(_SignInForm):
    """Counts the form's failed sign-ins toward the lockout and refuses a locked account or IP,
    so every sign-in form (the login page, Django admin) shares the token endpoint's rules."""

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))
        assert self.request is not None, "the sign-in views build this form with the request"
        ip = client_ip(self.request)
        try:
            login_check(username=username, ip=ip)
        except LoginLocked as locked:
            raise ValidationError(locked.message, code="locked") from None
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failed(username=username, ip=ip)
            raise
        login_succeeded(username=username, ip=ip)
        return cleaned


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass
