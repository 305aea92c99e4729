# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP error answers in the body shapes of the reference.

- OVH API v2: ``{"class": "Client::BadRequest::...", "message": ..., "details": {...}}``
- OVH API v1 authentication: ``{"errorCode": "INVALID_CREDENTIAL", "httpCode": "403 Forbidden", "message": ...}``
- OAuth2 token endpoint (RFC 6749): ``{"error": "invalid_client", "error_description": ...}``
- KMS domain REST API: ``{"error_id": ..., "error_code": int, "errors": [...], "request_id": ...}``
"""

from __future__ import annotations

import http
import uuid

from okms_emulator.kms_codes import code_for_status


def status_phrase(status: int) -> str:
    """``403 Forbidden`` for 403; statuses outside the standard list keep the bare number."""
    try:
        return "%d %s" % (status, http.HTTPStatus(status).phrase)
    except ValueError:
        return str(status)


def class_for_status(status: int) -> str:
    """v2 error class of a bare status: ``Client::NotFound``, ``Server::ServiceUnavailable``..."""
    family = "Server" if status >= 500 else "Client"
    try:
        words = http.HTTPStatus(status).phrase.replace("-", " ").split()
    except ValueError:
        return family + "::Error"
    return family + "::" + "".join(word[:1].upper() + word[1:] for word in words)


class HttpError(Exception):
    """An error answer: raised anywhere below a handler, turned into the HTTP answer by it."""

    def __init__(self, status: int, body: dict, headers: dict | None = None) -> None:
        super().__init__("%d %s" % (status, body))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def api_error(status: int, message: str, error_class: str | None = None, details: dict | None = None) -> HttpError:
    """v2 error; ``error_class`` defaults to the class of the status."""
    body = {"class": error_class or class_for_status(status), "message": message}
    if details:
        body["details"] = details
    return HttpError(status, body)


def bad_request(name: str, message: str) -> HttpError:
    """400 with class ``Client::BadRequest::<name>`` (or plain ``Client::BadRequest`` for an empty name)."""
    return api_error(400, message, "Client::BadRequest::" + name if name else "Client::BadRequest")


def not_found(message: str) -> HttpError:
    """404 ``Client::NotFound``."""
    return api_error(404, message)


def auth_error(status: int, code: str, message: str) -> HttpError:
    """v1-style authentication error (``errorCode``)."""
    return HttpError(status, {"errorCode": code, "httpCode": status_phrase(status), "message": message})


def oauth_error(status: int, error: str, description: str) -> HttpError:
    """OAuth2 token endpoint error (RFC 6749 section 5.2)."""
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="okms-emulator"'
    return HttpError(status, {"error": error, "error_description": description}, headers)


def kms_error(status: int, message: str, code: int | None = None) -> HttpError:
    """Error of the KMS domain REST API; ``error_code`` packed as OKMS does (by default from the status)."""
    return HttpError(status, {
        "error_id": str(uuid.uuid4()),
        "error_code": code_for_status(status) if code is None else code,
        "errors": [message],
        "request_id": str(uuid.uuid4()),
    })
