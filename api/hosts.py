"""Hosts and their history: thin views that parse, call domains.services and render.

Errors (a refused name, a DNS failure) are worded once, in accounts.drf.exception_handler.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.drf import ZoneFilter, token_of
from accounts.models import HOSTS
from api import serializers
from api.common import ID, client_info, user_of, valid
from domains import names, selectors, services
from domains.models import Host


def reachable_hosts(request: Request) -> QuerySet[Host]:
    """The caller's hosts; for a token of scope hosts only the hosts it names."""
    hosts = selectors.hosts_of(request.user)
    token = token_of(request)
    if token is not None and token.scope == HOSTS:
        hosts = hosts.filter(pk__in=token.hosts.values("pk"))
    return hosts


@extend_schema_view(
    create=extend_schema(
        request=serializers.HostCreateSerializer,
        responses={201: serializers.HostCreatedSerializer},
    ),
    partial_update=extend_schema(request=serializers.HostUpdateSerializer),
    destroy=extend_schema(
        responses={
            204: OpenApiResponse(description="deleted, and its records removed from DNS"),
            202: OpenApiResponse(
                description="deleted; the DNS server did not answer, its records are "
                "removed as soon as it does"
            ),
        }
    ),
)
class HostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your hosts. A token of scope hosts sees and updates only its own hosts."""

    serializer_class = serializers.HostSerializer
    filter_backends = [ZoneFilter, OrderingFilter]
    zone_field = "domain__name"
    ordering_fields = ["fqdn", "created_at", "last_seen_at"]
    ordering = ["fqdn"]
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    token_host_actions = ("list", "retrieve", "partial_update", "history", "txt", "remove_txt")

    def get_queryset(self) -> QuerySet[Host]:
        return reachable_hosts(self.request)

    def create(self, request: Request) -> Response:
        data = valid(serializers.HostCreateSerializer, request)
        host, secret = services.host_register(
            domain=data["zone"],
            label=data["label"],
            owner=user_of(request),
            comment=data["comment"],
            wildcard=data["wildcard"],
        )
        body = serializers.HostCreatedSerializer(host).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        host = self.get_object()
        data = valid(serializers.HostUpdateSerializer, request)
        if "comment" in data:
            services.host_set_comment(host=host, comment=data["comment"])
        if "wildcard" in data:
            services.host_set_wildcard(host=host, wildcard=data["wildcard"])
        _set_addresses(host, data, client_info(request))
        return Response(serializers.HostSerializer(host).data)

    def destroy(self, request: Request, pk: str) -> Response:
        host = self.get_object()
        if services.host_delete(host=host):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: serializers.SecretSerializer})
    @action(detail=True, methods=["post"])
    def secret(self, request: Request, pk: str) -> Response:
        """A new update secret (the old one stops working); shown this once only."""
        secret = services.host_reset_secret(host=self.get_object())
        return Response({"secret": secret})

    @extend_schema(responses={200: serializers.UpdateEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=[])
    def history(self, request: Request, pk: str) -> Response:
        """The host's address changes, newest first (as the portal shows them)."""
        events = self.get_object().events.all()
        page = self.paginate_queryset(events)
        serializer = serializers.UpdateEventSerializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    @extend_schema(methods=["GET"], responses={200: serializers.TxtSerializer})
    @extend_schema(
        methods=["POST"],
        request=serializers.TxtValueSerializer,
        responses={201: serializers.TxtSerializer},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def txt(self, request: Request, pk: str) -> Response:
        """The ACME DNS-01 values at _acme-challenge.<host>; POST adds one (the others
        stay, so a certificate for the host and its wildcard can validate together)."""
        host = self.get_object()
        if request.method == "GET":
            return Response({"values": services.acme_txt_list(host)})
        value = valid(serializers.TxtValueSerializer, request)["value"]
        services.acme_txt_add(host=host, value=value, client=client_info(request))
        return Response({"values": services.acme_txt_list(host)}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: OpenApiResponse(description="withdrawn (or already gone)")})
    @action(detail=True, methods=["delete"], url_path=r"txt/(?P<value>[A-Za-z0-9_-]{1,64})")
    def remove_txt(self, request: Request, pk: str, value: str) -> Response:
        services.acme_txt_remove(host=self.get_object(), value=value, client=client_info(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _set_addresses(host: Host, data: dict, client: services.ClientInfo) -> None:
    """Publish the given addresses in one change; null removes a family's record."""
    given = {rdtype: data[field] for rdtype, field in names.RDTYPE_FIELDS.items() if field in data}
    wanted = names.Addresses(
        **{names.field_of(rdtype): a for rdtype, a in given.items() if a is not None}
    )
    if given:  # the same per-host limit as dyndns2 (docs/abuse.md)
        services.host_admit_update(host=host, addresses=wanted, count_repeats=False)
    if wanted:
        services.host_update_addresses(host=host, addresses=wanted, client=client)
    for rdtype in (rdtype for rdtype, address in given.items() if address is None):
        services.host_delete_address(host=host, rdtype=rdtype, client=client)
