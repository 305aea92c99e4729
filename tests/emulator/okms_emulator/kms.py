# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KMS domain's REST API behind mutual TLS (``restEndpoint``): only ``GET /api/{okmsId}/v1/random``.

The TLS layer already refuses a client without a certificate signed by CCMUsersCA; this layer then
refuses (401) a certificate that is not the one of a READY credential of the domain in the path.
"""

from __future__ import annotations

import base64
import os

from okms_emulator.errors import kms_error
from okms_emulator.httpserver import RoutedApp
from okms_emulator.routing import Answer, Route, Router, canonical_uuid

RANDOM_MAX = 4096


class KmsApp(RoutedApp):
    """Routes of the mTLS endpoint."""

    def __init__(self, services) -> None:
        super().__init__(Router([Route("GET", "/api/{okmsId}/v1/random", self.random)]), services.counter, services.faults)
        self.credentials = services.credentials

    def error(self, status: int, message: str):
        return kms_error(status, message)

    def call(self, route, request) -> Answer:
        refusal = self.credentials.refusal(canonical_uuid(request.params["okmsId"]), request.peer_cert_der)
        if refusal is not None:
            raise kms_error(401, "unauthorized: " + refusal)
        return route.handler(request)

    @staticmethod
    def random(request) -> Answer:
        """``{"bytes": base64}`` of ``length`` (1..4096) random bytes."""
        length = request.query_value("length")
        if length is None or not length.isdigit() or not 1 <= int(length) <= RANDOM_MAX:
            raise kms_error(400, "length must be an integer from 1 to %d" % RANDOM_MAX)
        return Answer(200, {"bytes": base64.b64encode(os.urandom(int(length))).decode("ascii")})
