import math

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.utils.translation import gettext as _

from labelhub.accounts.lockout import (
    LoginLocked,
    client_ip,
    login_check,
    login_failed,
    login_succeeded,
)
from labelhub.accounts.throttles import LoginRateThrottle


class LoginView(auth_views.LoginView):
    """Django's login page with the token endpoint's throttle and lockout."""

    def post(self, request, *args: object, **kwargs: object) -> HttpResponse:
        throttle = LoginRateThrottle()
        if not throttle.allow_request(request, None):
            seconds = math.ceil(throttle.wait() or 1)
            message = _("Too many sign-in attempts. Try again in %(seconds)d seconds.") % {
                "seconds": seconds
            }
            return self._refused(message, seconds)
        try:
            login_check(username=self._username(), ip=client_ip(request))
        except LoginLocked as locked:
            return self._refused(locked.message, locked.retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        login_succeeded(username=self._username(), ip=client_ip(self.request))
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        login_failed(username=self._username(), ip=client_ip(self.request))
        return super().form_invalid(form)

    def _username(self) -> str:
        return self.request.POST.get("username", "")

    def _refused(self, message: str, seconds: int) -> HttpResponse:
        # An unbound form: a bound one would check the password while the page says it won't.
        form = self.get_form_class()(self.request)
        response = self.render_to_response(
            self.get_context_data(form=form, refused=message), status=429
        )
        response["Retry-After"] = str(seconds)
        return response
