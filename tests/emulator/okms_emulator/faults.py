# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request counters and injected faults, both keyed by ``"METHOD template"``."""

from __future__ import annotations

import collections
import dataclasses
import threading

KINDS = ("status", "delay", "delay_after_commit", "drop_after_commit")


@dataclasses.dataclass
class Fault:
    """What the next ``count`` requests of ``route`` suffer."""

    route: str
    count: int = 1
    status: int | None = None
    retry_after: float | None = None
    delay: float | None = None
    delay_after_commit: float | None = None
    drop_after_commit: bool = False

    def to_dict(self) -> dict:
        """The fault without its unset fields."""
        return {name: value for name, value in dataclasses.asdict(self).items() if value not in (None, False)}


def _is_number(value, low: float, high: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and low <= value <= high


def parse_fault(spec, routes: frozenset) -> Fault:
    """Fault of an admin request body; ValueError saying what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError("a fault is a JSON object")
    unknown = set(spec) - {"route", "count", "retry_after", *KINDS}
    if unknown:
        raise ValueError("unknown fault key(s): %s" % ", ".join(sorted(unknown)))
    if spec.get("route") not in routes:
        raise ValueError("route must be one of: %s" % ", ".join(sorted(routes)))
    kinds = [kind for kind in KINDS if spec.get(kind) not in (None, False)]
    if len(kinds) != 1:
        raise ValueError("give exactly one of %s" % ", ".join(KINDS))
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    checks = {
        "status": _is_number(spec.get("status"), 400, 599) and isinstance(spec.get("status"), int),
        "delay": _is_number(spec.get("delay"), 0, 600),
        "delay_after_commit": _is_number(spec.get("delay_after_commit"), 0, 600),
        "drop_after_commit": spec.get("drop_after_commit") is True,
    }
    if not checks[kinds[0]]:
        raise ValueError("status must be an integer 400-599, delay and delay_after_commit seconds 0-600, drop_after_commit true")
    if "retry_after" in spec and (kinds[0] != "status" or not _is_number(spec["retry_after"], 0, 86400)):
        raise ValueError("retry_after (seconds) goes only with status")
    return Fault(**spec)


class Faults:
    """Pending faults, consumed in the order they were added; ``routes`` are those that can have one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = []
        self.routes = frozenset()

    def add(self, fault: Fault) -> list:
        """Queue a fault; returns all pending faults."""
        with self._lock:
            self._pending.append(fault)
        return self.snapshot()

    def clear(self) -> list:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()
        return []

    def take(self, route: str) -> Fault | None:
        """The fault the current request of ``route`` suffers, if any (uses up one of its count)."""
        with self._lock:
            for fault in self._pending:
                if fault.route == route:
                    fault.count -= 1
                    if fault.count == 0:
                        self._pending.remove(fault)
                    return fault
        return None

    def snapshot(self) -> list:
        """Pending faults as JSON objects."""
        with self._lock:
            return [fault.to_dict() for fault in self._pending]


class RequestCounter:
    """How many requests each route received since the start or the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = collections.Counter()

    def count(self, route: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[route] += 1

    def reset(self) -> dict:
        """Start counting again from zero."""
        with self._lock:
            self._counts.clear()
        return self.snapshot()

    def snapshot(self) -> dict:
        """``{"total": n, "by_route": {"GET /v2/okms/resource": n, ...}}``."""
        with self._lock:
            by_route = dict(sorted(self._counts.items()))
        return {"total": sum(by_route.values()), "by_route": by_route}
