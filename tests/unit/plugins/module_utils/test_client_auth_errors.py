# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The hint of authentication failures, including OVH's 400 answers to a bad signature or a stale timestamp."""

from __future__ import annotations

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.tests.unit.plugins.module_utils.ovh_fakes import AS, CK, Answer

RESOURCE = "/v2/okms/resource/r1"
SIGNING_HINT = "check the application secret and the consumer key, and this machine's clock"
AUTHENTICATED = ("Authenticated with an application key (application_key from module option, application_secret from module option, "
                 "consumer_key from module option).")


def _failure(api, client_for, path, answer):
    """The error of ``GET path`` (``/me`` is served at ``/1.0/me``, ``/v2/...`` as is) answered by ``answer``."""
    api.queue("GET", path if path.startswith("/v2/") else "/1.0" + path, answer)
    with pytest.raises(OvhApiError) as error:
        client_for().get(path)
    return error.value


@pytest.mark.parametrize("path, body", [
    ("/me", {"errorCode": "INVALID_SIGNATURE", "httpCode": "400 Bad Request", "message": "Invalid signature"}),
    (RESOURCE, {"class": "Client::BadRequest", "message": "Invalid signature"}),
    ("/me", {"errorCode": "QUERY_TIME_OUT", "httpCode": "400 Bad Request", "message": "Query out of time"}),
    (RESOURCE, {"class": "Client::BadRequest", "message": "Query out of time"}),
])
def test_refused_signature_or_timestamp_names_secret_consumer_key_and_clock(api, client_for, path, body):
    error = _failure(api, client_for, path, Answer(400, body, {"X-Ovh-QueryID": "EU.ext-3.q"}))
    message = str(error)
    assert error.status == 400
    assert "HTTP 400" in message and body["message"] in message and "(X-Ovh-QueryID: EU.ext-3.q)." in message
    assert AUTHENTICATED in message
    assert SIGNING_HINT in message
    assert AS not in message and CK not in message


def test_other_bad_request_has_no_authentication_hint(api, client_for):
    error = _failure(api, client_for, RESOURCE, Answer(400, {"class": "Client::BadRequest", "message": "publicCA must be true or false"}))
    assert "Authenticated with" not in str(error) and SIGNING_HINT not in str(error)


def test_forbidden_keeps_the_authentication_hint_without_the_signing_one(api, client_for):
    body = {"errorCode": "INVALID_CREDENTIAL", "httpCode": "403 Forbidden", "message": "This credential does not exist"}
    error = _failure(api, client_for, "/me", Answer(403, body))
    assert AUTHENTICATED in str(error) and SIGNING_HINT not in str(error)
