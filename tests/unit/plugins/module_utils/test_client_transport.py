# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Transport settings: HTTPS only, certificate verification, timeouts that are numbers."""

from __future__ import annotations

import math

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import OvhConfigError, client_from_params, resolve_config
from ansible_collections.okms.access.tests.unit.plugins.module_utils.ovh_fakes import AK, AS, CK, FakeOvhApi, serving
from ansible_collections.okms.access.tests.unit.plugins.module_utils.test_base import (  # pylint: disable=unused-import
    build,
    no_ovh_environment,
)

APPLICATION_KEY = dict(application_key=AK, application_secret=AS, consumer_key=CK)
OAUTH2 = dict(client_id="EU.svc", client_secret="oauth2-secret")
WARNING = "validate_certs is false: the API's TLS certificate is not verified"


def resolve(params, environ=None):
    return resolve_config(params, environ=environ or {}, config_files=[])


def test_plain_http_endpoint_is_refused_before_any_request(clock):
    """A real listener on plain HTTP: the client is never built, so it receives nothing (no secret in cleartext)."""
    with serving(FakeOvhApi(clock)) as plain:
        with pytest.raises(OvhConfigError) as error:
            client_from_params(dict(APPLICATION_KEY, endpoint=plain.url + "/1.0"), environ={}, config_files=[])
        assert plain.requests == []
    assert str(error.value) == (
        "endpoint %s/1.0 (from module option) is a plain http:// URL: the OVH API is served over HTTPS only, and credentials "
        "and private keys must never cross the network in cleartext. Use the https:// URL, with ca_path naming the CA of a "
        "test server or proxy." % plain.url)


@pytest.mark.parametrize("params, environ, source", [
    ({"endpoint": "http://127.0.0.1:8443/1.0"}, {}, "module option"),
    ({"endpoint": "HTTP://api.example/1.0"}, {}, "module option"),
    ({}, {"OVH_ENDPOINT": "http://api.example/1.0"}, "environment variable OVH_ENDPOINT"),
])
def test_plain_http_endpoint_is_refused_wherever_it_comes_from(params, environ, source):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(APPLICATION_KEY, **params), environ)
    assert "(from %s) is a plain http:// URL" % source in str(error.value)


@pytest.mark.parametrize("params, environ, source", [
    ({"oauth2_token_url": "http://127.0.0.1:8443/oauth2/token"}, {}, "module option"),
    ({}, {"OVH_OAUTH2_TOKEN_URL": "http://127.0.0.1:8443/oauth2/token"}, "environment variable OVH_OAUTH2_TOKEN_URL"),
])
def test_plain_http_token_url_is_refused(params, environ, source):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(OAUTH2, endpoint="https://127.0.0.1:8443/1.0", **params), environ)
    assert str(error.value).startswith(
        "oauth2_token_url http://127.0.0.1:8443/oauth2/token (from %s) is a plain http:// URL: the OVH API is served over "
        "HTTPS only" % source)
    assert "oauth2-secret" not in str(error.value)


def test_https_urls_are_accepted_without_warning():
    config = resolve(dict(OAUTH2, endpoint="https://127.0.0.1:8443/1.0", oauth2_token_url="https://127.0.0.1:8443/oauth2/token"))
    assert (config.base_url, config.token_url, config.warnings) == (
        "https://127.0.0.1:8443/1.0", "https://127.0.0.1:8443/oauth2/token", ())


def test_validate_certs_false_warns():
    config = resolve(dict(APPLICATION_KEY, endpoint="ovh-eu", validate_certs=False))
    assert config.validate_certs is False
    assert len(config.warnings) == 1 and config.warnings[0].startswith(WARNING)


def test_validate_certs_false_with_ca_path_is_refused(tls_files):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(APPLICATION_KEY, endpoint="ovh-eu", validate_certs=False, ca_path=tls_files["ca"]))
    assert str(error.value).startswith("ca_path is set but validate_certs is false, so the CA would never be used")


def test_module_warns_when_validate_certs_is_false_only(build, no_ovh_environment, monkeypatch):
    warnings = {}
    for validate_certs in (False, True):
        sample = build(dict(APPLICATION_KEY, name="a", endpoint="ovh-eu", validate_certs=validate_certs))
        warnings[validate_certs] = []
        monkeypatch.setattr(sample.module, "warn", warnings[validate_certs].append)
        assert sample.client.config.validate_certs is validate_certs
    assert [warning.startswith(WARNING) for warning in warnings[False]] == [True]
    assert warnings[True] == []


@pytest.mark.parametrize("option", ["request_timeout", "retry_timeout"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf"])
def test_timeouts_that_are_not_finite_numbers_are_refused_naming_the_option(option, value):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(APPLICATION_KEY, endpoint="ovh-eu", **{option: value}))
    assert str(error.value) == "%s must be a finite number of seconds, not %r." % (option, value)
