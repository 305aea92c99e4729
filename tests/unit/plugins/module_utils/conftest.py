# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the client tests (the test doubles live in ovh_fakes.py)."""

from __future__ import annotations

import socket
import ssl

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import OvhApiClient, resolve_config
from ansible_collections.okms.access.tests.unit.plugins.module_utils.ovh_fakes import (
    AK, AS, CK, CLIENT_ID, CLIENT_SECRET, FakeClock, FakeOvhApi, serving, write_tls_files)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A test CA and a server certificate for 127.0.0.1: {"ca", "cert", "key"} -> path."""
    return write_tls_files(tmp_path_factory.mktemp("tls"))


def serving_tls(clock, tls_files):
    """Serve a FakeOvhApi over HTTPS on 127.0.0.1, its certificate signed by tls_files["ca"] (the client refuses http://)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["cert"], tls_files["key"])
    return serving(FakeOvhApi(clock), context)


@pytest.fixture
def api(clock, tls_files):
    """The FakeOvhApi of most tests; client_for() trusts its CA."""
    with serving_tls(clock, tls_files) as fake:
        yield fake


@pytest.fixture
def tls_api(clock, tls_files):
    """Another FakeOvhApi over HTTPS, for the tests of certificate verification: client_for() sets no ca_path for it."""
    with serving_tls(clock, tls_files) as fake:
        yield fake


@pytest.fixture
def client_for(api, clock, tls_files):
    """client_for(target=api, session=None, rand=..., **params) -> an OvhApiClient of the fake API ``target``.

    Authenticated with the reference application key unless ``params`` has a client_id; the fake clock sleeps;
    the jitter factor is 1.0 unless ``rand`` says otherwise, so backoff delays are their upper bounds. Without a
    ``target``, the client trusts the test CA (ca_path).
    """
    def build(target=None, session=None, rand=lambda: 1.0, **params):
        settings = dict(endpoint=(target or api).url + "/1.0")
        if target is None and params.get("validate_certs") is not False:
            settings.update(ca_path=tls_files["ca"])
        if "client_id" not in params:
            settings.update(application_key=AK, application_secret=AS, consumer_key=CK)
        settings.update(params)
        config = resolve_config(settings, environ={}, config_files=[])
        return OvhApiClient(config, session=session, sleep=clock.sleep, clock=clock.time, rand=rand)
    return build


@pytest.fixture
def oauth2_params(api):
    return dict(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, oauth2_token_url=api.url + "/oauth2/token")


@pytest.fixture
def unused_port():
    """A loopback port where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections (kernel backlog) but never answers: reads time out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]
