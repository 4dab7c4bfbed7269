"""Personal API tokens: list, create (the raw token is shown once), revoke.

Only sessions and full-scope tokens get here (accounts.drf.TokenScope): a narrower token
must not mint a wider one.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import tokens
from accounts.models import ApiToken
from api import serializers
from api.common import ID, user_of, valid


@extend_schema_view(
    create=extend_schema(
        request=serializers.TokenCreateSerializer,
        responses={201: serializers.TokenCreatedSerializer},
    ),
    destroy=extend_schema(
        responses={204: OpenApiResponse(description="revoked (it stays listed)")}
    ),
)
class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your API tokens, revoked ones included (with when)."""

    serializer_class = serializers.TokenSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "created_at", "last_used_at", "expires_at"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = ID
    http_method_names = ["get", "post", "delete", "head", "options"]
    full_scope_only = True

    def get_queryset(self) -> QuerySet[ApiToken]:
        return tokens.tokens_of(user_of(self.request))

    def create(self, request: Request) -> Response:
        data = valid(serializers.TokenCreateSerializer, request)
        token, raw = tokens.token_create(owner=user_of(request), **data)
        body = serializers.TokenCreatedSerializer(token).data | {"token": raw}
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        tokens.token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
