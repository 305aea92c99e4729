# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistent state in one SQLite file: keys and identities (``meta``), credentials and OAuth2 tokens.

One connection guarded by one lock serves every thread. Each write is a committed transaction in
WAL mode before the answer leaves, so killing the process at any moment loses nothing already
answered (WAL with ``synchronous=NORMAL`` is durable across process crashes; only a power loss could
drop the last transactions, which does not matter for a test server).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
import uuid

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    okms_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    identity_urns TEXT NOT NULL,
    from_csr INTEGER NOT NULL,
    certificate_type TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    ready_us INTEGER NOT NULL,
    expired_us INTEGER NOT NULL,
    certificate_pem TEXT NOT NULL,
    forced_status TEXT,
    deleting_us INTEGER,
    gone_us INTEGER
);
CREATE INDEX IF NOT EXISTS credentials_by_domain ON credentials (okms_id, seq);
-- only certificates whose serial is not their credential id (setting certificate_serial: random)
CREATE TABLE IF NOT EXISTS certificate_serials (serial TEXT PRIMARY KEY, credential_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    okms_id TEXT NOT NULL,
    path TEXT NOT NULL,
    document TEXT NOT NULL,
    UNIQUE (okms_id, path)
);
"""


@dataclasses.dataclass
class CredentialRecord:  # pylint: disable=too-many-instance-attributes
    """A stored credential. Its status is not stored: it follows from these timestamps (see credentials.py)."""

    id: str
    okms_id: str
    name: str
    description: str | None
    identity_urns: list
    from_csr: bool
    certificate_type: str
    created_us: int
    ready_us: int
    expired_us: int
    certificate_pem: str
    forced_status: str | None = None
    deleting_us: int | None = None
    gone_us: int | None = None
    seq: int | None = None

    def to_row(self) -> dict:
        """Column values for an INSERT."""
        row = dataclasses.asdict(self)
        row["identity_urns"] = json.dumps(self.identity_urns)
        row["from_csr"] = int(self.from_csr)
        return row

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CredentialRecord:
        """Record of a SELECT row."""
        values = dict(row)
        values["identity_urns"] = json.loads(values["identity_urns"])
        values["from_csr"] = bool(values["from_csr"])
        return cls(**values)


_INSERT = "INSERT INTO credentials (%s) VALUES (%s)" % (
    ", ".join(field.name for field in dataclasses.fields(CredentialRecord) if field.name != "seq"),
    ", ".join(":" + field.name for field in dataclasses.fields(CredentialRecord) if field.name != "seq"),
)
_UPDATABLE = frozenset({"forced_status", "ready_us", "expired_us", "deleting_us", "gone_us"})


class Store:
    """The SQLite file of one state directory."""

    def __init__(self, path: str) -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the file (waits for the statement in progress)."""
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self):
        """Hold the lock and one write transaction: reads and writes inside see and commit together."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _execute(self, sql: str, params=()) -> list:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # meta

    def get_meta(self, key: str):
        """JSON value stored under ``key``, None when absent."""
        rows = self._execute("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value) -> None:
        """Store a JSON value under ``key``."""
        self._execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def meta_or_create(self, key: str, create):
        """Value under ``key``; on first use, ``create()`` makes it and it is stored."""
        with self.transaction():
            value = self.get_meta(key)
            if value is None:
                value = create()
                self.set_meta(key, value)
            return value

    # credentials

    def insert_credentials(self, records: list, serials: dict | None = None) -> None:
        """Store new credentials in one transaction, with ``{credential id: serial}`` of random serials."""
        with self.transaction():
            self._conn.executemany(_INSERT, [record.to_row() for record in records])
            self._conn.executemany(
                "INSERT INTO certificate_serials (serial, credential_id) VALUES (?, ?)",
                [("%x" % serial, credential_id) for credential_id, serial in (serials or {}).items()],
            )

    def credential_id_of_serial(self, serial: int) -> str | None:
        """Credential whose certificate has the random serial ``serial``; None for any other serial."""
        rows = self._execute("SELECT credential_id FROM certificate_serials WHERE serial = ?", ("%x" % serial,))
        return rows[0]["credential_id"] if rows else None

    def refused_certificates(self, now_us: int) -> list:
        """PEMs of the issued certificates that no status lets in at ``now_us``: deleted, forced, expired."""
        rows = self._execute(
            "SELECT certificate_pem FROM credentials WHERE deleting_us IS NOT NULL OR forced_status IS NOT NULL OR expired_us <= ?",
            (now_us,),
        )
        return [row["certificate_pem"] for row in rows]

    def get_credential(self, credential_id: str) -> CredentialRecord | None:
        """Credential by id (also one already deleted: callers decide what ``gone`` means)."""
        rows = self._execute("SELECT * FROM credentials WHERE id = ?", (credential_id,))
        return CredentialRecord.from_row(rows[0]) if rows else None

    def list_credentials(self, okms_id: str, after_seq: int, limit: int, now_us: int) -> list:
        """Up to ``limit`` credentials of a domain after position ``after_seq``, skipping those gone at ``now_us``."""
        rows = self._execute(
            "SELECT * FROM credentials WHERE okms_id = ? AND seq > ? AND (gone_us IS NULL OR gone_us > ?) ORDER BY seq LIMIT ?",
            (okms_id, after_seq, now_us, limit),
        )
        return [CredentialRecord.from_row(row) for row in rows]

    def update_credential(self, credential_id: str, **changes) -> None:
        """Change some of the timestamps or the forced status of a credential."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError("not updatable: %s" % ", ".join(sorted(unknown)))
        assignments = ", ".join("%s = :%s" % (name, name) for name in sorted(changes))
        self._execute("UPDATE credentials SET %s WHERE id = :id" % assignments, {**changes, "id": credential_id})

    # OAuth2 tokens

    def add_token(self, token: str, client_id: str, expires_us: int) -> None:
        """Remember an issued access token."""
        self._execute("INSERT INTO tokens (token, client_id, expires_us) VALUES (?, ?, ?)", (token, client_id, expires_us))

    def get_token(self, token: str):
        """``(client_id, expires_us)`` of a token, None when unknown."""
        rows = self._execute("SELECT client_id, expires_us FROM tokens WHERE token = ?", (token,))
        return (rows[0]["client_id"], rows[0]["expires_us"]) if rows else None

    # secrets (one JSON document per secret: metadata and versions, see secrets.py)

    @staticmethod
    def new_id() -> str:
        """A new identifier (a secret's IAM id)."""
        return str(uuid.uuid4())

    def get_secret(self, okms_id: str, path: str) -> dict | None:
        """The document of a secret, None when there is none at ``path``."""
        rows = self._execute("SELECT document FROM secrets WHERE okms_id = ? AND path = ?", (okms_id, path))
        return json.loads(rows[0]["document"]) if rows else None

    def save_secret(self, okms_id: str, path: str, document: dict) -> None:
        """Create or replace a secret's document (a new secret goes to the end of the listing)."""
        self._execute(
            "INSERT INTO secrets (okms_id, path, document) VALUES (?, ?, ?) ON CONFLICT (okms_id, path) DO UPDATE SET document = excluded.document",
            (okms_id, path, json.dumps(document)),
        )

    def delete_secret(self, okms_id: str, path: str) -> None:
        """Forget a secret and its versions."""
        self._execute("DELETE FROM secrets WHERE okms_id = ? AND path = ?", (okms_id, path))

    def list_secrets(self, okms_id: str) -> list:
        """``[(path, document)]`` of a domain's secrets in creation order."""
        rows = self._execute("SELECT path, document FROM secrets WHERE okms_id = ? ORDER BY seq", (okms_id,))
        return [(row["path"], json.loads(row["document"])) for row in rows]
