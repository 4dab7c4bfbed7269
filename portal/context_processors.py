from django.conf import settings


def site(request) -> dict:
    return {"site_name": settings.DDNS_SITE_NAME}
