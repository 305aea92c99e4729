# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication to the OVH API: application key signatures and OAuth2 client credentials.

Refusals (v1 ``errorCode`` bodies):

- no credentials at all, or an application key without consumer key, timestamp or signature:
  401 ``NOT_CREDENTIAL``;
- unknown application key: 403 ``INVALID_KEY``;
- unknown consumer key: 403 ``INVALID_CREDENTIAL``;
- wrong signature: 400, as OVH answers it: ``INVALID_SIGNATURE`` "Invalid signature" on ``/1.0`` routes,
  ``Client::BadRequest`` "Invalid signature" on ``/v2`` routes (python-ovh raises BadParametersError);
- a timestamp that is not unix seconds or out of tolerance: 400 "Query out of time" in the same two shapes
  (``QUERY_TIME_OUT`` on ``/1.0``);
- unknown or expired bearer token: 401 ``INVALID_CREDENTIAL``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from urllib.parse import parse_qs, unquote

from okms_emulator.clock import MICROS_PER_SECOND
from okms_emulator.errors import api_error, auth_error, oauth_error
from okms_emulator.routing import Answer


def ovh_signature(application_secret: str, consumer_key: str, method: str, url: str, body: bytes, timestamp: str) -> str:
    """``"$1$" + sha1(AS+CK+METHOD+URL+BODY+T joined by "+")``, over the exact body bytes."""
    parts = [application_secret.encode(), consumer_key.encode(), method.upper().encode(), url.encode(), body, timestamp.encode()]
    return "$1$" + hashlib.sha1(b"+".join(parts)).hexdigest()


def signing_error(request, error_code: str, message: str):
    """400 for a request whose signature or timestamp is refused: v1 ``errorCode`` body, or v2 ``Client::BadRequest``."""
    if request.path.startswith("/v2/"):
        return api_error(400, message, "Client::BadRequest")
    return auth_error(400, error_code, message)


def _basic_credentials(header: str | None):
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        client_id, _sep, client_secret = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise oauth_error(400, "invalid_request", "malformed Basic authorization header") from None
    return unquote(client_id), unquote(client_secret)


class Authenticator:
    """Checks who calls the API and issues OAuth2 tokens."""

    def __init__(self, directory, store, clock, settings) -> None:
        self.directory = directory
        self.store = store
        self.clock = clock
        self.settings = settings

    def authenticate(self, request):
        """The Account a request acts for; HttpError 401/403 otherwise."""
        authorization = request.header("Authorization")
        if authorization:
            return self._bearer_account(authorization)
        application_key = request.header("X-Ovh-Application")
        if not application_key:
            raise auth_error(401, "NOT_CREDENTIAL", "You must login first: send X-Ovh-Application and a signature, or an OAuth2 bearer token")
        account = self.directory.by_application_key(application_key)
        if account is None:
            raise auth_error(403, "INVALID_KEY", "Invalid application key")
        return self._signed_account(account, request)

    def _bearer_account(self, authorization: str):
        scheme, _sep, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise auth_error(401, "NOT_CREDENTIAL", "Unsupported Authorization header: use 'Bearer <access token>'")
        found = self.store.get_token(token.strip())
        account = self.directory.by_client_id(found[0]) if found else None
        if account is None:
            raise auth_error(401, "INVALID_CREDENTIAL", "Invalid access token")
        if self.clock.now_us() >= found[1]:
            raise auth_error(401, "INVALID_CREDENTIAL", "The access token has expired")
        return account

    def _signed_account(self, account, request):
        headers = {name: request.header(name) for name in ("X-Ovh-Consumer", "X-Ovh-Timestamp", "X-Ovh-Signature")}
        missing = [name for name, value in headers.items() if not value]
        if missing:
            raise auth_error(401, "NOT_CREDENTIAL", "Missing header(s) %s" % ", ".join(missing))
        if not hmac.compare_digest(headers["X-Ovh-Consumer"].encode(), account.consumer_key.encode()):
            raise auth_error(403, "INVALID_CREDENTIAL", "This credential does not exist")
        timestamp = headers["X-Ovh-Timestamp"]
        if not timestamp.isdigit() or abs(self.clock.now_seconds() - int(timestamp)) > self.settings["timestamp_tolerance"]:
            raise signing_error(request, "QUERY_TIME_OUT", "Query out of time")
        url = "https://%s%s" % (request.header("Host") or "", request.target)
        expected = ovh_signature(account.application_secret, account.consumer_key, request.method, url, request.body, timestamp)
        if not hmac.compare_digest(headers["X-Ovh-Signature"].encode(), expected.encode()):
            raise signing_error(request, "INVALID_SIGNATURE", "Invalid signature")
        return account

    def issue_token(self, request) -> Answer:
        """OAuth2 client credentials grant; client id and secret by HTTP Basic or as form fields."""
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise oauth_error(400, "invalid_request", "send the form as application/x-www-form-urlencoded")
        try:
            form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(request.body))
        except (UnicodeDecodeError, ValueError):
            raise oauth_error(400, "invalid_request", "malformed form body") from None
        if any(len(values) > 1 for values in form.values()):
            raise oauth_error(400, "invalid_request", "a form field is repeated")
        fields = {name: values[0] for name, values in form.items()}
        grant_type = fields.get("grant_type")
        if grant_type != "client_credentials":
            error = "invalid_request" if grant_type is None else "unsupported_grant_type"
            raise oauth_error(400, error, "grant_type must be client_credentials")
        if set(fields.get("scope", "all").split()) - {"all"}:
            raise oauth_error(400, "invalid_scope", "the only scope is 'all'")
        account = self._token_client(request, fields)
        token = secrets.token_urlsafe(32)
        expires_in = self.settings["token_expires_in"]
        self.store.add_token(token, account.client_id, self.clock.now_us() + expires_in * MICROS_PER_SECOND)
        payload = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": "all"}
        return Answer(200, payload, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _token_client(self, request, fields: dict):
        basic = _basic_credentials(request.header("Authorization"))
        in_form = (fields["client_id"], fields.get("client_secret", "")) if "client_id" in fields else None
        if basic and in_form and basic != in_form:
            raise oauth_error(400, "invalid_request", "client credentials sent both by Basic auth and in the form, and they differ")
        client_id, client_secret = basic or in_form or (None, None)
        account = self.directory.by_client_id(client_id) if client_id else None
        if account is None or not hmac.compare_digest(client_secret.encode(), account.client_secret.encode()):
            raise oauth_error(401, "invalid_client", "client authentication failed")
        return account
