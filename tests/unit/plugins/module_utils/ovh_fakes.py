# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test doubles of the client tests: a scripted OVH API served on 127.0.0.1, a fake clock, TLS material."""

from __future__ import annotations

import collections
import contextlib
import datetime
import ipaddress
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# The reference application key of OVH's signature test vectors.
AK = "TDPKJdwZwAQPwKX2"
AS = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk"
CK = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY"
CLIENT_ID = "EU.svc-account-1"
CLIENT_SECRET = "oauth2-client-secret-never-shown"
START = 1700000000.0
TEST_CA_NAME = "okms.access unit test CA"

Recorded = collections.namedtuple("Recorded", "method path query headers body client_port")


class Answer:
    """One scripted answer; ``drop`` closes the connection without answering."""

    def __init__(self, status=200, body=None, headers=None, raw=None, drop=False):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw
        self.drop = drop

    def payload(self):
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode("utf-8")


class FakeClock:
    """Unix time that moves only when the client sleeps (or a test advances it)."""

    def __init__(self, now=START):
        self.now = now
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeOvhApi:
    """The OVH API as a script: answers queued per (method, path), every request recorded.

    GET /1.0/auth/time answers the fake clock plus ``server_offset`` unless a test scripts it.
    A path with nothing queued answers 404 Client::NotFound.
    """

    def __init__(self, clock):
        self.clock = clock
        self.server_offset = 0
        self.requests = []
        self._queued = collections.defaultdict(collections.deque)
        self._handlers = {}
        self.url = None

    def queue(self, method, path, *answers):
        self._queued[(method, path)].extend(answers)

    def handle(self, method, path, handler):
        """Answer (method, path) with ``handler(recorded) -> Answer`` whenever nothing is queued."""
        self._handlers[(method, path)] = handler

    def calls(self, method=None, path=None):
        return [r for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)]

    def answer(self, recorded):
        key = (recorded.method, recorded.path)
        if self._queued[key]:
            return self._queued[key].popleft()
        if key in self._handlers:
            return self._handlers[key](recorded)
        if key == ("GET", "/1.0/auth/time"):
            return Answer(body=int(self.clock.time()) + self.server_offset)
        return Answer(404, {"class": "Client::NotFound", "message": "no route %s %s" % key}, {"X-Ovh-QueryID": "EU.ext-404"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so that session reuse is visible
    disable_nagle_algorithm = True  # headers and body go out as two writes: do not wait for delayed ACKs

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        api = self.server.api
        recorded = Recorded(self.command, parts.path, parts.query, dict(self.headers), body, self.client_address[1])
        api.requests.append(recorded)
        answer = api.answer(recorded)
        if answer.drop:
            self.close_connection = True
            return
        payload = answer.payload()
        self.send_response(answer.status)
        headers = {"Content-Type": "application/json"}
        headers.update(answer.headers)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@contextlib.contextmanager
def serving(api, ssl_context=None):
    """Serve ``api`` on 127.0.0.1 (HTTPS when ``ssl_context`` is given) for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.api = api
    scheme = "http"
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    api.url = "%s://127.0.0.1:%d" % (scheme, server.server_address[1])
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def _certificate(subject_cn, public_key, issuer_key, is_ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TEST_CA_NAME)]))
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               # key identifiers: Python 3.13's default context (VERIFY_X509_STRICT) refuses a chain without them
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if not is_ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write_tls_files(folder):
    """A test CA and a server certificate for 127.0.0.1 written to ``folder``: {"ca", "cert", "key"} -> path."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    pems = {
        "ca": _certificate(TEST_CA_NAME, ca_key.public_key(), ca_key, True).public_bytes(serialization.Encoding.PEM),
        "cert": _certificate("127.0.0.1", server_key.public_key(), ca_key, False).public_bytes(serialization.Encoding.PEM),
        "key": server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    }
    paths = {}
    for name, pem in pems.items():
        paths[name] = os.path.join(str(folder), name + ".pem")
        with open(paths[name], "wb") as handle:
            handle.write(pem)
    return paths
