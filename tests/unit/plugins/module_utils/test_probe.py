# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The hosts' IAM probe: what one answer proves about one action."""

from __future__ import annotations

import json

import pytest

from ansible_collections.okms.access.plugins.module_utils._probe import probe_actions, probe_verdict

RANDOM = "okms:apikms:random/get"
AUTHORIZATION_CODE = 16924673   # CCM / IAM / Authorization / 1
AUTHENTICATION_CODE = 50475011  # REST / Authentication Provider / Authentication / 3


def answer(status, code=None):
    body = json.dumps({"error_id": "x", "error_code": code, "errors": ["refused"], "request_id": "y"}).encode() if code else b"{}"
    return dict(files_error=None, tls_error=None, network_error=None, status=status, body=body)


@pytest.mark.parametrize("outcome, granted, text", [
    (answer(200), True, ""),
    (answer(403, AUTHORIZATION_CODE), False, "HTTP 403, the identity lacks okms:apikms:random/get from this host (refused)"),
    (answer(401, AUTHORIZATION_CODE), False, "HTTP 401, the identity lacks"),
    (dict(answer(403), body=b"not json"), False, "lacks"),
    (answer(401, AUTHENTICATION_CODE), None, "proves nothing"),
    (answer(503), None, "proves nothing"),
    (dict(answer(200), tls_error="alert bad certificate"), None, "the certificate itself is in question"),
    (dict(answer(200), files_error="no such file"), None, "no such file"),
])
def test_probe_verdict(outcome, granted, text):
    verdict = probe_verdict(RANDOM, outcome)
    assert verdict["granted"] is granted
    assert text in verdict["msg"]


def test_probe_actions_sends_one_request_per_provable_action():
    sent = []

    def send(url, cert, key, ca, timeout):
        sent.append((url, cert, key, ca, timeout))
        return answer(200)

    verdicts = probe_actions("https://kms/api/id/", [RANDOM, "okms:apikms:secretConfig/get", "okms:apikms:secret/get"],
                             "c", "k", "ca", 5, send=send)
    assert [url for url, *_rest in sent] == ["https://kms/api/id/v1/random?length=1", "https://kms/api/id/v2/secretConfig"]
    assert [verdict["granted"] for verdict in verdicts] == [True, True, None]
    assert "no harmless request proves okms:apikms:secret/get" in verdicts[2]["msg"]
    assert sent[0][1:] == ("c", "k", "ca", 5)
