# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""OkmsModuleBase, the connection argument spec and its doc fragment."""

from __future__ import annotations

import contextlib
import json

import pytest
import yaml

from ansible_collections.okms.access.plugins.doc_fragments.api import ModuleDocFragment
from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiClient, OvhApiError, api_argument_spec
from ansible_collections.okms.access.tests.unit.plugins.module_args import patch_module_args


SECRET_OPTIONS = {"application_secret", "consumer_key", "client_secret"}


class SampleModule(OkmsModuleBase):
    module_argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        csr=dict(type="str"),
        certificate_type=dict(type="str"),
    )


@pytest.fixture
def build():
    """build(args, **kwargs) -> a SampleModule; the args stay patched until the test ends (fail_json needs them)."""
    with contextlib.ExitStack() as stack:
        def build_sample(args, **kwargs):
            stack.enter_context(patch_module_args(args))
            return SampleModule(SampleModule.build_module(**kwargs))
        yield build_sample


def module_result(capsys, action):
    """Run ``action`` (which ends the module) and return the JSON the module printed."""
    with pytest.raises(SystemExit):
        action()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def no_ovh_environment(tmp_path, monkeypatch):
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY", "CLIENT_ID", "CLIENT_SECRET", "OAUTH2_TOKEN_URL"):
        monkeypatch.delenv("OVH_" + name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def test_build_module_merges_the_connection_options_and_passes_kwargs(build, no_ovh_environment):
    sample = build({"name": "web1", "endpoint": "ovh-eu", "_ansible_check_mode": True}, supports_check_mode=True)
    params = sample.module.params
    assert set(params) == set(api_argument_spec()) | set(SampleModule.module_argument_spec)
    assert (params["name"], params["state"], params["endpoint"], params["request_timeout"], params["validate_certs"]) == (
        "web1", "present", "ovh-eu", 30.0, True)
    assert sample.module.check_mode is True


def test_build_module_kwargs_are_enforced(build, capsys):
    result = module_result(capsys, lambda: build({"name": "web1", "csr": "x", "certificate_type": "RSA"},
                                                 mutually_exclusive=[("csr", "certificate_type")]))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_module_argument_spec_is_not_shared_between_builds(build):
    build({"name": "a"})
    assert "endpoint" not in SampleModule.module_argument_spec


def test_secret_options_are_no_log_and_without_env_fallback():
    spec = api_argument_spec()
    assert {name for name, option in spec.items() if option.get("no_log")} == SECRET_OPTIONS
    assert not [name for name, option in spec.items() if "fallback" in option]


def test_doc_fragment_documents_every_option_as_specified():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = api_argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
        if name.startswith(("application_", "consumer_", "client_", "oauth2_", "endpoint")):
            assert "E(OVH_%s)" % name.upper() in " ".join(documented[name]["description"]), name
        if name in SECRET_OPTIONS:
            assert "secret" in " ".join(documented[name]["description"]), name


def test_client_is_created_once(build, no_ovh_environment):
    sample = build({"name": "a", "endpoint": "ovh-eu", "client_id": "id", "client_secret": "s3cr3t-value"})
    client = sample.client
    assert isinstance(client, OvhApiClient) and client.auth_method == "oauth2"
    assert sample.client is client


def test_client_configuration_error_fails_the_module(build, no_ovh_environment, capsys):
    sample = build({"name": "a", "endpoint": "ovh-eu", "client_id": "id", "application_secret": "s3cr3t-value"})
    result = module_result(capsys, lambda: sample.client)
    assert result["failed"] is True
    assert result["msg"].startswith("Both OVH authentication methods are configured")
    assert "s3cr3t-value" not in json.dumps(result)


def forbidden():
    return OvhApiError("User not authorized", status=403, error_class="Client::Forbidden",
                       details={"unauthorizedActionsByIAM": ["okms:apiovh:credential/create"]},
                       query_id="EU.ext-1.q", method="POST", path="/v2/okms/resource/r1/credential",
                       auth_description="an application key (application_key from module option)")


def test_fail_api_reports_the_failure(build, capsys):
    sample = build({"name": "a"})
    result = module_result(capsys, lambda: sample.fail_api(forbidden()))
    assert result["failed"] is True
    assert result["msg"] == str(forbidden())
    assert result["failure"] == forbidden().to_failure()


def test_fail_api_prefixes_what_was_being_done(build, capsys):
    sample = build({"name": "a"})
    result = module_result(capsys, lambda: sample.fail_api(forbidden(), msg="Cannot create credential 'a'"))
    assert result["msg"] == "Cannot create credential 'a': " + str(forbidden())
    assert result["failure"]["query_id"] == "EU.ext-1.q"
