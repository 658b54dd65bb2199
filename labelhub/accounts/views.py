import math
from typing import cast

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.views import APIView

from labelhub.accounts.forms import LockoutAuthenticationForm
from labelhub.accounts.lockout import LoginLocked, client_ip, login_check
from labelhub.accounts.throttles import LoginRateThrottle


class LoginView(auth_views.LoginView):
    """Django's login page with the token endpoint's throttle and lockout: refused with 429
    and Retry-After before the password is even checked."""

    authentication_form = LockoutAuthenticationForm

    def post(self, request, *args: object, **kwargs: object) -> HttpResponse:
        throttle = LoginRateThrottle()
        # The login rate's cache key ignores the view (LoginRateThrottle.get_cache_key).
        if not throttle.allow_request(request, cast(APIView, None)):
            seconds = math.ceil(throttle.wait() or 1)
            message = _("Too many sign-in attempts. Try again in %(seconds)d seconds.") % {
                "seconds": seconds
            }
            return self._refused(message, seconds)
        try:
            login_check(username=request.POST.get("username", ""), ip=client_ip(request))
        except LoginLocked as locked:
            return self._refused(locked.message, locked.retry_after)
        return super().post(request, *args, **kwargs)

    def _refused(self, message: str, seconds: int) -> HttpResponse:
        # An unbound form: a bound one would check the password while the page says it won't.
        form = self.get_form_class()(self.request)
        response = self.render_to_response(
            self.get_context_data(form=form, refused=message), status=429
        )
        response["Retry-After"] = str(seconds)
        return response
