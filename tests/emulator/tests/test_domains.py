# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""KMS domains: /v2/okms/resource, accounts' isolation, IAM refusals."""

from __future__ import annotations

import uuid

import ovh
import pytest
import requests

from conftest import ak_client, api_root, create_credential, credentials_path, wait_for_status, walk_pages

DOMAIN_FIELDS = {
    "id", "region", "restEndpoint", "kmipEndpoint", "kmipRsaEndpoint", "swaggerEndpoint", "kmipObjectCount",
    "serviceKeyCount", "secretCount", "secretVersionCount", "iam",
}


def test_list_shows_the_accounts_own_domains(ak, info):
    listed = ak.get("/v2/okms/resource")
    assert [domain["id"] for domain in listed] == info["accounts"][0]["okms_ids"]
    assert {domain["region"] for domain in listed} == {"eu-west-rbx", "eu-west-gra"}


def test_other_account_lists_only_its_domain(info, domains):
    listed = ak_client(info, info["accounts"][1]).get("/v2/okms/resource")
    assert [domain["id"] for domain in listed] == [domains["other"]]


def test_get_domain_fields(ak, info, domains):
    domain = ak.get("/v2/okms/resource/" + domains["main"])
    assert set(domain) == DOMAIN_FIELDS
    assert domain["restEndpoint"] == info["rest_url"]
    assert domain["kmipEndpoint"] == "127.0.0.1:5696"
    assert domain["iam"]["urn"] == "urn:v1:eu:resource:okms:" + domains["main"]
    assert domain["iam"]["displayName"] == "main"
    assert domain["iam"]["state"] == "OK"


def test_public_ca_is_the_ca_of_the_https_servers(ak, info, domains, tmp_path):
    domain = ak.get("/v2/okms/resource/" + domains["main"], publicCA=True)
    ca_path = tmp_path / "public-ca.pem"
    ca_path.write_text(domain["publicCA"], encoding="ascii")
    with open(info["ca_file"], encoding="ascii") as handle:
        assert handle.read().startswith(domain["publicCA"])
    assert requests.get(info["api_url"] + "/auth/time", verify=str(ca_path), timeout=30).status_code == 200


def test_public_ca_must_be_a_boolean(info, domains, bearer):
    response = bearer.get(api_root(info) + "/v2/okms/resource/%s?publicCA=maybe" % domains["main"], timeout=30)
    assert (response.status_code, response.json()["class"]) == (400, "Client::BadRequest")


@pytest.mark.parametrize("okms_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_domain_is_404(ak, okms_id):
    with pytest.raises(ovh.exceptions.ResourceNotFoundError) as caught:
        ak.get("/v2/okms/resource/" + okms_id)
    assert caught.value.response.json()["class"] == "Client::NotFound"
    assert caught.value.query_id


def test_domain_of_another_account_is_404(ak, domains):
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get("/v2/okms/resource/" + domains["other"])
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get(credentials_path(domains["other"]))


def test_domains_paginate(ak, info):
    listed, pages = walk_pages(ak, "/v2/okms/resource", 1)
    assert pages == 3
    assert [domain["id"] for domain in listed] == info["accounts"][0]["okms_ids"]


def test_iam_denied_action_answers_403(info, domains):
    other = info["accounts"][1]
    client = ak_client(info, other)
    created = create_credential(client, {**info, "nichandle": other["nichandle"]}, domains["other"])
    wait_for_status(client, domains["other"], created["id"], "READY")
    with pytest.raises(ovh.exceptions.APIError) as caught:
        client.delete(credentials_path(domains["other"], created["id"]))
    body = caught.value.response.json()
    assert caught.value.response.status_code == 403
    assert body["class"] == "Client::Forbidden"
    assert body["details"]["unauthorizedActionsByIAM"] == "okms:apiovh:credential/delete"
