# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS servers (one thread per connection, TLS handshake in that thread) and the JSON plumbing they share."""

from __future__ import annotations

import json
import socket
import ssl
import sys
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from okms_emulator.errors import HttpError
from okms_emulator.routing import Answer, Request

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME: the credential's status, on the emulator's (skewable) clock, decides
VERIFY_NO_CHECK_TIME = 0x200000
HANDSHAKE_TIMEOUT = 10
IDLE_TIMEOUT = 60
LINGER_TIMEOUT = 2
MAX_BODY = 1 << 20


def new_query_id() -> str:
    """An ``X-Ovh-QueryID`` value, unique per answer."""
    return "EU.ext-emulator.%s" % uuid.uuid4().hex


def server_context(cert_file: str, key_file: str, client_ca_pem: str | None = None) -> ssl.SSLContext:
    """TLS 1.2+ server context; with ``client_ca_pem`` a client certificate signed by it is required.

    The handshake checks the client certificate's signature, not its dates: validity is the
    credential's status, judged by the application on the emulator's clock.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_pem is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.verify_flags |= VERIFY_NO_CHECK_TIME
        context.load_verify_locations(cadata=client_ca_pem)
    return context


class RoutedApp:
    """What a server does with a request: route it, count it, apply a pending fault, answer it.

    Subclasses give ``error(status, message)`` and may override ``call``. Without a counter and
    faults (the admin interface) requests are neither counted nor faulted.
    """

    def __init__(self, router, counter=None, faults=None) -> None:
        self.router = router
        self.counter = counter
        self.faults = faults
        if faults is not None:
            faults.routes |= router.keys

    def error(self, status: int, message: str) -> HttpError:
        """Error answer in this server's body format."""
        raise NotImplementedError

    def handle(self, request: Request) -> Answer:
        """Answer one request (errors included)."""
        route, params, allowed = self.router.match(request.method, request.path)
        if route is None:
            if allowed:
                return self._error_answer(self.error(405, "%s does not accept %s (allowed: %s)" % (request.path, request.method, ", ".join(allowed))))
            return self._error_answer(self.error(404, "no route for %s %s" % (request.method, request.path)))
        request.params = params
        fault = None
        if self.counter is not None:
            self.counter.count(route.key)
            fault = self.faults.take(route.key)
        if fault is not None and fault.status is not None:
            error = self.error(fault.status, "injected fault on %s" % route.key)
            if fault.retry_after is not None:
                error.headers["Retry-After"] = "%d" % round(fault.retry_after)
            return self._error_answer(error)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        try:
            answer = self.call(route, request)
        except HttpError as exc:
            answer = self._error_answer(exc)
        answer.drop = fault is not None and fault.drop_after_commit
        return answer

    def call(self, route, request: Request) -> Answer:
        """Run the route's handler."""
        return route.handler(request)

    @staticmethod
    def _error_answer(error: HttpError) -> Answer:
        return Answer(error.status, error.body, error.headers)


class JsonHandler(BaseHTTPRequestHandler):
    """Hands every request to ``server.app`` and writes its JSON answer with an ``X-Ovh-QueryID``."""

    protocol_version = "HTTP/1.1"
    server_version = "okms-emulator"
    timeout = IDLE_TIMEOUT
    # headers and body leave in two writes: without TCP_NODELAY each answer waits for a delayed ACK
    disable_nagle_algorithm = True
    query_id = ""

    def version_string(self) -> str:
        return self.server_version

    def handle_one_request(self) -> None:
        self.query_id = new_query_id()
        super().handle_one_request()

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        """Every method goes through the app."""
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise self.server.app.error(411, "send a Content-Length, not a chunked body")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise self.server.app.error(400, "bad Content-Length") from None
        if length > MAX_BODY:
            raise self.server.app.error(413, "body larger than %d bytes" % MAX_BODY)
        return self.rfile.read(length) if length > 0 else b""

    def _request(self) -> Request:
        peer = None
        if self.server.ssl_context.verify_mode == ssl.CERT_REQUIRED:
            peer = self.connection.getpeercert(binary_form=True)
        return Request(
            method=self.command, target=self.path, body=self._read_body(), client_ip=self.client_address[0],
            headers={name.lower(): value for name, value in self.headers.items()}, query_id=self.query_id, peer_cert_der=peer,
        )

    def _handle(self) -> None:
        try:
            answer = self.server.app.handle(self._request())
        except HttpError as exc:
            answer = Answer(exc.status, exc.body, exc.headers)
            self.close_connection = True
        except Exception:  # pylint: disable=broad-exception-caught
            traceback.print_exc(file=sys.stderr)
            error = self.server.app.error(500, "internal error of the emulator (see its stderr)")
            answer = Answer(error.status, error.body)
        if answer.drop:
            self._drop_connection()
        else:
            self._send(answer)

    def _send(self, answer: Answer) -> None:
        body = json.dumps(answer.payload).encode("utf-8")
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Ovh-QueryID", self.query_id)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop_connection(self) -> None:
        # the request has taken effect; close TLS cleanly with no HTTP answer, as a crashed front end would
        self.close_connection = True
        try:
            self.connection.settimeout(1)
            self.connection.unwrap()
        except (OSError, ValueError):
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_error(self, code, message=None, explain=None) -> None:
        """Protocol errors found by http.server (bad request line...) also answer JSON."""
        error = self.server.app.error(code, message or explain or "bad request")
        self.close_connection = True
        self._send(Answer(error.status, error.body))

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)


def _linger(connection: ssl.SSLSocket) -> None:
    """After a refused handshake, read (raw TCP) until the client closes: a TLS 1.3 client learns of the
    refusal on its first read, and closing at once could turn the alert already sent into a reset."""
    try:
        socket.socket.shutdown(connection, socket.SHUT_WR)
        connection.settimeout(LINGER_TIMEOUT)
        while socket.socket.recv(connection, 4096):
            pass
    except OSError:
        pass


class TlsServer(ThreadingHTTPServer):
    """HTTPS server; the TLS handshake runs in the connection's thread so a slow client blocks no one."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple, context: ssl.SSLContext, verbose: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.ssl_context = context
        self.verbose = verbose
        self.app = None
        self.context_source = None
        super().__init__(address, JsonHandler)

    def connection_context(self) -> ssl.SSLContext:
        """Context of the next handshake (``context_source`` may choose one per connection)."""
        return self.context_source() if self.context_source is not None else self.ssl_context

    def finish_request(self, request, client_address) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        connection = self.connection_context().wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        try:
            connection.do_handshake()
        except (OSError, ValueError) as exc:
            if self.verbose:
                print("okms_emulator: TLS handshake with %s failed: %s" % (client_address[0], exc), file=sys.stderr)
            _linger(connection)
            connection.close()
            return
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            connection.close()

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)
