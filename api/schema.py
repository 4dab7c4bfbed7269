"""The OpenAPI schema: generated from the views by drf-spectacular, with the one error
shape (accounts/drf.py) documented on every operation that can answer it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetail(serializers.Serializer):
    status = serializers.IntegerField(help_text="the HTTP status, repeated")
    code = serializers.CharField(help_text="stable, for programs: invalid, taken, quota, ...")
    message = serializers.CharField(help_text="for people")
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="per field (dotted for nested ones): what is wrong; empty otherwise",
    )


class Error(serializers.Serializer):
    error = ErrorDetail()


EVERY_CALL = {
    "401": "not authenticated, or the token is invalid, expired, revoked or used from "
    "a network it does not allow",
    "403": "not allowed (token scope, CSRF, quota)",
    "429": "too many requests; see Retry-After",
}
WITH_INPUT = {"400": "the request is not valid; `fields` says which part"}
WITH_PATH = {"404": "no such object, or not yours"}
WRITES = {
    "409": "the name is already taken",
    "413": "the body is too large",
    "415": "the body is not JSON",
    "502": "the zone's DNS server refused the change; nothing was stored",
    "503": "the zone's DNS server did not answer; nothing was stored, retry after "
    "Retry-After seconds",
}


class ApiSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        # /api/v1/hosts/{id}/history/ -> "hosts"
        return [self._tokenize_path()[0]]

    def _get_response_bodies(self, direction="response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_statuses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(Error, description=description), code, direction=direction
                )
        return responses

    def _error_statuses(self) -> dict[str, str]:
        statuses = dict(EVERY_CALL) | WITH_INPUT
        if "{" in self.path:
            statuses |= WITH_PATH
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses |= WRITES
        return statuses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Personal API tokens in the schema (Swagger UI's "Authorize" asks for one)."""

    target_class = "accounts.drf.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "http", "scheme": "bearer", "description": "a personal API token"}
