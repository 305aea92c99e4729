# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The access check's verdict: what one answer of the KMS REST API proves about a certificate."""

from __future__ import annotations

import json

import pytest

from ansible_collections.okms.access.plugins.module_utils._access import error_category, verdict

RANDOM = "okms:apikms:random/get"
# OKMS's packed codes: major << 24 | minor << 16 | category << 12 | app.
AUTHORIZATION_CODE = 16924673  # CCM / IAM / Authorization (4) / 1
AUTHENTICATION_CODE = 50475011  # REST / Authentication Provider / Authentication (3) / 3
NOT_FOUND_CODE = 50417665  # REST / General / Not Found (5) / 1
UNAVAILABLE_CODE = 50425858  # REST / General / Unavailable (7) / 2


def okms_error(code, text="refused"):
    return json.dumps(dict(error_id="e1", error_code=code, errors=[text], request_id="79b66eba-273e-4f7a-b954-78ed7e70b85d")).encode()


def answer(status, body=b""):
    return dict(tls_error=None, network_error=None, status=status, body=body)


# (case, outcome, accepted, route_absent, words in the warning, words in the message)
VERDICTS = [
    ("200", answer(200, b'{"bytes": "qg=="}'), True, False, [], []),
    ("authorization as 403", answer(403, okms_error(AUTHORIZATION_CODE)), True, False, [RANDOM, "HTTP 403"], []),
    ("authorization as 401", answer(401, okms_error(AUTHORIZATION_CODE)), True, False, [RANDOM, "HTTP 401"], []),
    ("403 without a code", answer(403, b"Forbidden"), True, False, [RANDOM], []),
    ("authentication as 401", answer(401, okms_error(AUTHENTICATION_CODE, "certificate unknown")), False, False, [],
     ["HTTP 401", "authentication", "certificate unknown", "deleted"]),
    ("401 without a code", answer(401, b""), False, False, [], ["HTTP 401", "deleted"]),
    ("authentication as 403", answer(403, okms_error(AUTHENTICATION_CODE)), False, False, [], ["HTTP 403", "authentication"]),
    ("route absent", answer(404, okms_error(NOT_FOUND_CODE, "route not found")), False, True, [], ["HTTP 404", "route not found"]),
    ("404 without a body", answer(404, b"not found"), False, True, [], ["HTTP 404"]),
    ("503", answer(503, okms_error(UNAVAILABLE_CODE, "try later")), False, False, [], ["HTTP 503", "try later", "proves nothing"]),
    ("500 without a code", answer(500, b"<html>oops</html>"), False, False, [], ["HTTP 500", "oops"]),
    ("TLS 1.3 alert on the first read", dict(tls_error="[SSL: SSLV3_ALERT_CERTIFICATE_REVOKED] sslv3 alert certificate revoked",
                                             network_error=None, status=None, body=b""), False, False, [],
     ["TLS handshake failed", "certificate revoked", "deleted, has expired"]),
    ("server not verified", dict(tls_error="[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer",
                                 network_error=None, status=None, body=b""), False, False, [], ["CA file"]),
    ("connection reset", dict(tls_error="ConnectionResetError: [Errno 104] Connection reset by peer", network_error=None, status=None,
                              body=b""), False, False, [], ["connection broke"]),
    ("files that cannot be loaded", dict(files_error="[SSL] PEM lib (_ssl.c:3900)", tls_error=None, network_error=None, status=None,
                                         body=b""), False, False, [], ["cannot be loaded", "PEM lib"]),
    ("unreachable", dict(tls_error=None, network_error="[Errno 111] Connection refused", status=None, body=b""), False, False, [],
     ["cannot be reached", "Connection refused"]),
]


@pytest.mark.parametrize("case, outcome, accepted, route_absent, warning_words, message_words", VERDICTS, ids=[row[0] for row in VERDICTS])
def test_verdict(case, outcome, accepted, route_absent, warning_words, message_words):
    found = verdict(outcome, RANDOM)
    assert (found["accepted"], found["route_absent"]) == (accepted, route_absent), case
    assert bool(found["warning"]) == bool(warning_words)
    for word in warning_words:
        assert word in found["warning"]
    assert bool(found["msg"]) == (not accepted)
    for word in message_words:
        assert word in found["msg"]


@pytest.mark.parametrize("body, category", [
    (okms_error(AUTHORIZATION_CODE), 4),
    (okms_error(AUTHENTICATION_CODE), 3),
    (okms_error(17125377), 5),
    (b'{"error_code": "16924673"}', None),
    (b'{"error_code": true}', None),
    (b'["not", "an", "object"]', None),
    (b"not json", None),
    (b"", None),
])
def test_error_category(body, category):
    assert error_category(body) == category
