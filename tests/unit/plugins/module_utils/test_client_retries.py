# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retries: which failures are retried for which method, backoff bounds, Retry-After, the total time bound, TLS."""

from __future__ import annotations

import random

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import (
    OvhApiClient,
    OvhApiError,
    OvhOutcomeUnknownError,
    resolve_config,
)
from ansible_collections.okms.access.tests.unit.plugins.module_utils.ovh_fakes import AK, AS, CK, Answer

CREDENTIALS = "/v2/okms/resource/r1/credential"
UNAVAILABLE = Answer(503, {"class": "Server::ServiceUnavailable", "message": "try later"}, {"X-Ovh-QueryID": "EU.ext-5.q"})
# Upper bounds of the successive backoff delays: 0.5 s doubling, capped at 10 s.
BOUNDS = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def api_path(path):
    return path if path.startswith("/v2/") else "/1.0" + path


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_idempotent_calls_are_retried_until_success(api, client_for, clock, method, status):
    api.queue(method, CREDENTIALS, Answer(status, {"class": "Server::X", "message": "m"}), Answer(status), Answer(200, [{"id": "c1"}]))
    client = client_for()
    call = client.get if method == "GET" else client.delete
    assert call(CREDENTIALS) == [{"id": "c1"}]
    assert len(api.calls(method, CREDENTIALS)) == 3
    assert clock.sleeps == BOUNDS[:2]


def test_backoff_is_full_jitter_under_a_capped_exponential(api, client_for, clock):
    api.handle("GET", CREDENTIALS, lambda recorded: UNAVAILABLE)
    generator = random.Random(7)
    client = client_for(rand=generator.random, retry_timeout=1000)
    with pytest.raises(OvhApiError) as error:
        client.get(CREDENTIALS)
    assert len(api.calls("GET", CREDENTIALS)) == OvhApiClient.max_retries + 1
    assert len(clock.sleeps) == OvhApiClient.max_retries
    assert all(0 <= delay <= bound for delay, bound in zip(clock.sleeps, BOUNDS))
    assert clock.sleeps != BOUNDS, "jitter makes the delays differ from their bounds"
    assert error.value.status == 503
    assert str(error.value) == ("GET %s failed: HTTP 503 Server::ServiceUnavailable: try later (X-Ovh-QueryID: EU.ext-5.q), after 9 attempts."
                                % CREDENTIALS)


def test_retries_stop_at_the_total_time_bound(api, client_for, clock):
    api.handle("GET", CREDENTIALS, lambda recorded: UNAVAILABLE)
    with pytest.raises(OvhApiError) as error:
        client_for(retry_timeout=5).get(CREDENTIALS)
    # 0.5 + 1 + 2 = 3.5 s slept; the next 4 s would end after the 5 s bound, so the client gives up.
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert error.value.attempts == 4 and len(api.calls("GET", CREDENTIALS)) == 4


def test_zero_retry_timeout_means_one_attempt(api, client_for, clock):
    api.handle("GET", CREDENTIALS, lambda recorded: UNAVAILABLE)
    with pytest.raises(OvhApiError):
        client_for(retry_timeout=0).get(CREDENTIALS)
    assert len(api.calls("GET", CREDENTIALS)) == 1 and clock.sleeps == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_retry_after_is_honoured(api, client_for, clock, method):
    api.queue(method, CREDENTIALS, Answer(429, {"class": "Client::TooManyRequests", "message": "slow down"}, {"Retry-After": "7"}),
              Answer(200, {"id": "c1"}))
    client = client_for()
    result = client.get(CREDENTIALS) if method == "GET" else client.post(CREDENTIALS, {"name": "n"})
    assert result == {"id": "c1"}
    assert clock.sleeps == [7.0]
    assert len(api.calls(method, CREDENTIALS)) == 2


def test_retry_after_beyond_the_time_bound_gives_up_at_once(api, client_for, clock):
    api.queue("GET", CREDENTIALS, Answer(429, {"class": "Client::TooManyRequests", "message": "quota"}, {"Retry-After": "120"}))
    with pytest.raises(OvhApiError) as error:
        client_for(retry_timeout=60).get(CREDENTIALS)
    assert error.value.status == 429 and clock.sleeps == []


def test_unparsable_retry_after_falls_back_to_backoff(api, client_for, clock):
    api.queue("GET", CREDENTIALS, Answer(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), Answer(200, []))
    assert client_for().get(CREDENTIALS) == []
    assert clock.sleeps == [0.5]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 500])
def test_other_statuses_are_not_retried(api, client_for, clock, status):
    api.queue("GET", CREDENTIALS, Answer(status, {"class": "Client::Whatever", "message": "no"}))
    with pytest.raises(OvhApiError) as error:
        client_for().get(CREDENTIALS)
    assert error.value.status == status
    assert len(api.calls("GET", CREDENTIALS)) == 1 and clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_5xx_is_outcome_unknown_and_not_resent(api, client_for, clock, status):
    api.queue("POST", CREDENTIALS, Answer(status, {"class": "Server::InternalServerError", "message": "boom"}, {"X-Ovh-QueryID": "EU.ext-9.p"}))
    with pytest.raises(OvhOutcomeUnknownError) as error:
        client_for().post(CREDENTIALS, {"name": "n"})
    assert len(api.calls("POST", CREDENTIALS)) == 1 and clock.sleeps == []
    assert error.value.status == status and error.value.query_id == "EU.ext-9.p"
    message = str(error.value)
    assert message.startswith("POST %s: outcome unknown: HTTP %d Server::InternalServerError: boom (X-Ovh-QueryID: EU.ext-9.p)." % (CREDENTIALS, status))
    assert "look for its result before sending it again" in message


def test_post_4xx_is_a_plain_api_error(api, client_for):
    api.queue("POST", CREDENTIALS, Answer(400, {"class": "Client::BadRequest::CredentialNameInvalidCharacter", "message": "bad name"}))
    with pytest.raises(OvhApiError) as error:
        client_for().post(CREDENTIALS, {"name": "\u00e9"})
    assert not isinstance(error.value, OvhOutcomeUnknownError)
    assert error.value.error_class == "Client::BadRequest::CredentialNameInvalidCharacter"


def test_post_connection_dropped_is_outcome_unknown(api, client_for, clock):
    api.queue("POST", CREDENTIALS, Answer(drop=True))
    with pytest.raises(OvhOutcomeUnknownError) as error:
        client_for().post(CREDENTIALS, {"name": "n"})
    assert len(api.calls("POST", CREDENTIALS)) == 1 and clock.sleeps == []
    assert error.value.status is None and "connection failed" in str(error.value)


def test_post_answer_that_is_not_json_is_outcome_unknown(api, client_for):
    api.queue("POST", CREDENTIALS, Answer(201, raw=b"<html>cut"))
    with pytest.raises(OvhOutcomeUnknownError) as error:
        client_for().post(CREDENTIALS, {"name": "n"})
    assert "HTTP 201 with a body that is not JSON" in str(error.value)


def test_get_connection_dropped_is_retried(api, client_for, clock):
    api.queue("GET", CREDENTIALS, Answer(drop=True), Answer(200, []))
    assert client_for().get(CREDENTIALS) == []
    assert len(api.calls("GET", CREDENTIALS)) == 2 and clock.sleeps == [0.5]


def refused_client(port, clock, **params):
    settings = dict(endpoint="https://127.0.0.1:%d/1.0" % port, application_key=AK, application_secret=AS, consumer_key=CK)
    settings.update(params)
    return OvhApiClient(resolve_config(settings, environ={}, config_files=[]), sleep=clock.sleep, clock=clock.time, rand=lambda: 1.0)


def test_connection_refused_is_retried_then_reported(unused_port, clock):
    client = refused_client(unused_port, clock, retry_timeout=20)
    with pytest.raises(OvhApiError) as error:
        client.get("/me")
    # The first request of an application-key client asks for the server time.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert error.value.path == "/auth/time" and error.value.status is None
    assert "connection failed" in str(error.value) and "after 6 attempts" in str(error.value)


def test_read_timeout_is_retried_for_get_and_outcome_unknown_for_post(silent_port, clock, monkeypatch):
    monkeypatch.setattr(OvhApiClient, "max_retries", 1)
    client = refused_client(silent_port, clock, request_timeout=0.2)
    client._time_delta = 0  # pylint: disable=protected-access  # the silent server cannot tell its time
    with pytest.raises(OvhApiError) as error:
        client.get("/me")
    assert not isinstance(error.value, OvhOutcomeUnknownError)
    assert "no answer within request_timeout (0.2s)" in str(error.value) and error.value.attempts == 2
    with pytest.raises(OvhOutcomeUnknownError) as error:
        client.post(CREDENTIALS, {"name": "n"})
    assert error.value.attempts == 1 and clock.sleeps == [0.5]


def test_tls_with_ca_path(tls_api, tls_files, client_for):
    tls_api.queue("GET", "/1.0/me", Answer(body={"nichandle": "xx1111-ovh"}))
    assert client_for(tls_api, ca_path=tls_files["ca"]).get("/me") == {"nichandle": "xx1111-ovh"}


def test_tls_default_uses_requests_ca_bundle(tls_api, tls_files, client_for, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_files["ca"])
    tls_api.queue("GET", "/1.0/me", Answer(body={}))
    assert client_for(tls_api).get("/me") == {}


def test_tls_verification_failure_is_not_retried(tls_api, client_for, clock, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(OvhApiError) as error:
        client_for(tls_api).get("/me")
    assert clock.sleeps == [] and not tls_api.requests
    assert "TLS error" in str(error.value) and "ca_path" in str(error.value)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_verification_can_be_disabled(tls_api, client_for):
    tls_api.queue("GET", "/1.0/me", Answer(body={}))
    assert client_for(tls_api, validate_certs=False).get("/me") == {}


def test_a_429_pauses_every_client_of_the_play_for_its_retry_after(api, client_for, clock):
    first = client_for()
    first.share()
    second = client_for()
    second.resume_session(first.session_state())
    api.queue("GET", CREDENTIALS, Answer(429, {"class": "Client::TooManyRequests", "message": "slow down"}, {"Retry-After": "7"}),
              Answer(200, [{"id": "c1"}]), Answer(200, [{"id": "c2"}]))
    assert first.get(CREDENTIALS) == [{"id": "c1"}]
    assert clock.sleeps == [7.0]
    clock.now -= 5  # the other process asks 2 s into the pause: it waits the 5 s left, without a 429 of its own
    assert second.get(CREDENTIALS) == [{"id": "c2"}]
    assert clock.sleeps == [7.0, 5.0]
    assert len(api.calls("GET", CREDENTIALS)) == 3
