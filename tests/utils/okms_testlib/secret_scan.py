# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Look for secrets in test output without ever printing one.

Secrets are the emulator's (emulator.json: each account's application secret, consumer key and client
secret, plus every OAuth2 access token it issued), anything that has the shape of a private key or a bearer token,
and the secret data the integration targets use (they all contain one marker).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

SECRET_FIELDS = ('application_secret', 'consumer_key', 'client_secret')
SHAPES = {
    'a private key (PEM "PRIVATE KEY" marker)': re.compile(r'PRIVATE KEY'),
    'a bearer token ("Bearer ...")': re.compile(r'Bearer\s+[A-Za-z0-9._~+/=-]{8,}'),
    # every secret value that the integration targets store in the Secret Manager contains this marker
    'secret data of a test ("okms-secret-test-value")': re.compile(r'okms-secret-test-value'),
}


def issued_tokens(state_dir: Path) -> list[str]:
    """Every access token the emulator issued, from its state (state.sqlite3, table tokens).

    Read after the emulator stopped: a token can leak in any shape (a JSON answer, a header), so the scan
    looks for the exact values.
    """
    path = state_dir / 'state.sqlite3'
    with contextlib.closing(sqlite3.connect('file:%s?mode=ro' % path, uri=True)) as conn:
        return [row[0] for row in conn.execute('SELECT token FROM tokens')]


def secrets_of(info: dict, tokens: list[str]) -> dict[str, list[str]]:
    """Secret values by kind: the emulator's keys (from emulator.json) and the access tokens it issued."""
    missing = [name for name in SECRET_FIELDS if not info.get(name)]
    if missing:
        # Scanning for nothing would pass whatever leaked.
        raise ValueError('emulator.json has no %s: cannot scan for it' % ', '.join(missing))
    # With --config the emulator serves several accounts; emulator.json lists them all under "accounts".
    accounts = [info] + list(info.get('accounts', []))
    found = {name: sorted({account[name] for account in accounts if account.get(name)}) for name in SECRET_FIELDS}
    found['access_token'] = list(tokens)
    return found


def find_leaks(text: str, secrets: dict[str, list[str]]) -> dict[str, list[int]]:
    """Line numbers (1-based) where each kind of secret appears; kinds that do not appear are left out."""
    leaks: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        for kind, values in secrets.items():
            if any(value in line for value in values):
                leaks.setdefault(kind, []).append(number)
        for kind, pattern in SHAPES.items():
            if pattern.search(line):
                leaks.setdefault(kind, []).append(number)
    return leaks


def mask_line(line: str) -> str:
    """LINE, or a placeholder when it holds something shaped like a private key or a bearer token."""
    for kind, pattern in SHAPES.items():
        if pattern.search(line):
            return '<line masked: %s>' % kind
    return line


def redact(text: str, secrets: dict[str, list[str]]) -> str:
    """TEXT with every secret value replaced by <kind> and every line shaped like a secret masked."""
    for kind, values in secrets.items():
        for value in values:
            text = text.replace(value, '<%s>' % kind)
    return '\n'.join(mask_line(line) for line in text.splitlines())


def redacted_tail(text: str, secrets: dict[str, list[str]], count: int) -> str:
    """The last COUNT lines of TEXT, redacted."""
    return '\n'.join(redact(text, secrets).splitlines()[-count:])
