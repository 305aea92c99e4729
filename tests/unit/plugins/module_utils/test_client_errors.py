# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Error mapping (v1 and v2 bodies, query id, auth hints) and cursor pagination."""

from __future__ import annotations

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import LIST_PAGE_SIZE, OvhApiError
from ansible_collections.okms.access.plugins.module_utils._errors import iam_actions
from ansible_collections.okms.access.tests.unit.plugins.module_utils.ovh_fakes import AS, CK, Answer

CREDENTIALS = "/v2/okms/resource/r1/credential"
FAILURE_KEYS = {"status", "error_class", "message", "details", "query_id", "method", "path"}


def test_v2_forbidden_names_missing_iam_actions(api, client_for):
    details = {"unauthorizedActionsByIAM": ["okms:apiovh:credential/get", "okms:apiovh:resource/get"]}
    api.queue("GET", CREDENTIALS, Answer(403, {"class": "Client::Forbidden", "message": "User not authorized", "details": details},
                                         {"X-Ovh-QueryID": "EU.ext-1.6630f3a2.1234.abcd"}))
    with pytest.raises(OvhApiError) as error:
        client_for().get(CREDENTIALS)
    exc = error.value
    assert (exc.status, exc.error_class, exc.message, exc.details, exc.query_id, exc.method, exc.path) == (
        403, "Client::Forbidden", "User not authorized", details, "EU.ext-1.6630f3a2.1234.abcd", "GET", CREDENTIALS)
    assert exc.to_failure() == {"status": 403, "error_class": "Client::Forbidden", "message": "User not authorized", "details": details,
                                "query_id": "EU.ext-1.6630f3a2.1234.abcd", "method": "GET", "path": CREDENTIALS}
    message = str(exc)
    assert message.startswith("GET %s failed: HTTP 403 Client::Forbidden: User not authorized (X-Ovh-QueryID: EU.ext-1.6630f3a2.1234.abcd)."
                              % CREDENTIALS)
    assert ("Authenticated with an application key (application_key from module option, application_secret from module option, "
            "consumer_key from module option).") in message
    assert "Missing IAM actions: okms:apiovh:credential/get, okms:apiovh:resource/get;" in message
    assert AS not in message and CK not in message


def test_v1_error_code_body(api, client_for):
    api.queue("GET", "/1.0/me", Answer(403, {"errorCode": "NOT_GRANTED_CALL", "httpCode": "403 Forbidden", "message": "This call has not been granted"},
                                       {"X-Ovh-QueryID": "EU.ext-2.q"}))
    with pytest.raises(OvhApiError) as error:
        client_for().get("/me")
    assert error.value.error_class == "NOT_GRANTED_CALL" and error.value.details == {}
    assert str(error.value).startswith("GET /me failed: HTTP 403 NOT_GRANTED_CALL: This call has not been granted (X-Ovh-QueryID: EU.ext-2.q).")
    assert "Authenticated with an application key" in str(error.value)


def test_not_found_has_no_auth_hint(api, client_for):
    api.queue("DELETE", CREDENTIALS + "/c9", Answer(404, {"class": "Client::NotFound", "message": "Credential c9 not found"}))
    with pytest.raises(OvhApiError) as error:
        client_for().delete(CREDENTIALS + "/c9")
    assert str(error.value) == "DELETE %s/c9 failed: HTTP 404 Client::NotFound: Credential c9 not found." % CREDENTIALS
    assert error.value.query_id is None


def test_body_that_is_not_json_is_summarised(api, client_for):
    api.queue("GET", "/1.0/me", Answer(400, raw=b"<html>\n  <body>Bad   gateway config</body>\n</html>" + b"x" * 300,
                                       headers={"Content-Type": "text/html"}))
    with pytest.raises(OvhApiError) as error:
        client_for().get("/me")
    assert error.value.error_class is None
    assert error.value.message.startswith("<html> <body>Bad gateway config</body> </html>xxx") and error.value.message.endswith("...")
    assert len(error.value.message) == 203


def test_success_without_body(api, client_for):
    api.queue("DELETE", CREDENTIALS + "/c1", Answer(204))
    assert client_for().delete(CREDENTIALS + "/c1") is None


@pytest.mark.parametrize("value, expected", [
    (["a:b/get", " a:b/create "], ["a:b/get", "a:b/create"]),
    ("a:b/get,a:b/delete", ["a:b/get", "a:b/delete"]),
    (None, []),
    ({"unexpected": "shape"}, []),
])
def test_iam_actions_shapes(value, expected):
    assert iam_actions(value) == expected


def paged(pages):
    """A list endpoint serving ``pages`` (lists of items) with cursors c1, c2, ..."""
    def handler(recorded):
        cursor = recorded.headers.get("X-Pagination-Cursor")
        index = 0 if cursor is None else int(cursor[1:])
        headers = {"X-Pagination-Cursor-Next": "c%d" % (index + 1)} if index + 1 < len(pages) else {}
        return Answer(200, pages[index], headers)
    return handler


def test_iter_list_follows_cursors(api, client_for):
    pages = [[{"id": 1}, {"id": 2}], [], [{"id": 3}], [{"id": 4}, {"id": 5}]]
    api.handle("GET", CREDENTIALS, paged(pages))
    items = list(client_for().iter_list(CREDENTIALS, params={"publicCA": True}, page_size=2))
    assert [item["id"] for item in items] == [1, 2, 3, 4, 5]
    calls = api.calls("GET", CREDENTIALS)
    assert [r.headers.get("X-Pagination-Cursor") for r in calls] == [None, "c1", "c2", "c3"]
    assert {r.headers["X-Pagination-Size"] for r in calls} == {"2"}
    assert {r.query for r in calls} == {"publicCA=true"}


def test_iter_list_asks_for_the_largest_pages_by_default(api, client_for):
    api.handle("GET", CREDENTIALS, paged([[{"id": 1}], [{"id": 2}]]))
    assert list(client_for().iter_list(CREDENTIALS)) == [{"id": 1}, {"id": 2}]
    assert [r.headers["X-Pagination-Size"] for r in api.calls("GET", CREDENTIALS)] == [str(LIST_PAGE_SIZE)] * 2


def test_iter_list_without_page_size(api, client_for):
    api.handle("GET", CREDENTIALS, paged([[{"id": 1}]]))
    assert list(client_for().iter_list(CREDENTIALS, page_size=None)) == [{"id": 1}]
    assert "X-Pagination-Size" not in api.calls("GET", CREDENTIALS)[0].headers


def test_iter_pages_yields_the_pages_as_sent(api, client_for):
    api.handle("GET", CREDENTIALS, paged([[{"id": 1}, {"id": 2}], [{"id": 3}]]))
    pages = list(client_for().iter_pages(CREDENTIALS))
    assert pages == [[{"id": 1}, {"id": 2}], [{"id": 3}]]
    assert [page.more for page in pages] == [True, False]


def test_iter_list_retries_a_page(api, client_for, clock):
    api.queue("GET", CREDENTIALS, Answer(200, [{"id": 1}], {"X-Pagination-Cursor-Next": "c1"}), Answer(502), Answer(200, [{"id": 2}]))
    assert [item["id"] for item in client_for().iter_list(CREDENTIALS)] == [1, 2]
    assert clock.sleeps == [0.5]


def test_iter_list_rejects_a_page_that_is_not_a_list(api, client_for):
    api.queue("GET", CREDENTIALS, Answer(200, {"id": 1}))
    with pytest.raises(OvhApiError) as error:
        list(client_for().iter_list(CREDENTIALS))
    assert "expected a JSON array" in str(error.value)


def test_iter_list_stops_on_a_repeated_cursor(api, client_for):
    api.handle("GET", CREDENTIALS, lambda recorded: Answer(200, [{"id": 1}], {"X-Pagination-Cursor-Next": "same"}))
    with pytest.raises(OvhApiError) as error:
        list(client_for().iter_list(CREDENTIALS))
    assert "same pagination cursor twice" in str(error.value)
    assert len(api.calls("GET", CREDENTIALS)) == 2
