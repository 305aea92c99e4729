# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requests, answers and route templates such as ``/v2/okms/resource/{okmsId}/credential``."""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Callable
from urllib.parse import parse_qs, urlsplit

UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def canonical_uuid(text: str) -> str | None:
    """Lower-case UUID of a path segment written as 8-4-4-4-12 hex digits, None for anything else."""
    if not UUID_PATTERN.fullmatch(text):
        return None
    return str(uuid.UUID(text))


@dataclasses.dataclass
class Request:  # pylint: disable=too-many-instance-attributes
    """What a handler needs to know about one HTTP request."""

    method: str
    target: str
    headers: dict
    body: bytes
    client_ip: str
    query_id: str
    peer_cert_der: bytes | None = None
    params: dict = dataclasses.field(default_factory=dict)
    account: object = None

    @property
    def path(self) -> str:
        """Path without the query string."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict:
        """Query parameters, each a list of values."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        """Last value of a query parameter, None when absent."""
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        """Header value (case-insensitive name), None when absent."""
        return self.headers.get(name.lower())


@dataclasses.dataclass
class Answer:
    """A successful (or fault-injected) answer; ``drop`` closes the connection without sending it."""

    status: int
    payload: object
    headers: dict = dataclasses.field(default_factory=dict)
    drop: bool = False


@dataclasses.dataclass(frozen=True)
class Route:
    """One method on one path template; ``key`` is how the request counter and faults name it."""

    method: str
    template: str
    handler: Callable
    authenticated: bool = True
    iam_action: str | None = None

    @property
    def key(self) -> str:
        """``"GET /v2/okms/resource/{okmsId}"``."""
        return "%s %s" % (self.method, self.template)


class Router:
    """Finds the route of a method and path."""

    def __init__(self, routes) -> None:
        self.routes = tuple(routes)
        self._patterns = [(route, self._compile(route.template)) for route in self.routes]

    @staticmethod
    def _compile(template: str):
        parts = []
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(re.escape(template[position:match.start()]))
            parts.append("(?P<%s>[^/]+)" % match.group(1))
            position = match.end()
        parts.append(re.escape(template[position:]))
        return re.compile("".join(parts))

    @property
    def keys(self) -> frozenset:
        """Every ``"METHOD template"`` served."""
        return frozenset(route.key for route in self.routes)

    def match(self, method: str, path: str):
        """``(route, params, allowed)``: route is None when nothing matches; ``allowed`` lists the path's methods."""
        allowed = []
        for route, pattern in self._patterns:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict(), allowed
            allowed.append(route.method)
        return None, {}, allowed
