# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One emulator for the session (two accounts, four domains) and python-ovh clients pointed at it."""

from __future__ import annotations

import hashlib
import json
import time

import ovh
import pytest
import requests

from emulator_process import EmulatorProcess

ENDPOINT = "okms-emulator"
SESSION_SETTINGS = {"ready_delay": 0.05, "delete_delay": 0.05}
SESSION_CONFIG = {
    "settings": SESSION_SETTINGS,
    "accounts": [
        {"domains": [{"display_name": "main"}, {"display_name": "load", "region": "eu-west-gra"}, {"display_name": "bench"}]},
        {
            "iam_denied_actions": ["okms:apiovh:credential/delete", "okms:apiovh:secret/version/getData"], "kms_denied_actions": ["okms:apikms:random/get"],
            "domains": [{"display_name": "other-account"}],
        },
    ],
}
WAIT_TIMEOUT = 10


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory):
    """The session's emulator process: stopped with SIGTERM at the end, which must exit 0 with no traceback logged."""
    base = tmp_path_factory.mktemp("emulator")
    config = base / "config.json"
    config.write_text(json.dumps(SESSION_CONFIG), encoding="utf-8")
    process = EmulatorProcess(base / "state", "--config", str(config))
    process.start()
    yield process
    assert process.stop() == 0
    assert "Traceback" not in process.log()


@pytest.fixture(scope="session")
def info(emulator_process):
    """emulator.json, with python-ovh's endpoint tables and requests' CA bundle pointed at the emulator.

    requests lets REQUESTS_CA_BUNDLE override ``Session.verify``, and python-ovh fetches OAuth2
    tokens with a session of its own, so the CA goes into the environment.
    """
    data = emulator_process.info
    patch = pytest.MonkeyPatch()
    patch.setenv("REQUESTS_CA_BUNDLE", data["ca_file"])
    patch.setitem(ovh.client.ENDPOINTS, ENDPOINT, data["api_url"])
    patch.setitem(ovh.client.OAUTH2_TOKEN_URLS, ENDPOINT, data["oauth2_token_url"])
    yield data
    patch.undo()


@pytest.fixture(scope="session")
def domains(info):
    """Domain ids by role: main, load, bench (first account), other (second account)."""
    first, second = info["accounts"]
    return dict(zip(("main", "load", "bench"), first["okms_ids"]), other=second["okms_ids"][0])


def ak_client(info, account=None) -> ovh.Client:
    """python-ovh with application key, secret and consumer key."""
    account = account or info
    client = ovh.Client(ENDPOINT, account["application_key"], account["application_secret"], account["consumer_key"])
    client._session.verify = info["ca_file"]  # pylint: disable=protected-access
    return client


def oauth_client(info, account=None) -> ovh.Client:
    """python-ovh with an OAuth2 service account."""
    account = account or info
    return ovh.Client(ENDPOINT, client_id=account["client_id"], client_secret=account["client_secret"])


@pytest.fixture(scope="session")
def ak(info):
    """Session python-ovh client (AK/AS/CK) of the first account."""
    return ak_client(info)


@pytest.fixture(scope="session")
def oauth(info):
    """Session python-ovh client (OAuth2) of the first account."""
    return oauth_client(info)


class Admin:
    """The admin interface."""

    def __init__(self, info) -> None:
        self.url = info["admin_url"]
        self.ca_file = info["ca_file"]
        self.session = requests.Session()
        self.baseline = self.call("GET", "/config")

    def call(self, method: str, path: str, body=None, expect: int = 200):
        """JSON answer of an admin call, which must have status ``expect``."""
        response = self.session.request(method, self.url + path, json=body, verify=self.ca_file, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()

    def configure(self, **settings) -> dict:
        """Change runtime settings."""
        return self.call("POST", "/config", settings)

    def fault(self, route: str, **spec) -> dict:
        """Queue a fault."""
        return self.call("POST", "/faults", {"route": route, **spec})

    def clock(self, offset: float) -> dict:
        """Skew the server clock."""
        return self.call("POST", "/clock", {"offset": offset})

    def force(self, credential_id: str, **changes) -> dict:
        """Force a credential's status or expiredAt."""
        return self.call("POST", "/credentials/" + credential_id, changes)


@pytest.fixture(scope="session")
def admin(info):
    """Admin interface client (created before any test changes a setting: ``baseline`` is the session's)."""
    return Admin(info)


@pytest.fixture(autouse=True)
def restore_emulator(request):
    """After each test using the emulator: no faults, no clock skew, the session's settings."""
    admin = request.getfixturevalue("admin") if "info" in request.fixturenames else None
    yield
    if admin is not None:
        admin.call("DELETE", "/faults")
        admin.clock(0)
        admin.configure(**admin.baseline)


def api_root(info) -> str:
    """``https://H:P`` (v2 paths hang from it)."""
    return info["api_url"].rsplit("/1.0", 1)[0]


def credentials_path(okms_id: str, credential_id: str | None = None) -> str:
    """``/v2/okms/resource/{okmsId}/credential[/{credentialId}]``."""
    path = "/v2/okms/resource/%s/credential" % okms_id
    return path + "/" + credential_id if credential_id else path


def account_urn(info) -> str:
    """Identity URN of the first account."""
    return "urn:v1:eu:identity:account:" + info["nichandle"]


def create_credential(client, info, okms_id: str, name: str = "test", **fields) -> dict:
    """POST a credential (identityURNs defaults to the account)."""
    fields.setdefault("identityURNs", [account_urn(info)])
    return client.post(credentials_path(okms_id), name=name, **fields)


def wait_for_status(client, okms_id: str, credential_id: str, status: str) -> dict:
    """Poll GET until the credential has ``status`` (bounded)."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        view = client.get(credentials_path(okms_id, credential_id))
        if view["status"] == status or time.monotonic() > deadline:
            assert view["status"] == status
            return view
        time.sleep(0.02)


def wait_until_gone(client, okms_id: str, credential_id: str) -> None:
    """Poll GET until it answers 404 (bounded)."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while time.monotonic() < deadline:
        try:
            client.get(credentials_path(okms_id, credential_id))
        except ovh.exceptions.ResourceNotFoundError:
            return
        time.sleep(0.02)
    pytest.fail("credential %s still there after %s s" % (credential_id, WAIT_TIMEOUT))


def ready_credential(client, info, okms_id: str, **fields) -> tuple:
    """``(creation answer, READY view)`` of a new credential."""
    created = create_credential(client, info, okms_id, **fields)
    return created, wait_for_status(client, okms_id, created["id"], "READY")


def credential_files(tmp_path, created: dict, view: dict) -> tuple:
    """``(client.cert, domain.key)`` paths of a credential in folder ``tmp_path`` (created), as a host would keep them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    cert, key = tmp_path / "client.cert", tmp_path / "domain.key"
    cert.write_text(view["certificatePEM"], encoding="ascii")
    key.write_text(created["privateKeyPEM"], encoding="ascii")
    return str(cert), str(key)


def kms_get(info, path: str, files, public_ca: str) -> requests.Response:
    """GET on the KMS domain's REST API with a client certificate."""
    return requests.get(info["rest_url"] + path, cert=files, verify=public_ca, timeout=30)


@pytest.fixture(name="public_ca")
def public_ca_fixture(ak, domains, tmp_path_factory):
    """The domain's publicCA (from the API) in a file, as a host would keep it."""
    path = tmp_path_factory.mktemp("public-ca") / "ca.pem"
    path.write_text(ak.get("/v2/okms/resource/" + domains["main"], publicCA=True)["publicCA"], encoding="ascii")
    return str(path)


@pytest.fixture(name="ready_files")
def ready_files_fixture(ak, info, domains, tmp_path):
    """``(creation, view, (cert file, key file))`` of a READY credential of the main domain."""
    created, view = ready_credential(ak, info, domains["main"])
    return created, view, credential_files(tmp_path, created, view)


def walk_pages(client, path: str, size: int) -> tuple:
    """``(items, pages)`` of a paginated listing, following X-Pagination-Cursor-Next to the end."""
    items, cursor, pages = [], None, 0
    while True:
        headers = {"X-Pagination-Size": str(size), **({"X-Pagination-Cursor": cursor} if cursor else {})}
        response = client.raw_call("GET", path, headers=headers)
        assert response.status_code == 200
        assert len(response.json()) <= min(size, 1000)
        items += response.json()
        pages += 1
        cursor = response.headers.get("X-Pagination-Cursor-Next")
        if cursor is None:
            return items, pages


def ovh_signature(secret: str, consumer_key: str, method: str, url: str, body: bytes, timestamp: str) -> str:
    """The tests' own signature, written from the reference (independent of the emulator's)."""
    text = b"+".join([secret.encode(), consumer_key.encode(), method.encode(), url.encode(), body, timestamp.encode()])
    return "$1$" + hashlib.sha1(text).hexdigest()


def signed_headers(info, method: str, url: str, body: bytes = b"", timestamp: int | None = None, secret: str | None = None) -> dict:
    """X-Ovh-* headers of a request signed by the first account."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = ovh_signature(secret or info["application_secret"], info["consumer_key"], method, url, body, stamp)
    return {
        "X-Ovh-Application": info["application_key"],
        "X-Ovh-Consumer": info["consumer_key"],
        "X-Ovh-Timestamp": stamp,
        "X-Ovh-Signature": signature,
        "Content-Type": "application/json",
    }


def fetch_token(info, **form) -> requests.Response:
    """POST the OAuth2 token endpoint with the first account's client in the form."""
    data = {"grant_type": "client_credentials", "scope": "all", "client_id": info["client_id"], "client_secret": info["client_secret"], **form}
    return requests.post(info["oauth2_token_url"], data=data, timeout=30)


@pytest.fixture(scope="session")
def bearer(info):
    """requests session with a bearer token of the first account (for raw bodies and headers)."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + fetch_token(info).json()["access_token"]
    return session
