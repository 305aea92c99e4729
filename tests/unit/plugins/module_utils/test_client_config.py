# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Configuration resolution: endpoint, option > environment > ovh.conf files, the one-method rule."""

from __future__ import annotations

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import (
    CONFIG_FILES,
    OvhConfigError,
    client_from_params,
    resolve_config,
)

SECRETS = ("AS-secret-value", "CK-secret-value", "CS-secret-value", "file-secret-value")


@pytest.fixture
def places(tmp_path, monkeypatch):
    """The three ovh.conf places of a fake machine: /etc (injected), $HOME and the working directory."""
    etc, home, cwd = tmp_path / "etc", tmp_path / "home", tmp_path / "cwd"
    for folder in (etc, home, cwd):
        folder.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    return {
        "etc": etc / "ovh.conf",
        "home": home / ".ovh.conf",
        "cwd": cwd / "ovh.conf",
        "files": (str(etc / "ovh.conf"), "~/.ovh.conf", "./ovh.conf"),
    }


def write_conf(path, sections):
    path.write_text("".join("[%s]\n%s\n" % (name, "".join("%s=%s\n" % item for item in values.items()))
                            for name, values in sections.items()))


def resolve(params=None, environ=None, files=()):
    return resolve_config(params or {}, environ=environ or {}, config_files=files)


def test_default_config_files_are_python_ovh_ones():
    assert CONFIG_FILES == ("/etc/ovh.conf", "~/.ovh.conf", "./ovh.conf")


@pytest.mark.parametrize("name, expected", [
    ("ovh-eu", "https://eu.api.ovh.com/1.0"),
    ("ovh-ca", "https://ca.api.ovh.com/1.0"),
    ("ovh-us", "https://api.us.ovhcloud.com/1.0"),
    ("https://127.0.0.1:8443/1.0/", "https://127.0.0.1:8443/1.0"),
])
def test_endpoint_names_and_urls(name, expected):
    config = resolve({"endpoint": name, "application_key": "a", "application_secret": "b", "consumer_key": "c"})
    assert config.base_url == expected
    assert config.auth_method == "application_key"


@pytest.mark.parametrize("name", ["kimsufi-eu", "kimsufi-ca", "soyoustart-eu", "soyoustart-ca"])
@pytest.mark.parametrize("auth", [dict(application_key="a", application_secret="b", consumer_key="c"), dict(client_id="i", client_secret="s")])
def test_endpoints_without_kms_are_refused(name, auth):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(auth, endpoint=name))
    assert "%r (from module option) has no KMS" % name in str(error.value)
    assert "ovh-ca, ovh-eu, ovh-us" in str(error.value)


@pytest.mark.parametrize("endpoint, path, expected", [
    ("ovh-eu", "/v2/okms/resource/x", "https://eu.api.ovh.com/v2/okms/resource/x"),
    ("ovh-eu", "/v1/me", "https://eu.api.ovh.com/v1/me"),
    ("ovh-eu", "/me", "https://eu.api.ovh.com/1.0/me"),
    ("ovh-eu", "/v2", "https://eu.api.ovh.com/v2"),
    ("ovh-eu", "/v2data", "https://eu.api.ovh.com/1.0/v2data"),
    ("https://127.0.0.1:8443/1.0", "/v2/okms/resource", "https://127.0.0.1:8443/v2/okms/resource"),
    ("https://127.0.0.1:8443/1.0", "/auth/time", "https://127.0.0.1:8443/1.0/auth/time"),
    ("https://proxy.example:8443/ovh", "/v2/okms/resource", "https://proxy.example:8443/ovh/v2/okms/resource"),
])
def test_url_of_a_path(endpoint, path, expected):
    client = client_from_params({"endpoint": endpoint, "client_id": "i", "client_secret": "s",
                                 "oauth2_token_url": "https://127.0.0.1/token"}, environ={}, config_files=())
    assert client.url(path) == expected


def test_url_query_string():
    client = client_from_params({"endpoint": "ovh-eu", "client_id": "i", "client_secret": "s"}, environ={}, config_files=())
    assert client.url("/v2/okms/resource/x", {"publicCA": True, "skip": None}) == "https://eu.api.ovh.com/v2/okms/resource/x?publicCA=true"
    assert client.url("/me?a=1", {"b": "two words"}) == "https://eu.api.ovh.com/1.0/me?a=1&b=two+words"
    with pytest.raises(ValueError):
        client.url("me")


def test_unknown_endpoint_name_lists_valid_ones():
    with pytest.raises(OvhConfigError) as error:
        resolve({"endpoint": "ovh-mars"}, environ={"OVH_CLIENT_ID": "i", "OVH_CLIENT_SECRET": "s"})
    assert "ovh-mars" in str(error.value) and "module option" in str(error.value)
    assert "ovh-eu" in str(error.value) and "https://127.0.0.1:8443/1.0" in str(error.value)


def test_missing_endpoint_names_the_places_searched(places):
    with pytest.raises(OvhConfigError) as error:
        resolve(environ={"OVH_CLIENT_ID": "i"}, files=places["files"])
    message = str(error.value)
    assert "OVH_ENDPOINT" in message and "[default]" in message
    assert str(places["etc"]) in message and str(places["home"]) in message and str(places["cwd"]) in message


LAYERS = ("etc", "home", "cwd", "env", "option")


@pytest.mark.parametrize("top", range(len(LAYERS)), ids=LAYERS)
@pytest.mark.parametrize("name", ["endpoint", "application_key", "application_secret", "consumer_key",
                                  "client_id", "client_secret", "oauth2_token_url"])
def test_precedence_of_each_value(places, name, top):
    """A value set in every place up to LAYERS[top] comes from LAYERS[top]: option > env > ./ > ~/ > /etc."""
    def value(layer):
        return "https://%s.example/1.0" % layer if name == "endpoint" else "%s-%s" % (name, layer)

    oauth2 = name in ("client_id", "client_secret", "oauth2_token_url")
    method_values = ("client_id", "client_secret") if oauth2 else ("application_key", "application_secret", "consumer_key")
    params = {other: other + "-option" for other in method_values if other != name}
    if name != "endpoint":
        params["endpoint"] = "ovh-eu"
    section = "default" if name == "endpoint" else "ovh-eu"
    for layer in LAYERS[:top + 1]:
        if layer in places:
            write_conf(places[layer], {section: {name: value(layer)}})
    environ = {"OVH_" + name.upper(): value("env")} if top >= LAYERS.index("env") else {}
    if top == LAYERS.index("option"):
        params[name] = value("option")

    config = resolve(params, environ, places["files"])

    winner = LAYERS[top]
    assert (config.endpoint if name == "endpoint" else config.values[name]) == value(winner)
    expected_source = {"option": "module option", "env": "environment variable OVH_" + name.upper()}.get(winner)
    assert config.sources[name] == (expected_source or "%s [%s]" % (places[winner], section))


def test_files_merge_key_by_key_later_file_wins(places):
    write_conf(places["etc"], {"default": {"endpoint": "ovh-ca"}, "ovh-ca": {"application_key": "etc-ak", "consumer_key": "etc-ck"}})
    write_conf(places["home"], {"ovh-ca": {"application_key": "home-ak", "application_secret": "home-as"}})
    write_conf(places["cwd"], {"ovh-ca": {"application_secret": "cwd-as"}, "ovh-eu": {"consumer_key": "wrong-section"}})
    config = resolve(files=places["files"])
    assert config.endpoint == "ovh-ca"
    assert config.values == {"application_key": "home-ak", "application_secret": "cwd-as", "consumer_key": "etc-ck"}
    assert config.sources["consumer_key"] == "%s [ovh-ca]" % places["etc"]
    assert config.sources["application_secret"] == "%s [ovh-ca]" % places["cwd"]


def test_endpoint_from_environment_selects_the_section(places):
    write_conf(places["home"], {"default": {"endpoint": "ovh-eu"}, "ovh-eu": {"client_id": "eu-id", "client_secret": "eu-secret"},
                                "ovh-us": {"client_id": "us-id", "client_secret": "us-secret"}})
    config = resolve(environ={"OVH_ENDPOINT": "ovh-us"}, files=places["files"])
    assert config.values["client_id"] == "us-id"
    assert config.token_url == "https://us.ovhcloud.com/auth/oauth2/token"
    assert config.sources["endpoint"] == "environment variable OVH_ENDPOINT"


def test_section_of_an_endpoint_url(places):
    url = "https://127.0.0.1:8443/1.0"
    write_conf(places["cwd"], {"default": {"endpoint": url},
                               url: {"client_id": "i", "client_secret": "s", "oauth2_token_url": "https://127.0.0.1:8443/oauth2/token"}})
    config = resolve(files=places["files"])
    assert (config.base_url, config.auth_method, config.token_url) == (url, "oauth2", "https://127.0.0.1:8443/oauth2/token")


def test_empty_values_count_as_unset(places):
    write_conf(places["etc"], {"ovh-eu": {"client_id": "file-id", "client_secret": "file-secret"}})
    config = resolve({"endpoint": "ovh-eu", "client_id": ""}, {"OVH_CLIENT_SECRET": ""}, places["files"])
    assert config.values == {"client_id": "file-id", "client_secret": "file-secret"}


def test_both_methods_is_an_error_naming_values_and_sources(places):
    write_conf(places["home"], {"ovh-eu": {"client_secret": "CS-secret-value"}})
    params = {"endpoint": "ovh-eu", "application_key": "ak", "application_secret": "AS-secret-value", "client_id": "the-id"}
    with pytest.raises(OvhConfigError) as error:
        resolve(params, {"OVH_CONSUMER_KEY": "CK-secret-value"}, places["files"])
    message = str(error.value)
    assert "Both OVH authentication methods" in message
    assert "application_secret from module option" in message
    assert "consumer_key from environment variable OVH_CONSUMER_KEY" in message
    assert "client_secret from %s [ovh-eu]" % places["home"] in message
    assert "exactly one" in message
    assert not [secret for secret in SECRETS if secret in message]


def test_no_credentials_is_an_error_naming_where_it_looked(places):
    with pytest.raises(OvhConfigError) as error:
        resolve({"endpoint": "ovh-eu"}, {}, places["files"])
    message = str(error.value)
    assert "No OVH API credentials" in message and "OVH_*" in message and str(places["home"]) in message


@pytest.mark.parametrize("params, environ, missing, found", [
    ({"application_key": "ak", "application_secret": "AS-secret-value"}, {}, "consumer_key",
     "application_key from module option, application_secret from module option"),
    ({"application_key": "ak"}, {"OVH_CONSUMER_KEY": "CK-secret-value"}, "application_secret",
     "consumer_key from environment variable OVH_CONSUMER_KEY"),
    ({}, {"OVH_CLIENT_SECRET": "CS-secret-value"}, "client_id", "client_secret from environment variable OVH_CLIENT_SECRET"),
    ({"client_id": "i"}, {}, "client_secret", "client_id from module option"),
])
def test_incomplete_method_is_an_error(params, environ, missing, found):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(params, endpoint="ovh-eu"), environ)
    message = str(error.value)
    assert "Incomplete" in message and ("but not %s" % missing) in message and found in message
    assert not [secret for secret in SECRETS if secret in message]


def test_oauth2_needs_a_token_url(places):
    with pytest.raises(OvhConfigError) as error:
        resolve({"endpoint": "https://127.0.0.1:8443/1.0", "client_id": "i", "client_secret": "s"})
    assert "oauth2_token_url" in str(error.value) and "OVH_OAUTH2_TOKEN_URL" in str(error.value)
    config = resolve({"endpoint": "ovh-eu", "client_id": "i", "client_secret": "s"}, {"OVH_OAUTH2_TOKEN_URL": "https://proxy/token"})
    assert config.token_url == "https://proxy/token"
    assert resolve({"endpoint": "ovh-ca", "client_id": "i", "client_secret": "s"}).token_url == "https://ca.ovh.com/auth/oauth2/token"


def test_malformed_file_is_reported_without_its_content(places):
    places["home"].write_text("[ovh-eu]\napplication_key=ak\nthis line has file-secret-value and no equals sign\n")
    with pytest.raises(OvhConfigError) as error:
        resolve({"endpoint": "ovh-eu"}, {}, places["files"])
    message = str(error.value)
    assert str(places["home"]) in message and "3" in message
    assert "file-secret-value" not in message


def test_unreadable_and_missing_files_are_skipped(places):
    places["etc"].mkdir()  # a directory cannot be read as a file
    write_conf(places["cwd"], {"ovh-eu": {"client_id": "i", "client_secret": "s"}})
    assert resolve({"endpoint": "ovh-eu"}, {}, places["files"]).values["client_id"] == "i"


@pytest.mark.parametrize("params, fragment", [
    ({"request_timeout": 0}, "request_timeout must be a positive"),
    ({"retry_timeout": -1}, "retry_timeout must be zero"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem does not exist"),
])
def test_connection_settings_are_checked(params, fragment):
    with pytest.raises(OvhConfigError) as error:
        resolve(dict(params, endpoint="ovh-eu", client_id="i", client_secret="s"))
    assert fragment in str(error.value)


def test_connection_settings_defaults_and_values(tls_files):
    config = resolve({"endpoint": "ovh-eu", "client_id": "i", "client_secret": "s"})
    assert (config.validate_certs, config.ca_path, config.request_timeout, config.retry_timeout) == (True, None, 30.0, 60.0)
    config = resolve({"endpoint": "ovh-eu", "client_id": "i", "client_secret": "s",
                      "ca_path": tls_files["ca"], "request_timeout": 5, "retry_timeout": 0})
    assert (config.validate_certs, config.ca_path, config.request_timeout, config.retry_timeout) == (True, tls_files["ca"], 5.0, 0.0)


def test_default_files_and_environment(places, monkeypatch):
    """Without injection the real environment and CONFIG_FILES are read (HOME and the working directory are fakes here;
    a real /etc/ovh.conf holding application key values for ovh-eu would make this test fail, and rightly so)."""
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY", "CLIENT_ID", "CLIENT_SECRET", "OAUTH2_TOKEN_URL"):
        monkeypatch.delenv("OVH_" + name, raising=False)
    write_conf(places["home"], {"default": {"endpoint": "ovh-eu"}, "ovh-eu": {"client_id": "home-id"}})
    monkeypatch.setenv("OVH_CLIENT_SECRET", "CS-secret-value")
    config = resolve_config({})
    assert config.values == {"client_id": "home-id", "client_secret": "CS-secret-value"}
    assert config.sources["client_id"] == "%s [ovh-eu]" % places["home"]


def test_config_repr_hides_secret_values():
    config = resolve({"endpoint": "ovh-eu", "application_key": "ak", "application_secret": "AS-secret-value",
                      "consumer_key": "CK-secret-value"})
    assert "ovh-eu" in repr(config)
    assert not [secret for secret in SECRETS if secret in repr(config)]
