# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's clock (which the admin interface can skew) and RFC 3339 timestamps.

Times are kept as integer microseconds since the epoch so that what is stored, compared and
printed is exact to the microsecond.
"""

from __future__ import annotations

import datetime
import time

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND


class Clock:
    """Wall clock plus an offset set through the admin interface."""

    def __init__(self) -> None:
        self._offset_us = 0

    @property
    def offset(self) -> float:
        """Current skew in seconds."""
        return self._offset_us / MICROS_PER_SECOND

    def set_offset(self, seconds: float) -> None:
        """Skew the clock by ``seconds`` from real time (replaces any previous skew)."""
        self._offset_us = round(seconds * MICROS_PER_SECOND)

    def now_us(self) -> int:
        """Server time in microseconds since the epoch."""
        return time.time_ns() // 1000 + self._offset_us

    def now_seconds(self) -> int:
        """Server time in whole seconds, as ``/auth/time`` answers it."""
        return self.now_us() // MICROS_PER_SECOND


def seconds_to_us(seconds: float) -> int:
    """Convert a duration in seconds to microseconds."""
    return round(seconds * MICROS_PER_SECOND)


def to_datetime(micros: int) -> datetime.datetime:
    """Aware UTC datetime of a microsecond timestamp."""
    return EPOCH + datetime.timedelta(microseconds=micros)


def to_rfc3339(micros: int) -> str:
    """``2024-04-04T12:26:28.856619+00:00``: microseconds and an explicit offset, as the API writes them."""
    return to_datetime(micros).isoformat(timespec="microseconds")


def parse_rfc3339(text: str) -> int:
    """Microsecond timestamp of an RFC 3339 string that carries an offset; ValueError otherwise."""
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("%r has no UTC offset" % text)
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)
