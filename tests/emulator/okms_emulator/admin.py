# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Admin interface under ``{admin_url}`` for tests and benchmarks, without authentication.

It answers loopback clients, and clients whose source address is the ``--host`` address itself
(only this machine's own stack sends from it): anyone else gets 403.

Its own requests are neither counted nor faulted. Faults, counters, clock skew and runtime settings
live in memory: a restart begins with none of them (settings come back from ``--config``).
"""

from __future__ import annotations

import ipaddress

from okms_emulator.api import ADMIN_PREFIX, parse_json_body
from okms_emulator.errors import api_error, bad_request, not_found
from okms_emulator.faults import parse_fault
from okms_emulator.httpserver import RoutedApp
from okms_emulator.routing import Answer, Route, Router, canonical_uuid

PRELOAD_MAX = 100_000


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback."""
    ip = ipaddress.ip_address(address.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _object_body(request) -> dict:
    body = parse_json_body(request, default={})
    if not isinstance(body, dict):
        raise bad_request("", "the body must be a JSON object")
    return body


def _checked(function, *args):
    try:
        return function(*args)
    except ValueError as exc:
        raise bad_request("", str(exc)) from None


class AdminApp(RoutedApp):
    """Routes of ``/admin``."""

    def __init__(self, services, local_addresses: set) -> None:
        self.services = services
        self.local_addresses = frozenset(local_addresses)
        prefix = ADMIN_PREFIX
        super().__init__(Router([
            Route("GET", prefix + "/requests", self.get_requests),
            Route("POST", prefix + "/requests/reset", self.reset_requests),
            Route("GET", prefix + "/faults", self.get_faults),
            Route("POST", prefix + "/faults", self.add_fault),
            Route("DELETE", prefix + "/faults", self.clear_faults),
            Route("POST", prefix + "/credentials/{credentialId}", self.force_credential),
            Route("GET", prefix + "/clock", self.get_clock),
            Route("POST", prefix + "/clock", self.set_clock),
            Route("GET", prefix + "/config", self.get_config),
            Route("POST", prefix + "/config", self.set_config),
            Route("POST", prefix + "/preload", self.preload),
            Route("POST", prefix + "/iam/users", self.set_user),
        ]))

    def error(self, status: int, message: str):
        return api_error(status, message)

    def handle(self, request) -> Answer:
        if not is_loopback(request.client_ip) and request.client_ip not in self.local_addresses:
            return Answer(403, {"class": "Client::Forbidden", "message": "the admin interface answers loopback clients only"})
        return super().handle(request)

    def get_requests(self, _request) -> Answer:
        """Requests counted per route since the start or the last reset."""
        return Answer(200, self.services.counter.snapshot())

    def reset_requests(self, _request) -> Answer:
        """Zero the counters."""
        return Answer(200, self.services.counter.reset())

    def get_faults(self, _request) -> Answer:
        """Pending faults."""
        return Answer(200, {"faults": self.services.faults.snapshot()})

    def add_fault(self, request) -> Answer:
        """Queue a fault for the next ``count`` requests of a route."""
        fault = _checked(parse_fault, _object_body(request), self.services.faults.routes)
        return Answer(200, {"faults": self.services.faults.add(fault)})

    def clear_faults(self, _request) -> Answer:
        """Drop every pending fault."""
        return Answer(200, {"faults": self.services.faults.clear()})

    def force_credential(self, request) -> Answer:
        """Force a credential's status and/or expiredAt."""
        credential_id = canonical_uuid(request.params["credentialId"])
        if credential_id is None:
            raise not_found("no credential %s" % request.params["credentialId"])
        return Answer(200, self.services.credentials.force(credential_id, _object_body(request)))

    def _clock(self) -> dict:
        clock = self.services.clock
        return {"offset": clock.offset, "now": clock.now_seconds()}

    def get_clock(self, _request) -> Answer:
        """Current skew and server time."""
        return Answer(200, self._clock())

    def set_clock(self, request) -> Answer:
        """Skew the server clock by ``offset`` seconds from real time."""
        offset = _object_body(request).get("offset")
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            raise bad_request("", 'send {"offset": seconds}')
        self.services.clock.set_offset(offset)
        return Answer(200, self._clock())

    def get_config(self, _request) -> Answer:
        """Current runtime settings."""
        return Answer(200, self.services.settings.snapshot())

    def set_config(self, request) -> Answer:
        """Change runtime settings (all or none)."""
        return Answer(200, _checked(self.services.settings.update, _object_body(request)))

    def preload(self, request) -> Answer:
        """Create ``count`` READY credentials in domain ``okms_id`` at once."""
        body = _object_body(request)
        domain = self.services.directory.domain(canonical_uuid(str(body.get("okms_id"))))
        count = body.get("count")
        if domain is None:
            raise not_found("no domain %s" % body.get("okms_id"))
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= PRELOAD_MAX:
            raise bad_request("", "count must be an integer from 1 to %d" % PRELOAD_MAX)
        return Answer(200, {"created": self.services.credentials.preload(domain, count)})

    def set_user(self, request) -> Answer:
        """Create or replace a user of an account (``login``, ``group``: its group's name, ``nichandle``: the first
        account by default), as ``POST /me/identity/user`` would; ``GET /1.0/me/identity/user/{user}`` reads it."""
        body = _object_body(request)
        login, group = body.get("login"), body.get("group")
        nichandle = body.get("nichandle") or self.services.directory.accounts[0].nichandle
        if not isinstance(login, str) or not login or "/" in login or (group is not None and not isinstance(group, str)):
            raise bad_request("", 'send {"login": name, "group": group name or null}')
        return Answer(200, self.services.iam.set_user(login, group, nichandle))
