# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Admin interface: request counters, faults, settings, clock, preload."""

from __future__ import annotations

import time
import uuid

import ovh
import pytest
import requests

from conftest import account_urn, ak_client, create_credential, credentials_path, oauth_client, walk_pages

from okms_emulator.admin import is_loopback

CREDENTIALS_ROUTE = "/v2/okms/resource/{okmsId}/credential"
DOMAIN_ROUTE = "GET /v2/okms/resource/{okmsId}"


def test_requests_are_counted_by_route_template(info, domains, admin):
    admin.call("POST", "/requests/reset")
    client = ak_client(info)
    client.get("/me")
    created = create_credential(client, info, domains["main"])
    client.get(credentials_path(domains["main"], created["id"]))
    client.get(credentials_path(domains["main"]))
    oauth_client(info).get("/me")
    admin.call("GET", "/faults")
    counts = admin.call("GET", "/requests")
    assert counts["by_route"] == {
        "GET /1.0/auth/time": 1,
        "GET /1.0/me": 2,
        "POST /auth/oauth2/token": 1,
        "POST " + CREDENTIALS_ROUTE: 1,
        "GET " + CREDENTIALS_ROUTE: 1,
        "GET " + CREDENTIALS_ROUTE + "/{credentialId}": 1,
    }
    assert counts["total"] == 7
    assert admin.call("POST", "/requests/reset") == {"total": 0, "by_route": {}}


def test_status_fault_with_retry_after(ak, domains, admin):
    admin.fault(DOMAIN_ROUTE, status=503, retry_after=7, count=2)
    for _attempt in range(2):
        response = ak.raw_call("GET", "/v2/okms/resource/" + domains["main"])
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.headers["X-Ovh-QueryID"]
        assert response.json()["class"] == "Server::ServiceUnavailable"
    assert ak.raw_call("GET", "/v2/okms/resource/" + domains["main"]).status_code == 200
    assert admin.call("GET", "/faults") == {"faults": []}


def test_429_fault_refuses_before_processing(ak, info, domains, admin):
    name = "throttled-" + uuid.uuid4().hex
    admin.fault("POST " + CREDENTIALS_ROUTE, status=429)
    response = ak.raw_call("POST", credentials_path(domains["main"]), data={"name": name, "identityURNs": [account_urn(info)]})
    assert (response.status_code, response.json()["class"]) == (429, "Client::TooManyRequests")
    assert "Retry-After" not in response.headers
    assert name not in {view["name"] for view in ak.get(credentials_path(domains["main"]))}


def test_delay_fault(ak, admin):
    admin.fault("GET /1.0/me", delay=0.5)
    started = time.monotonic()
    assert ak.get("/me")
    assert time.monotonic() - started >= 0.5


def test_delay_after_commit_creates_then_answers_late(info, domains, admin):
    name = "late-" + uuid.uuid4().hex
    admin.fault("POST " + CREDENTIALS_ROUTE, delay_after_commit=1.0)
    started = time.monotonic()
    assert create_credential(ak_client(info), info, domains["main"], name=name)["name"] == name
    assert time.monotonic() - started >= 1.0


def test_delay_after_commit_stores_before_the_answer(info, domains, admin):
    name = "late-" + uuid.uuid4().hex
    admin.fault("POST " + CREDENTIALS_ROUTE, delay_after_commit=5.0)
    client = ak_client(info)
    client._timeout = 1  # pylint: disable=protected-access
    with pytest.raises(ovh.exceptions.HTTPError):
        create_credential(client, info, domains["main"], name=name)
    assert [view["name"] for view in ak_client(info).get(credentials_path(domains["main"])) if view["name"] == name] == [name]


def test_drop_after_commit_creates_then_answers_nothing(info, domains, admin):
    name = "dropped-" + uuid.uuid4().hex
    admin.fault("POST " + CREDENTIALS_ROUTE, drop_after_commit=True)
    client = ak_client(info)
    with pytest.raises(ovh.exceptions.HTTPError) as caught:
        create_credential(client, info, domains["main"], name=name)
    assert isinstance(caught.value.args[1], requests.exceptions.ConnectionError)
    assert [view["name"] for view in client.get(credentials_path(domains["main"])) if view["name"] == name] == [name]


@pytest.mark.parametrize("spec", [
    {"route": "GET /v2/nowhere", "status": 503},
    {"route": DOMAIN_ROUTE},
    {"route": DOMAIN_ROUTE, "status": 503, "delay": 1},
    {"route": DOMAIN_ROUTE, "status": 200},
    {"route": DOMAIN_ROUTE, "delay": 1, "retry_after": 3},
    {"route": DOMAIN_ROUTE, "status": 503, "count": 0},
    {"route": DOMAIN_ROUTE, "drop_after_commit": "yes"},
    {"route": DOMAIN_ROUTE, "delay_after_commit": -1},
])
def test_bad_faults_are_refused(admin, spec):
    assert admin.call("POST", "/faults", spec, expect=400)["class"] == "Client::BadRequest"


@pytest.mark.parametrize("settings", [{"page_size": 0}, {"page_size": 1001}, {"ready_delay": -1}, {"nope": 1}, {"create_status": 204}, {"delete_creating": 1}])
def test_bad_settings_are_refused_whole(admin, settings):
    before = admin.call("GET", "/config")
    admin.call("POST", "/config", {"ready_delay": 9, **settings}, expect=400)
    assert admin.call("GET", "/config") == before


def test_settings_change_at_runtime(admin):
    assert admin.configure(page_size=7, token_expires_in=30)["page_size"] == 7
    assert admin.call("GET", "/config")["token_expires_in"] == 30


def test_clock_offset_moves_server_time(info, admin):
    assert admin.clock(3600)["offset"] == 3600
    server_time = requests.get(info["api_url"] + "/auth/time", timeout=30).json()
    assert abs(server_time - time.time() - 3600) < 5


def test_admin_errors(admin, domains):
    assert admin.call("POST", "/credentials/" + str(uuid.uuid4()), {"status": "ERROR"}, expect=404)["class"] == "Client::NotFound"
    assert admin.call("POST", "/preload", {"okms_id": str(uuid.uuid4()), "count": 1}, expect=404)["class"] == "Client::NotFound"
    assert admin.call("POST", "/preload", {"okms_id": domains["bench"], "count": 0}, expect=400)["class"] == "Client::BadRequest"
    assert admin.call("POST", "/clock", {"offset": "soon"}, expect=400)["class"] == "Client::BadRequest"
    assert admin.call("GET", "/nowhere", expect=404)["class"] == "Client::NotFound"


def test_preload_2000_credentials(ak, domains, admin):
    started = time.monotonic()
    assert admin.call("POST", "/preload", {"okms_id": domains["bench"], "count": 2000}) == {"created": 2000}
    elapsed = time.monotonic() - started
    print("preload of 2000 credentials: %.2f s" % elapsed)
    assert elapsed < 15
    views, pages = walk_pages(ak, credentials_path(domains["bench"]), 5000)
    assert pages == 2  # sizes above 1000 are capped
    assert len(views) == len({view["id"] for view in views}) == 2000
    assert {view["status"] for view in views} == {"READY"}
    assert len({view["certificatePEM"] for view in views}) == 2000


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("::ffff:127.0.0.1", True), ("10.0.0.1", False), ("::ffff:10.0.0.1", False),
])
def test_loopback_detection(address, loopback):
    assert is_loopback(address) is loopback
