"""/api/v1/hosts/{id}/txt/: a host's ACME DNS-01 values, as the name server serves them."""

import pytest

from accounts import tokens

pytestmark = pytest.mark.django_db

VALUE_A = "a" * 43
VALUE_B = "B-_" + "b" * 40


def served_txt(bind, host) -> list[str]:
    return sorted(bind.lookup(f"_acme-challenge.{host.fqdn}", "TXT"))


def test_alice_adds_two_values_and_removes_one(alice_api, make_host, bind):
    host, _ = make_host()
    url = f"/api/v1/hosts/{host.pk}/txt/"
    for value in (VALUE_A, VALUE_B):
        response = alice_api.post(url, {"value": value}, format="json")
        assert response.status_code == 201, response.content
    assert sorted(alice_api.get(url).json()["values"]) == sorted([VALUE_A, VALUE_B])
    assert served_txt(bind, host) == sorted([VALUE_A, VALUE_B])
    assert alice_api.delete(f"{url}{VALUE_A}/").status_code == 204
    assert served_txt(bind, host) == [VALUE_B]
    assert alice_api.delete(f"{url}{VALUE_A}/").status_code == 204  # cleanup may repeat


def test_a_malformed_value_is_refused(alice_api, make_host):
    host, _ = make_host()
    response = alice_api.post(f"/api/v1/hosts/{host.pk}/txt/", {"value": "short"}, format="json")
    assert response.status_code == 400
    assert "43-character" in response.json()["error"]["message"]


def test_a_hosts_token_manages_the_records_of_its_host_only(alice, make_host, token_client, bind):
    mine, _ = make_host()
    other, _ = make_host()
    api = token_client(alice, scope="hosts", hosts=[mine])
    assert (
        api.post(f"/api/v1/hosts/{mine.pk}/txt/", {"value": VALUE_A}, format="json").status_code
        == 201
    )
    assert served_txt(bind, mine) == [VALUE_A]
    response = api.post(f"/api/v1/hosts/{other.pk}/txt/", {"value": VALUE_A}, format="json")
    assert response.status_code == 404
    assert served_txt(bind, other) == []


def test_bobs_host_records_do_not_exist_for_alice(alice_api, make_host, bob, bind):
    host, _ = make_host(owner=bob)
    url = f"/api/v1/hosts/{host.pk}/txt/"
    assert alice_api.get(url).status_code == 404
    assert alice_api.post(url, {"value": VALUE_A}, format="json").status_code == 404
    assert alice_api.delete(f"{url}{VALUE_A}/").status_code == 404


def test_a_read_token_reads_the_values_but_cannot_add(alice, make_host, token_client):
    host, _ = make_host()
    api = token_client(alice, scope="read")
    assert api.get(f"/api/v1/hosts/{host.pk}/txt/").json() == {"values": []}
    assert (
        api.post(f"/api/v1/hosts/{host.pk}/txt/", {"value": VALUE_A}, format="json").status_code
        == 403
    )
    assert tokens.tokens_of(alice).count() == 1
