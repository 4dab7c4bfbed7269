"""Zones: every zone the caller may put hosts in; its own zones it also manages, through
the same services (and the same signed test write) as the portal and the admin."""

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers
from api.common import ID, user_of, valid
from domains import selectors, services
from domains.models import Domain

# Actions that change a zone: only on the caller's own zones (any other is a 404).
OWNER_ACTIONS = ("partial_update", "destroy", "check")


@extend_schema_view(
    create=extend_schema(
        request=serializers.ZoneCreateSerializer,
        responses={201: serializers.ZoneSerializer},
        description="Add your zone; it is saved only after a signed test write succeeded.",
    ),
    partial_update=extend_schema(request=serializers.ZoneUpdateSerializer),
)
class ZoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Zones you may use (public ones and your own); you manage your own."""

    serializer_class = serializers.ZoneSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Domain]:
        user = self.request.user
        if self.action in OWNER_ACTIONS:
            return selectors.zones_of(user)
        # Usable zones, and the caller's own even while disabled (to see why).
        return Domain.objects.filter(Q(pk__in=selectors.domains_usable_by(user)) | Q(owner=user))

    def create(self, request: Request) -> Response:
        data = valid(serializers.ZoneCreateSerializer, request)
        zone = services.domain_add(**data, owner=user_of(request), check=True)
        body = serializers.ZoneSerializer(zone, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        zone = self.get_object()
        data = valid(serializers.ZoneUpdateSerializer, request)
        current = {
            "nameserver_host": zone.nameserver_host,
            "nameserver_port": zone.nameserver_port,
            "tsig_key_name": zone.tsig_key_name,
            "tsig_algorithm": zone.tsig_algorithm,
            "public": zone.public,
            "ttl": zone.ttl,
        }
        services.domain_change(domain=zone, owner=zone.owner, **(current | data), check=True)
        return Response(self.get_serializer(zone).data)

    def destroy(self, request: Request, pk: str) -> Response:
        """Delete the zone with its hosts; all or nothing (a DNS failure keeps both)."""
        services.domain_delete(domain=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: serializers.ZoneSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str) -> Response:
        """Test the zone's server with a signed write now."""
        zone = self.get_object()
        services.domain_check(domain=zone)
        return Response(self.get_serializer(zone).data)
