from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from labelhub.accounts.lockout import client_ip, login_check, login_failed, login_succeeded
from labelhub.accounts.throttles import LoginRateThrottle


class TokenApi(ObtainAuthToken):
    """POST username and password: {"token": "..."}. Throttled per IP; after repeated failures
    the account and the IP are locked out (429 with Retry-After), even for the right password."""

    throttle_classes = [LoginRateThrottle]

    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = request.data if hasattr(request.data, "get") else {}
        username, ip = str(data.get("username", "")), client_ip(request)
        login_check(username=username, ip=ip)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            login_failed(username=username, ip=ip)
            raise ValidationError(serializer.errors)
        login_succeeded(username=username, ip=ip)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
