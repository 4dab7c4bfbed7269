"""The API's own small views."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # answers every method alike; a CSRF refusal would be an HTML page
def not_found(request: HttpRequest) -> JsonResponse:
    """Any path under /api/v1/ that names nothing, in the one error shape."""
    error = {"status": 404, "code": "not_found", "message": "no such endpoint", "fields": {}}
    return JsonResponse({"error": error}, status=404)
