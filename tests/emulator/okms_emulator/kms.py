# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KMS domain's REST API behind mutual TLS (``restEndpoint``): ``GET /api/{okmsId}/v1/random`` and
``GET /api/{okmsId}/v2/secretConfig``, each authorized by its ``okms:apikms:`` IAM action.

The TLS layer already refuses a client without a certificate signed by CCMUsersCA (and, with
``kms_refused_certificate: tls_alert``, the certificate of a credential no status lets in); this layer
then refuses (401, authentication category) a certificate that is not the one of a READY credential
of the domain in the path, and (``kms_authz_status``, authorization category) an identity that lacks
the route's IAM action. Errors carry OKMS's packed ``error_code`` (kms_codes.py).
"""

from __future__ import annotations

import base64
import os

from okms_emulator.errors import kms_error
from okms_emulator.httpserver import RoutedApp
from okms_emulator.kms_codes import AUTHENTICATION_REFUSED, AUTHORIZATION_REFUSED, ROUTE_NOT_FOUND
from okms_emulator.kms_iam import RANDOM_GET, SECRET_CONFIG_GET, lacks
from okms_emulator.routing import Answer, Route, Router, canonical_uuid

RANDOM_MAX = 4096
RANDOM_ROUTE = "GET /api/{okmsId}/v1/random"
# the reference defaults of a domain's secret configuration (OVH API v2 schema, okms.secretConfig.Response)
SECRET_CONFIG_DEFAULTS = {"casRequired": False, "deactivateVersionAfter": "0s", "maxVersions": 10}


class KmsApp(RoutedApp):
    """Routes of the mTLS endpoint."""

    def __init__(self, services) -> None:
        super().__init__(Router([
            Route("GET", "/api/{okmsId}/v1/random", self.random, iam_action=RANDOM_GET),
            Route("GET", "/api/{okmsId}/v2/secretConfig", self.secret_config, iam_action=SECRET_CONFIG_GET),
        ]), services.counter, services.faults)
        self.services = services

    def error(self, status: int, message: str):
        return kms_error(status, message)

    def call(self, route, request) -> Answer:
        settings = self.services.settings
        if route.key == RANDOM_ROUTE and settings["kms_random_route"] == "absent":
            raise kms_error(404, "no route for %s %s" % (request.method, request.path), ROUTE_NOT_FOUND)
        okms_id = canonical_uuid(request.params["okmsId"])
        refusal = self.services.credentials.refusal(okms_id, request.peer_cert_der)
        if refusal is not None:
            raise kms_error(401, "unauthorized: " + refusal, AUTHENTICATION_REFUSED)
        account = self.services.directory.account_of_domain(okms_id)
        if lacks(account.kms_denied_actions, settings["kms_denied_actions"], route.iam_action) or \
                self._iam_refuses(okms_id, account, request, route.iam_action):
            raise kms_error(
                settings["kms_authz_status"], "forbidden: the identity lacks the IAM action %s" % route.iam_action, AUTHORIZATION_REFUSED,
            )
        return route.handler(request)

    def _iam_refuses(self, okms_id: str, account, request, action: str | None) -> bool:
        """With ``iam_enforced``: whether the IAM policies refuse the certificate's identities the route's action."""
        services = self.services
        if not services.settings["iam_enforced"] or action is None:
            return False
        identities = services.credentials.identity_urns(request.peer_cert_der)
        return not services.iam.allows(account, identities, "urn:v1:eu:resource:okms:" + okms_id, action, request.client_ip)

    @staticmethod
    def random(request) -> Answer:
        """``{"bytes": base64}`` of ``length`` (1..4096) random bytes."""
        length = request.query_value("length")
        if length is None or not length.isdigit() or not 1 <= int(length) <= RANDOM_MAX:
            raise kms_error(400, "length must be an integer from 1 to %d" % RANDOM_MAX)
        return Answer(200, {"bytes": base64.b64encode(os.urandom(int(length))).decode("ascii")})

    @staticmethod
    def secret_config(_request) -> Answer:
        """The domain's secret configuration: the reference defaults (the emulator keeps no other)."""
        return Answer(200, dict(SECRET_CONFIG_DEFAULTS))
