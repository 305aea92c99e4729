# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The okms-cli configuration the role writes (templates/okms.yaml.j2), rendered as the action plugin renders it."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.okms.access.plugins.action import okms_client as action

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "client"))
OKMS_ID = "5f2e6b1c-1111-4a2b-8c3d-123456789abc"
PATHS = dict(dir="/etc/okms", key="/etc/okms/domain.key", cert="/etc/okms/client.cert", ca="/etc/okms/ca.pem",
             cli="/etc/okms/okms.yaml", key_new="/etc/okms/domain.key.new", cert_new="/etc/okms/client.cert.new",
             ca_rsa="/etc/okms/ca-rsa.pem")
DOMAIN = dict(rest_endpoint="https://eu-west-rbx.okms.ovh.net", kmip_endpoint="eu-west-rbx.okms.ovh.net:5696",
              kmip_rsa_endpoint="eu-west-rbx.okms.ovh.net:5697", ca_pem="CA\n", rsa_ca_pem="RSA CA\n")


class TemplateOnly(action.ActionModule):
    """The action plugin's render_cli, with the role's template and no task."""

    def __init__(self):  # pylint: disable=super-init-not-called
        self._templar = Templar(loader=DataLoader())
        self.task_vars = {}

    def _find_needle(self, dirname, needle):
        return os.path.join(ROLE, dirname, needle)


def render(certificate_type, domain):
    want = dict(paths=PATHS, okms_id=OKMS_ID, certificate_type=certificate_type)
    return yaml.safe_load(TemplateOnly().render_cli(want, domain))


@pytest.mark.parametrize("certificate_type", ["ECDSA", "RSA"])
def test_rest_sections_restapi_first_then_http_with_the_okms_id(certificate_type):
    profile = render(certificate_type, DOMAIN)["profiles"]["default"]
    assert list(profile)[:2] == ["restapi", "http"]
    for section in ("restapi", "http"):
        assert profile[section] == dict(endpoint=DOMAIN["rest_endpoint"], ca=PATHS["ca"],
                                        auth=dict(type="mtls", cert=PATHS["cert"], key=PATHS["key"], okmsId=OKMS_ID))


# (case, certificate type, domain, kmip section: (endpoint, ca) or None)
KMIP = [
    ("ECDSA: kmipEndpoint and publicCA", "ECDSA", DOMAIN, (DOMAIN["kmip_endpoint"], PATHS["ca"])),
    ("RSA: kmipRsaEndpoint and publicRsaCA", "RSA", DOMAIN, (DOMAIN["kmip_rsa_endpoint"], PATHS["ca_rsa"])),
    ("RSA without an RSA endpoint", "RSA", dict(DOMAIN, kmip_rsa_endpoint=""), None),
    ("RSA without an RSA CA", "RSA", dict(DOMAIN, rsa_ca_pem=""), None),
    ("ECDSA without a KMIP endpoint", "ECDSA", dict(DOMAIN, kmip_endpoint=""), None),
]


@pytest.mark.parametrize("case, certificate_type, domain, kmip", KMIP, ids=[row[0] for row in KMIP])
def test_kmip_section(case, certificate_type, domain, kmip):
    profile = render(certificate_type, domain)["profiles"]["default"]
    if kmip is None:
        assert "kmip" not in profile, case
    else:
        assert profile["kmip"] == dict(endpoint=kmip[0], ca=kmip[1], auth=dict(type="mtls", cert=PATHS["cert"], key=PATHS["key"])), case
