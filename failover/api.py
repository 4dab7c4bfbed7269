"""High-availability groups in the REST API (/api/v1/groups/): thin views over
failover.services, which decide exactly as for the portal's pages.

The shared API pieces (authentication, token scopes, the error shape) are in accounts.drf;
errors from the services are worded there, once.
"""

import dataclasses

from django.contrib.auth.models import User
from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.drf import ZoneFilter
from domains import selectors as domain_selectors
from domains.models import Host
from failover import selectors, services
from failover.forms import GROUP_FIELDS
from failover.models import SWITCHES, Event, Group, Member
from failover.services.groups import MAX_MEMBERS

ID = r"[0-9]{1,18}"  # larger ids cannot exist, and would overflow the database's integer
MAX_ID = 2**63 - 1

# --- Serializers ------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="the host's name or the addresses")
    published = serializers.SerializerMethodField(help_text="in the group's current answer")

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "priority",
            "weight",
            "ipv4",
            "ipv6",
            "host",
            "check_target",
            "switch",
            "switch_until",
            "health",
            "health_since",
            "published",
        ]
        read_only_fields = fields

    def get_published(self, member: Member) -> bool:
        return member.pk in set((member.group.answer or {}).get("member_ids", []))


class MemberInput(serializers.Serializer):
    address = serializers.CharField(
        max_length=300,
        help_text="an address, IPV4,IPV6, or the name of a host registered here",
    )
    check_target = serializers.CharField(
        max_length=253, required=False, default="", allow_blank=True, help_text="what to probe"
    )
    weight = serializers.IntegerField(min_value=1, max_value=1000, default=1)

    def validate(self, data: dict) -> services.MemberSpec:
        spec = services.parse_member(data["address"])
        return dataclasses.replace(spec, check_target=data["check_target"], weight=data["weight"])


class GroupSerializer(serializers.ModelSerializer):
    """The check and the policy; on output also the name, answer and members."""

    fqdn = serializers.CharField(source="host.fqdn", read_only=True)
    headers = serializers.ListField(
        child=serializers.ListField(
            child=serializers.CharField(max_length=500), min_length=2, max_length=2
        ),
        max_length=20,
        required=False,
        help_text='extra request headers, e.g. [["Host", "vault.example.org"]]',
    )
    members = MemberSerializer(many=True, read_only=True)
    answer = serializers.JSONField(read_only=True)

    class Meta:
        model = Group
        fields = [
            "id",
            "host",
            "fqdn",
            *GROUP_FIELDS,
            "headers",
            "answer",
            "pending",
            "members",
            "created_at",
        ]
        read_only_fields = ["id", "host", "fqdn", "answer", "pending", "members", "created_at"]

    def validate_expected_codes(self, codes: str) -> str:
        services.parse_codes(codes)
        return codes


class GroupCreateSerializer(GroupSerializer):
    host = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="id of your host to become the name"
    )
    # Members as given, not as stored: another field than GroupSerializer's output.
    members = serializers.ListField(child=MemberInput(), min_length=1, max_length=MAX_MEMBERS)  # type: ignore[assignment]

    class Meta(GroupSerializer.Meta):
        read_only_fields = ["id", "fqdn", "answer", "pending", "created_at"]

    def validate_host(self, pk: int) -> Host:
        host = domain_selectors.hosts_of(self.context["request"].user).filter(pk=pk).first()
        if host is None:
            raise serializers.ValidationError("no such host")
        return host


class GroupCreatedSerializer(GroupSerializer):
    webhook_secret = serializers.CharField(read_only=True, help_text="shown this once only")

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "webhook_secret"]


class SwitchSerializer(serializers.Serializer):
    switch = serializers.ChoiceField(choices=SWITCHES)
    until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class GroupEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = [
            "id",
            "created_at",
            "kind",
            "member",
            "old_state",
            "new_state",
            "reason",
            "threshold",
            "locations",
            "dns_change",
            "dns_visible_ms",
        ]
        read_only_fields = fields


# --- Views ------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=GroupCreateSerializer, responses={201: GroupCreatedSerializer}),
    partial_update=extend_schema(request=GroupSerializer),
    destroy=extend_schema(
        responses={204: OpenApiResponse(description="the name stays, as a plain host")}
    ),
)
class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your high-availability groups: a name that follows the healthy members."""

    serializer_class = GroupSerializer
    filter_backends = [ZoneFilter, OrderingFilter]
    zone_field = "host__domain__name"
    ordering_fields = ["fqdn", "created_at"]
    ordering = ["fqdn"]
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Group]:
        groups = selectors.groups_of(self.request.user).annotate(fqdn=F("host__fqdn"))
        return groups.prefetch_related("members__host")

    def create(self, request: Request) -> Response:
        data = _valid(GroupCreateSerializer, request)
        group, secret = services.group_create(by=_user(request), **data)
        body = GroupCreatedSerializer(self._fresh(group)).data | {"webhook_secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        group = self.get_object()
        data = _valid(GroupSerializer, request, partial=True)
        services.group_update(group=group, by=_user(request), **data)
        return Response(GroupSerializer(self._fresh(group)).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.group_delete(group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MemberInput, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request: Request, pk: str) -> Response:
        """Add a member at the lowest priority; the answer is decided again."""
        group = self.get_object()
        spec = MemberInput(data=request.data, context={"request": request})
        spec.is_valid(raise_exception=True)
        member = services.member_add(group=group, spec=spec.validated_data, by=_user(request))
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SwitchSerializer, responses={200: MemberSerializer})
    @action(detail=True, methods=["patch"], url_path=rf"members/(?P<member_pk>{ID})")
    def member(self, request: Request, pk: str, member_pk: str) -> Response:
        """Maintenance or a forced state (optionally until a time), or back to auto."""
        member = get_object_or_404(self.get_object().members, pk=member_pk)
        data = _valid(SwitchSerializer, request)
        services.member_set_switch(member=member, switch=data["switch"], until=data["until"])
        member.refresh_from_db()
        return Response(MemberSerializer(member).data)

    @extend_schema(responses={204: OpenApiResponse(description="removed")})
    @member.mapping.delete
    def remove_member(self, request: Request, pk: str, member_pk: str) -> Response:
        services.member_delete(member=get_object_or_404(self.get_object().members, pk=member_pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: GroupEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=[])
    def events(self, request: Request, pk: str) -> Response:
        """What happened to the group, newest first: member changes, failovers, switches."""
        page = self.paginate_queryset(self.get_object().events.select_related("member"))
        return self.get_paginated_response(GroupEventSerializer(page, many=True).data)

    def _fresh(self, group: Group) -> Group:
        return self.get_queryset().get(pk=group.pk)


def _valid(serializer_class, request: Request, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated: never the anonymous user
    return request.user
