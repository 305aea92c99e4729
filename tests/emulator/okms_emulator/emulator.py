# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assembles state, PKI, apps and the two HTTPS servers; writes ``emulator.json`` once they serve."""

from __future__ import annotations

import dataclasses
import fcntl
import ipaddress
import json
import os
import secrets
import threading

from okms_emulator.accounts import Directory, build_accounts, load_config_file, resolve_records
from okms_emulator.admin import AdminApp
from okms_emulator.api import ADMIN_PREFIX, TOKEN_PATH, ApiApp
from okms_emulator.auth import Authenticator
from okms_emulator.clock import Clock
from okms_emulator.credentials import CredentialService
from okms_emulator.faults import Faults, RequestCounter
from okms_emulator.httpserver import TlsServer, server_context
from okms_emulator.kms import KmsApp
from okms_emulator.pagination import CursorCodec
from okms_emulator.pki import OTHER_CA_NAME, ROOT_CA_NAME, RSA_CA_NAME, USERS_CA_NAME, CertificateAuthority
from okms_emulator.settings import Settings
from okms_emulator.store import Store
from okms_emulator.tls_refusal import RefusingContexts

INFO_FILE = "emulator.json"
LOCK_FILE = "lock"
STATE_FILE = "state.sqlite3"
CA_FILE = "ca.pem"
USERS_CA_FILE = "users-ca.pem"
SERVER_CERT_FILE = "server-cert.pem"
SERVER_KEY_FILE = "server-key.pem"
OTHER_CA_FILE = "other-ca.pem"
OTHER_SERVER_CERT_FILE = "other-server-cert.pem"
OTHER_SERVER_KEY_FILE = "other-server-key.pem"
KMIP_PORT = 5696
KMIP_RSA_PORT = 5697
WILDCARDS = ("", "0.0.0.0", "::")


def write_file(path: str, text: str, mode: int = 0o644) -> None:
    """Replace ``path`` atomically with ``text``; the file has ``mode`` from its first byte."""
    temporary = "%s.%s.tmp" % (path, secrets.token_hex(4))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _url_host(host: str) -> str:
    return "[%s]" % host if ":" in host else host


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


@dataclasses.dataclass
class Services:  # pylint: disable=too-many-instance-attributes
    """Everything the apps share."""

    clock: Clock
    settings: Settings
    store: Store
    directory: Directory
    authenticator: Authenticator
    credentials: CredentialService
    cursors: CursorCodec
    counter: RequestCounter
    faults: Faults
    public_ca_pem: str
    rest_url: str = ""
    kmip_endpoint: str = ""
    public_rsa_ca_pem: str = ""
    kmip_rsa_endpoint: str = ""


@dataclasses.dataclass
class Options:
    """Command line options."""

    state_dir: str
    host: str = "127.0.0.1"
    port: int = 0
    rest_port: int = 0
    config: str | None = None
    verbose: bool = False


class Emulator:
    """One emulator on one state directory."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.state_dir = os.path.abspath(options.state_dir)
        self.host = options.host
        self.servers = []
        self.serving = []
        self.store = None
        self.lock = None

    def _path(self, name: str) -> str:
        return os.path.join(self.state_dir, name)

    def _lock_state_dir(self) -> None:
        self.lock = open(self._path(LOCK_FILE), "a", encoding="utf-8")  # pylint: disable=consider-using-with
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.lock.close()
            self.lock = None
            raise OSError("another emulator already uses %s" % self.state_dir) from None

    def _certificate_authorities(self) -> tuple:
        def authority(key: str, name: str) -> CertificateAuthority:
            return CertificateAuthority.from_pems(self.store.meta_or_create(key, lambda: CertificateAuthority.create(name).to_pems()))
        root, users = authority("root_ca", ROOT_CA_NAME), authority("users_ca", USERS_CA_NAME)
        # ca_file trusts the servers (root CA) and verifies credential certificates (CCMUsersCA)
        write_file(self._path(CA_FILE), root.certificate_pem + users.certificate_pem)
        write_file(self._path(USERS_CA_FILE), users.certificate_pem)
        return root, users

    def _rsa_ca_pem(self) -> str:
        # the domains' publicRsaCA: an RSA root of its own (nothing served is signed by it: KMIP is not served)
        pems = self.store.meta_or_create("rsa_ca", lambda: CertificateAuthority.create(RSA_CA_NAME, key_type="RSA").to_pems())
        return pems["certificate"]

    def _kms_contexts(self, kms_server: TlsServer, services: Services, users: CertificateAuthority) -> None:
        """The mTLS endpoint's context per connection: its server certificate follows ``kms_server_ca``, refusals
        ``kms_refused_certificate``."""
        other_files = self._other_server_files()
        files = {"public_ca": (self._path(SERVER_CERT_FILE), self._path(SERVER_KEY_FILE)), "other_ca": other_files}
        plain = {"public_ca": kms_server.ssl_context, "other_ca": server_context(*other_files, users.certificate_pem)}

        def refusing(pair):
            return RefusingContexts(services, users, lambda: server_context(*pair, users.certificate_pem), self.state_dir)
        refusing_by_ca = {name: refusing(pair) for name, pair in files.items()}

        def context():
            signer = services.settings["kms_server_ca"]
            return refusing_by_ca[signer].context(plain[signer])
        kms_server.context_source = context

    def _other_server_files(self) -> tuple:
        """The REST endpoint's certificate signed by a root CA that no domain's publicCA holds (``other-ca.pem``)."""
        pems = self.store.meta_or_create("other_ca", lambda: CertificateAuthority.create(OTHER_CA_NAME).to_pems())
        other = CertificateAuthority.from_pems(pems)
        write_file(self._path(OTHER_CA_FILE), other.certificate_pem)
        key_pem, cert_pem = other.issue_server_certificate(self._server_hosts())
        write_file(self._path(OTHER_SERVER_KEY_FILE), key_pem, 0o600)
        write_file(self._path(OTHER_SERVER_CERT_FILE), cert_pem)
        return self._path(OTHER_SERVER_CERT_FILE), self._path(OTHER_SERVER_KEY_FILE)

    def _accounts(self, specs: list) -> list:
        with self.store.transaction():
            records = resolve_records(specs, self.store.get_meta("accounts") or [])
            accounts = build_accounts(specs, records)
            self.store.set_meta("accounts", records)
        return accounts

    def _server_hosts(self) -> list:
        hosts = ["127.0.0.1", "localhost", "::1"]
        if self.host not in WILDCARDS and self.host not in hosts:
            hosts.insert(0, self.host)
        return hosts

    def _server_files(self, root: CertificateAuthority) -> tuple:
        key_pem, cert_pem = root.issue_server_certificate(self._server_hosts())
        write_file(self._path(SERVER_KEY_FILE), key_pem, 0o600)
        write_file(self._path(SERVER_CERT_FILE), cert_pem)
        return self._path(SERVER_CERT_FILE), self._path(SERVER_KEY_FILE)

    def _bind(self, root: CertificateAuthority, users: CertificateAuthority) -> tuple:
        cert_file, key_file = self._server_files(root)
        api_server = TlsServer((self.host, self.options.port), server_context(cert_file, key_file), self.options.verbose)
        self.servers.append(api_server)
        kms_context = server_context(cert_file, key_file, users.certificate_pem)
        kms_server = TlsServer((self.host, self.options.rest_port), kms_context, self.options.verbose)
        self.servers.append(kms_server)
        return api_server, kms_server

    def _services(self, config: dict, accounts: list, authorities: tuple, rest_port: int) -> Services:
        root, users = authorities
        clock, settings, directory = Clock(), Settings(config["settings"]), Directory(accounts)
        cursor_secret = self.store.meta_or_create("cursor_secret", lambda: secrets.token_hex(32))
        return Services(
            clock=clock, settings=settings, store=self.store, directory=directory,
            authenticator=Authenticator(directory, self.store, clock, settings),
            credentials=CredentialService(self.store, users, clock, settings),
            cursors=CursorCodec(bytes.fromhex(cursor_secret)), counter=RequestCounter(), faults=Faults(),
            public_ca_pem=root.certificate_pem,
            rest_url="https://%s:%d" % (self.advertised_host, rest_port),
            kmip_endpoint="%s:%d" % (self.advertised_host, KMIP_PORT),
            public_rsa_ca_pem=self._rsa_ca_pem(),
            kmip_rsa_endpoint="%s:%d" % (self.advertised_host, KMIP_RSA_PORT),
        )

    @property
    def advertised_host(self) -> str:
        """Host part of the URLs in emulator.json (bracketed for IPv6)."""
        return _url_host("127.0.0.1" if self.host in WILDCARDS else self.host)

    def _info(self, accounts: list, api_port: int, rest_url: str) -> dict:
        api_base = "https://%s:%d" % (self.advertised_host, api_port)
        first = accounts[0]
        return {
            "api_url": api_base + "/1.0",
            "oauth2_token_url": api_base + TOKEN_PATH,
            "rest_url": rest_url,
            "ca_file": self._path(CA_FILE),
            "users_ca_file": self._path(USERS_CA_FILE),
            "other_ca_file": self._path(OTHER_CA_FILE),
            "okms_id": first.domains[0].id,
            **{name: value for name, value in first.summary().items() if name != "okms_ids"},
            "admin_url": api_base + ADMIN_PREFIX,
            "state_dir": self.state_dir,
            "pid": os.getpid(),
            "accounts": [account.summary() for account in accounts],
        }

    def start(self) -> dict:
        """Load or create the state, serve, write emulator.json; returns its content."""
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        self._lock_state_dir()
        if os.path.exists(self._path(INFO_FILE)):
            os.unlink(self._path(INFO_FILE))
        config = load_config_file(self.options.config)
        self.store = Store(self._path(STATE_FILE))
        root, users = self._certificate_authorities()
        accounts = self._accounts(config["accounts"])
        api_server, kms_server = self._bind(root, users)
        services = self._services(config, accounts, (root, users), kms_server.server_address[1])
        kms_server.app = KmsApp(services)
        self._kms_contexts(kms_server, services, users)
        api_server.app = ApiApp(services, AdminApp(services, {_ip_literal(self.host)} - {None}))
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self.serving.append(server)
        info = self._info(accounts, api_server.server_address[1], services.rest_url)
        write_file(self._path(INFO_FILE), json.dumps(info, indent=2) + "\n", 0o600)
        return info

    def stop(self) -> None:
        """Stop serving, close the state, remove emulator.json (it would point at dead ports)."""
        for server in self.serving:
            server.shutdown()
        for server in self.servers:
            server.server_close()
        self.servers, self.serving = [], []
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.lock is not None:  # the state directory is ours
            if os.path.exists(self._path(INFO_FILE)):
                os.unlink(self._path(INFO_FILE))
            self.lock.close()
            self.lock = None
