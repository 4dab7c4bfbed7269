"""What the API's views share: parsing a body, the caller as a history entry."""

from django.contrib.auth.models import User
from rest_framework.request import Request

from accounts.drf import token_of
from domains import services
from domains.visitors import visitor_address

ID = r"[0-9]{1,18}"  # larger ids cannot exist, and would overflow the database's integer


def valid(serializer_class, request: Request) -> dict:
    """The body parsed by the serializer, or a 400 with its field errors."""
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def client_info(request: Request) -> services.ClientInfo:
    """Who made a change, for the host's history (as the portal records its own)."""
    token = token_of(request)
    via = f"api token {token.prefix}" if token else "api session"
    return services.ClientInfo(
        source=visitor_address(request),
        user_agent=f"{via}: {request.user.get_username()}",
        tls=request.is_secure(),
    )


def user_of(request: Request) -> User:
    """The caller (IsAuthenticated guards every view, so never the anonymous user)."""
    assert isinstance(request.user, User)
    return request.user
