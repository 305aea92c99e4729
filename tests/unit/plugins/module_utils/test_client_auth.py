# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Authentication: application key signatures (OVH's test vectors, server time) and OAuth2 client credentials."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import pytest
import requests

from ansible_collections.okms.access.plugins.module_utils._client import (
    VERSION_VARIABLE,
    OvhApiError,
    client_from_params,
    sign,
)
from ansible_collections.okms.access.tests.unit.plugins.module_utils.ovh_fakes import (
    AK, AS, CK, CLIENT_ID, CLIENT_SECRET, START, Answer)


@pytest.mark.parametrize("method, url, body, expected", [
    ("GET", "https://eu.api.ovh.com/1.0/auth", "", "$1$e9556054b6309771395efa467c22e627407461ad"),
    ("POST", "https://eu.api.ovh.com/1.0/auth", '{"a":"b","c":"d"}', "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1"),
    ("GET", "https://eu.api.ovh.com/v2/call", "", "$1$bb63b132a6f84ad5433d0c534d48d3f7c3804285"),
])
def test_signature_vectors(method, url, body, expected):
    assert sign(AS, CK, method, url, body, 1457018875) == expected


class RecordingSession(requests.Session):
    """A real requests session that remembers the options of every request it sends."""

    def __init__(self):
        super().__init__()
        self.options = []

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        self.options.append(dict(kwargs, method=method, url=url))
        return super().request(method, url, *args, **kwargs)


def expected_signature(api, recorded):
    url = api.url + recorded.path + ("?" + recorded.query if recorded.query else "")
    return sign(AS, CK, recorded.method, url, recorded.body.decode("utf-8"), recorded.headers["X-Ovh-Timestamp"])


def test_signed_requests_carry_the_server_time(api, client_for, clock):
    api.server_offset = 42
    api.queue("GET", "/1.0/me", Answer(body={"nichandle": "xx1111-ovh"}))
    api.queue("GET", "/v2/okms/resource/r1", Answer(body={"id": "r1"}))
    api.queue("POST", "/v2/okms/resource/r1/credential", Answer(201, {"id": "c1", "privateKeyPEM": "k"}))
    client = client_for()
    assert client.auth_method == "application_key"

    assert client.get("/me") == {"nichandle": "xx1111-ovh"}
    clock.now += 100  # the delta is not fetched again: the local clock moves on, the offset stays
    assert client.get("/v2/okms/resource/r1", params={"publicCA": "true"}) == {"id": "r1"}
    assert client.post("/v2/okms/resource/r1/credential", {"name": "web 1", "identityURNs": ["urn:v1:eu:identity:account:xx1111-ovh"]})["id"] == "c1"

    assert len(api.calls("GET", "/1.0/auth/time")) == 1
    calls = [r for r in api.requests if r.path != "/1.0/auth/time"]
    assert [r.headers["X-Ovh-Timestamp"] for r in calls] == [str(int(START) + 42), str(int(START) + 142), str(int(START) + 142)]
    for recorded in calls:
        assert recorded.headers["X-Ovh-Application"] == AK
        assert recorded.headers["X-Ovh-Consumer"] == CK
        assert recorded.headers["X-Ovh-Signature"] == expected_signature(api, recorded)
        assert "Authorization" not in recorded.headers
    assert calls[1].query == "publicCA=true"
    assert calls[2].body == b'{"name":"web 1","identityURNs":["urn:v1:eu:identity:account:xx1111-ovh"]}'
    assert calls[2].headers["Content-Type"] == "application/json"


def test_server_time_failure_is_an_api_error(api, client_for):
    api.queue("GET", "/1.0/auth/time", Answer(body="not a number"))
    with pytest.raises(OvhApiError) as error:
        client_for().get("/me")
    assert "GET /auth/time failed" in str(error.value) and "not an integer" in str(error.value)
    assert not api.calls("GET", "/1.0/me")


def test_user_agent_session_reuse_timeouts_and_tls_options_on_every_request(api, client_for, oauth2_params, tls_files):
    session = RecordingSession()
    api.queue("GET", "/1.0/me", Answer(body={}), Answer(body={}))
    client = client_for(session=session, request_timeout=7)
    client.get("/me")
    client.get("/me")
    oauth2_session = RecordingSession()
    api.queue("POST", "/oauth2/token", Answer(body={"access_token": "t1", "token_type": "Bearer", "expires_in": 3600}))
    api.queue("GET", "/1.0/me", Answer(body={}))
    client_for(session=oauth2_session, request_timeout=7, validate_certs=False, **oauth2_params).get("/me")

    assert {r.headers["User-Agent"] for r in api.requests} == {"okms.access/unknown"}
    assert len({r.client_port for r in api.requests[:3]}) == 1, "one keep-alive connection for time + two calls"
    assert [(o["method"], o["timeout"], o["verify"]) for o in session.options] == [("GET", 7.0, tls_files["ca"])] * 3
    assert [(o["method"], o["timeout"], o["verify"]) for o in oauth2_session.options] == [("POST", 7.0, False), ("GET", 7.0, False)]


def test_the_user_agent_names_the_version_the_action_plugins_pass(api, tls_files):
    api.queue("GET", "/1.0/me", Answer(body={}))
    params = dict(endpoint=api.url + "/1.0", ca_path=tls_files["ca"], application_key=AK, application_secret=AS, consumer_key=CK)
    client_from_params(params, environ={VERSION_VARIABLE: "1.2.3"}, config_files=[]).get("/me")
    assert {r.headers["User-Agent"] for r in api.requests} == {"okms.access/1.2.3"}


def token_answer(token, expires_in=3600):
    return Answer(body={"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": "all"})


def bearer_tokens(api):
    return [r.headers.get("Authorization") for r in api.requests if r.path != "/oauth2/token"]


def test_oauth2_token_request_and_reuse(api, client_for, oauth2_params):
    api.queue("POST", "/oauth2/token", token_answer("t1"))
    api.handle("GET", "/1.0/me", lambda recorded: Answer(body={"nichandle": "xx1111-ovh"}))
    client = client_for(**oauth2_params)
    assert client.auth_method == "oauth2"
    for dummy in range(3):
        assert client.get("/me") == {"nichandle": "xx1111-ovh"}

    token_calls = api.calls("POST", "/oauth2/token")
    assert len(token_calls) == 1
    assert parse_qs(token_calls[0].body.decode()) == {"grant_type": ["client_credentials"], "scope": ["all"]}
    basic = base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode()
    assert token_calls[0].headers["Authorization"] == "Basic " + basic
    assert bearer_tokens(api) == ["Bearer t1"] * 3
    assert not [r for r in api.requests if "X-Ovh-Signature" in r.headers or "X-Ovh-Application" in r.headers]
    assert not api.calls("GET", "/1.0/auth/time")


def test_oauth2_token_refreshed_when_it_expires(api, client_for, oauth2_params, clock):
    api.queue("POST", "/oauth2/token", token_answer("t1", 3600), token_answer("t2", 3600))
    api.handle("GET", "/1.0/me", lambda recorded: Answer(body={}))
    client = client_for(**oauth2_params)
    client.get("/me")
    clock.now = START + 3600 - 31  # inside the lifetime less the 30 s margin
    client.get("/me")
    clock.now = START + 3600 - 29  # inside the margin: refreshed before the server would refuse it
    client.get("/me")
    client.get("/me")
    assert bearer_tokens(api) == ["Bearer t1", "Bearer t1", "Bearer t2", "Bearer t2"]
    assert len(api.calls("POST", "/oauth2/token")) == 2


def test_oauth2_short_lived_token_margin_is_a_tenth(api, client_for, oauth2_params, clock):
    api.queue("POST", "/oauth2/token", token_answer("t1", 10), token_answer("t2", 10))
    api.handle("GET", "/1.0/me", lambda recorded: Answer(body={}))
    client = client_for(**oauth2_params)
    client.get("/me")
    clock.now = START + 8.9
    client.get("/me")
    clock.now = START + 9
    client.get("/me")
    assert bearer_tokens(api) == ["Bearer t1", "Bearer t1", "Bearer t2"]


def test_oauth2_token_refetched_once_on_401(api, client_for, oauth2_params):
    api.queue("POST", "/oauth2/token", token_answer("revoked"), token_answer("fresh"))
    api.queue("POST", "/v2/okms/resource/r1/credential",
              Answer(401, {"class": "Client::Unauthorized", "message": "token expired"}),
              Answer(201, {"id": "c1"}))
    assert client_for(**oauth2_params).post("/v2/okms/resource/r1/credential", {"name": "n"}) == {"id": "c1"}
    assert bearer_tokens(api) == ["Bearer revoked", "Bearer fresh"]
    assert [r.body for r in api.calls("POST", "/v2/okms/resource/r1/credential")] == [b'{"name":"n"}'] * 2


def test_oauth2_second_401_is_reported(api, client_for, oauth2_params):
    api.queue("POST", "/oauth2/token", token_answer("t1"), token_answer("t2"), token_answer("t3"))
    refused = Answer(401, {"class": "Client::Unauthorized", "message": "Invalid token"}, {"X-Ovh-QueryID": "EU.ext-3.abc"})
    api.handle("GET", "/1.0/me", lambda recorded: refused)
    with pytest.raises(OvhApiError) as error:
        client_for(**oauth2_params).get("/me")
    assert len(api.calls("POST", "/oauth2/token")) == 2
    assert len(api.calls("GET", "/1.0/me")) == 2
    message = str(error.value)
    assert error.value.status == 401
    assert "GET /me failed: HTTP 401 Client::Unauthorized: Invalid token (X-Ovh-QueryID: EU.ext-3.abc)" in message
    assert "OAuth2 client credentials of client_id %s" % CLIENT_ID in message
    assert CLIENT_SECRET not in message


def test_oauth2_token_endpoint_refusal(api, client_for, oauth2_params):
    api.queue("POST", "/oauth2/token", Answer(401, {"error": "invalid_client", "error_description": "Unknown client"}))
    with pytest.raises(OvhApiError) as error:
        client_for(**oauth2_params).get("/me")
    assert error.value.error_class == "invalid_client"
    assert error.value.path == oauth2_params["oauth2_token_url"]
    assert "HTTP 401 invalid_client: Unknown client" in str(error.value)
    assert CLIENT_SECRET not in str(error.value) and CLIENT_SECRET not in json.dumps(error.value.to_failure())
    assert not api.calls("GET", "/1.0/me")


def test_oauth2_token_answer_without_token(api, client_for, oauth2_params):
    api.queue("POST", "/oauth2/token", Answer(body={"token_type": "Bearer"}))
    with pytest.raises(OvhApiError) as error:
        client_for(**oauth2_params).get("/me")
    assert "no access_token" in str(error.value)


def test_oauth2_token_expiring_mid_play_is_fetched_once_for_every_client_of_the_play(api, client_for, oauth2_params, clock):
    api.queue("POST", "/oauth2/token", token_answer("t1", 3600), token_answer("t2", 3600))
    api.handle("GET", "/1.0/me", lambda recorded: Answer(body={}))
    start = client_for(**oauth2_params)
    start.share()
    session = start.session_state()
    hosts = [client_for(**oauth2_params) for dummy in range(3)]
    for client in hosts:
        client.resume_session(session)
        client.get("/me")
    clock.now = START + 3600  # expired: the first host's client fetches t2, the others take it from the play
    for client in hosts:
        client.get("/me")
    assert len(api.calls("POST", "/oauth2/token")) == 2
    assert bearer_tokens(api) == ["Bearer t1"] * 3 + ["Bearer t2"] * 3


def test_oauth2_shared_token_refused_with_401_is_not_taken_again(api, client_for, oauth2_params):
    api.queue("POST", "/oauth2/token", token_answer("revoked"), token_answer("fresh"))
    api.queue("GET", "/1.0/me", Answer(401, {"class": "Client::Unauthorized", "message": "revoked"}), Answer(body={}))
    client = client_for(**oauth2_params)
    client.share()
    assert client.get("/me") == {}
    assert bearer_tokens(api) == ["Bearer revoked", "Bearer fresh"]
