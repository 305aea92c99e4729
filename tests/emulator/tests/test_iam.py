# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OVH IAM v2 in the emulator: policy routes and their errors, the authorization check, users' groups, and the KMS
REST API authorized by the policies when ``iam_enforced`` is on."""

from __future__ import annotations

import ovh
import pytest

from conftest import account_urn, credential_files, kms_get, oauth_client, ready_credential

RANDOM = "/api/%s/v1/random?length=1"
SECRET_CONFIG = "/api/%s/v2/secretConfig"
RANDOM_GET = "okms:apikms:random/get"
CONFIG_GET = "okms:apikms:secretConfig/get"


def domain_urn(okms_id: str) -> str:
    return "urn:v1:eu:resource:okms:" + okms_id


def user_urn(info, login: str) -> str:
    return "urn:v1:eu:identity:user:%s/%s" % (info["nichandle"], login)


def forbidden(call, *args, **kwargs) -> str:
    """The message of a 403 ``Client::Forbidden`` answer (python-ovh raises its bare APIError for it)."""
    with pytest.raises(ovh.exceptions.APIError) as refused:
        call(*args, **kwargs)
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()["class"] == "Client::Forbidden"
    return str(refused.value)


def policy_body(name: str, identities: list, okms_id: str, allow=(), **extra) -> dict:
    body = {"name": name, "identities": identities, "resources": [{"urn": domain_urn(okms_id)}],
            "permissions": {"allow": [{"action": action} for action in allow]}}
    body.update(extra)
    return body


@pytest.fixture(autouse=True)
def no_policies_left(request):
    """Each test starts and ends with only ``ovh-default``."""
    yield
    if "ak" in request.fixturenames:
        client = request.getfixturevalue("ak")
        for policy in client.get("/v2/iam/policy"):
            if not policy["readOnly"]:
                client.delete("/v2/iam/policy/" + policy["id"])


@pytest.fixture(name="user_files")
def user_files_fixture(ak, info, domains, tmp_path):
    """Files of a READY credential whose only identity is the user ``web-1``."""
    created, view = ready_credential(ak, info, domains["main"], identityURNs=[user_urn(info, "web-1")])
    return credential_files(tmp_path, created, view)


def test_default_policy_is_read_only_and_grants_the_account_everything(ak, info):
    [default] = ak.get("/v2/iam/policy")
    assert default["name"] == "ovh-default" and default["readOnly"] is True
    assert default["identities"] == [account_urn(info)]
    assert default["permissions"] == {"allow": [{"action": "*"}]}
    assert "read-only" in forbidden(ak.delete, "/v2/iam/policy/" + default["id"])
    assert "read-only" in forbidden(ak.put, "/v2/iam/policy/" + default["id"], **policy_body("x", [account_urn(info)], info["okms_id"], ["*"]))


def test_policy_create_get_update_delete(ak, info, domains):
    body = policy_body("web", [user_urn(info, "web-1")], domains["main"], [RANDOM_GET], description="hosts",
                       conditions={"operator": "MATCH", "values": {"request.IP": "127.0.0.1"}})
    created = ak.post("/v2/iam/policy", **body)
    assert created["name"] == "web" and created["owner"] == info["nichandle"] and created["readOnly"] is False
    assert created["permissions"] == {"allow": [{"action": RANDOM_GET}], "except": [], "deny": []}
    assert created["conditions"] == body["conditions"] and created["updatedAt"] is None
    assert ak.get("/v2/iam/policy/" + created["id"]) == created
    updated = ak.put("/v2/iam/policy/" + created["id"], **dict(body, description="changed"))
    assert updated["description"] == "changed" and updated["createdAt"] == created["createdAt"] and updated["updatedAt"]
    assert [policy["name"] for policy in ak.get("/v2/iam/policy", identity=user_urn(info, "web-1"))] == ["web"]
    assert ak.get("/v2/iam/policy", identity=user_urn(info, "nobody")) == []
    assert ak.delete("/v2/iam/policy/" + created["id"]) is None
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get("/v2/iam/policy/" + created["id"])


@pytest.mark.parametrize("change, message", [
    ({"name": "ovh-mine"}, "reserved"),
    ({"identities": ["xx1111-ovh"]}, "identities"),
    ({"resources": ["urn:v1:eu:resource:okms:x"]}, "resources"),
    ({"permissions": {"allow": ["okms:apikms:random/get"]}}, "permissions.allow"),
    ({"conditions": {"operator": "XOR"}}, "conditions.operator"),
    ({"expiredAt": "tomorrow"}, "expiredAt"),
])
def test_policy_errors(ak, info, domains, change, message):
    with pytest.raises(ovh.exceptions.BadParametersError, match=message):
        ak.post("/v2/iam/policy", **dict(policy_body("bad", [account_urn(info)], domains["main"], [RANDOM_GET]), **change))
    assert len(ak.get("/v2/iam/policy")) == 1


def test_policies_of_another_account_are_not_found(ak, info, domains):
    from conftest import ak_client  # pylint: disable=import-outside-toplevel
    created = ak.post("/v2/iam/policy", **policy_body("mine", [account_urn(info)], domains["main"], [RANDOM_GET]))
    other = ak_client(info, info["accounts"][1])
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        other.get("/v2/iam/policy/" + created["id"])
    assert [policy["name"] for policy in other.get("/v2/iam/policy")] == ["ovh-default"]


def test_authorization_check_of_the_account_and_of_an_oauth2_service_account(ak, info, domains, admin):
    path = "/v2/iam/resource/%s/authorization/check" % domain_urn(domains["main"])
    actions = ["okms:apiovh:credential/create", "okms:apiovh:credential/get"]
    assert ak.post(path, actions=actions) == {"authorizedActions": actions, "unauthorizedActions": []}
    oauth = oauth_client(info)
    assert oauth.post(path, actions=actions)["unauthorizedActions"] == []
    admin.configure(iam_enforced=True)
    assert oauth.post(path, actions=actions) == {"authorizedActions": [], "unauthorizedActions": actions}
    service_account = "urn:v1:eu:identity:credential:%s/oauth2-%s" % (info["nichandle"], info["client_id"])
    ak.post("/v2/iam/policy", **policy_body("controller", [service_account], domains["main"], ["okms:apiovh:credential/get"]))
    assert oauth.post(path, actions=actions) == {"authorizedActions": actions[1:], "unauthorizedActions": actions[:1]}
    message = forbidden(oauth.post, "/v2/okms/resource/%s/credential" % domains["main"], name="x", identityURNs=[account_urn(info)])
    assert "okms:apiovh:credential/create" in message
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.post("/v2/iam/resource/urn:v1:eu:resource:okms:%s/authorization/check" % domains["other"], actions=actions)
    account = "urn:v1:eu:resource:account:" + info["nichandle"]
    listing = ["account:apiovh:iam/policy/get"]
    assert oauth.post("/v2/iam/resource/%s/authorization/check" % account, actions=listing)["unauthorizedActions"] == listing
    ak.post("/v2/iam/policy", **dict(policy_body("iam-read", [service_account], domains["main"], listing), resources=[{"urn": account}]))
    assert oauth.post("/v2/iam/resource/%s/authorization/check" % account, actions=listing)["authorizedActions"] == listing
    assert [policy["name"] for policy in oauth.get("/v2/iam/policy")][:1] == ["ovh-default"]


def test_reference_actions_and_users(ak, admin, info):
    actions = {item["action"] for item in ak.get("/v2/iam/reference/action", resourceType="okms")}
    assert {RANDOM_GET, CONFIG_GET, "okms:apiovh:credential/create"} <= actions
    assert ak.get("/v2/iam/reference/action", resourceType="vps") == []
    admin.call("POST", "/iam/users", {"login": "db-1", "group": "databases"})
    assert ak.get("/me/identity/user/db-1")["group"] == "databases"
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get("/me/identity/user/nobody")
    admin.call("POST", "/iam/users", {"login": "a/b"}, expect=400)


def test_without_enforcement_policies_do_not_matter(info, domains, public_ca, user_files):
    assert kms_get(info, RANDOM % domains["main"], user_files, public_ca).status_code == 200


def test_identity_without_policy_is_refused_as_the_kms_rest_api_refuses(info, domains, admin, public_ca, user_files):
    admin.configure(iam_enforced=True)
    refused = kms_get(info, RANDOM % domains["main"], user_files, public_ca)
    assert refused.status_code == 403
    body = refused.json()
    assert set(body) == {"error_id", "error_code", "errors", "request_id"}
    assert (body["error_code"] >> 12) & 0xF == 4 and RANDOM_GET in body["errors"][0]
    admin.configure(kms_authz_status=401)
    assert kms_get(info, RANDOM % domains["main"], user_files, public_ca).status_code == 401


def test_allow_except_deny_and_groups(ak, info, domains, admin, public_ca, user_files):
    admin.configure(iam_enforced=True)
    web = user_urn(info, "web-1")
    main = domains["main"]
    ak.post("/v2/iam/policy", **policy_body("all-but-random", [web], main, ["okms:apikms:*"],
                                            permissions={"allow": [{"action": "okms:apikms:*"}], "except": [{"action": RANDOM_GET}]}))
    assert kms_get(info, SECRET_CONFIG % main, user_files, public_ca).status_code == 200
    assert kms_get(info, RANDOM % main, user_files, public_ca).status_code == 403
    group = "urn:v1:eu:identity:group:%s/servers" % info["nichandle"]
    ak.post("/v2/iam/policy", **policy_body("servers-random", [group], main, [RANDOM_GET]))
    assert kms_get(info, RANDOM % main, user_files, public_ca).status_code == 403
    admin.call("POST", "/iam/users", {"login": "web-1", "group": "servers"})
    assert kms_get(info, RANDOM % main, user_files, public_ca).status_code == 200
    ak.post("/v2/iam/policy", **policy_body("deny-config", [group], main, permissions={"deny": [{"action": CONFIG_GET}]}))
    assert kms_get(info, SECRET_CONFIG % main, user_files, public_ca).status_code == 403
    admin.call("POST", "/iam/users", {"login": "web-1", "group": None})


def test_ip_condition_and_expiry(ak, info, domains, admin, public_ca, user_files):
    admin.configure(iam_enforced=True)
    web, main = user_urn(info, "web-1"), domains["main"]
    elsewhere = ak.post("/v2/iam/policy", **policy_body("from-elsewhere", [web], main, [RANDOM_GET],
                                                        conditions={"operator": "MATCH", "values": {"request.IP": "192.0.2.0/24"}}))
    assert kms_get(info, RANDOM % main, user_files, public_ca).status_code == 403
    ak.put("/v2/iam/policy/" + elsewhere["id"], **policy_body("from-here", [web], main, [RANDOM_GET],
                                                              conditions={"operator": "MATCH", "values": {"request.IP": "192.0.2.1,127.0.0.1"}}))
    assert kms_get(info, RANDOM % main, user_files, public_ca).status_code == 200
    ak.put("/v2/iam/policy/" + elsewhere["id"], **policy_body("expired", [web], main, [RANDOM_GET], expiredAt="2020-01-01T00:00:00Z"))
    assert kms_get(info, RANDOM % main, user_files, public_ca).status_code == 403


def test_account_identity_keeps_ovh_default(info, domains, admin, public_ca, ready_files):
    admin.configure(iam_enforced=True)
    assert kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca).status_code == 200
