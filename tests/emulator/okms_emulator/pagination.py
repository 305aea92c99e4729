# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cursor pagination (``X-Pagination-Size``, ``X-Pagination-Cursor``, ``X-Pagination-Cursor-Next``).

A cursor names the position after which the next page starts and the listing it belongs to, and
carries an HMAC so that an edited or foreign cursor is refused instead of silently misread. Items
are listed in creation order, so a page boundary survives creations and deletions between pages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from okms_emulator.errors import bad_request
from okms_emulator.settings import MAX_PAGE_SIZE

SIZE_HEADER = "X-Pagination-Size"
CURSOR_HEADER = "X-Pagination-Cursor"
NEXT_HEADER = "X-Pagination-Cursor-Next"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Makes and reads cursors signed with a secret kept in the state (cursors survive restarts)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]

    def encode(self, scope: str, position: int) -> str:
        """Cursor of the page that follows ``position`` in listing ``scope``."""
        payload = json.dumps([scope, position]).encode("utf-8")
        return _b64encode(payload) + "." + _b64encode(self._mac(payload))

    def decode(self, scope: str, cursor: str) -> int | None:
        """Position of a cursor made for ``scope``; None when it is malformed, edited or for another listing."""
        try:
            payload_text, mac_text = cursor.split(".")
            payload, mac = _b64decode(payload_text), _b64decode(mac_text)
        except (ValueError, binascii.Error):
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        cursor_scope, position = json.loads(payload)
        return position if cursor_scope == scope else None


def page_size(header: str | None, default: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """Requested page size: the setting when absent, at most ``maximum`` (the setting max_page_size, a server that answers
    fewer than asked); 400 when not a positive integer."""
    if header is None:
        return min(default, maximum)
    text = header.strip()
    if not text.isdigit() or int(text) < 1:
        raise bad_request("", "%s must be a positive integer, got %r" % (SIZE_HEADER, header))
    return min(int(text), maximum)


def start_position(codec: CursorCodec, scope: str, cursor: str | None, invalid_class: str) -> int:
    """Position after which the requested page starts: 0 without a cursor; 400 ``invalid_class`` for a bad one."""
    if cursor is None:
        return 0
    position = codec.decode(scope, cursor)
    if position is None:
        raise bad_request(invalid_class, "%s %r is not a cursor of this listing" % (CURSOR_HEADER, cursor))
    return position


def page_answer_headers(codec: CursorCodec, scope: str, last_position: int | None) -> dict:
    """``X-Pagination-Cursor-Next`` when another page follows ``last_position`` (None: this was the last page)."""
    return {} if last_position is None else {NEXT_HEADER: codec.encode(scope, last_position)}
