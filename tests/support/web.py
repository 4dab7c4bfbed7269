"""Requests as clients and people make them."""

import base64

from django.test import Client


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def nic(client, host, secret, path="/nic/update", method="get", **params):
    """A dyndns2 request for the host, authenticated as ddclient does."""
    call = getattr(client, method)
    return call(
        path, params, HTTP_AUTHORIZATION=basic(host.fqdn, secret), HTTP_USER_AGENT="ddclient/3.10.0"
    )


def body(response) -> str:
    return response.content.decode()


def logged_in(user) -> Client:
    """A test client with the user's session, as if they had logged in."""
    client = Client()
    client.force_login(user)
    return client
