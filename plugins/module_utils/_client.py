# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""OVH API client shared by every okms.access module.

It speaks to the OVH API the way OVH's own SDKs do (endpoints, ovh.conf, request signing, OAuth2
client credentials) and adds what a fleet tool needs: one place that resolves the configuration and
says where each value came from, bounded retries of idempotent calls, a POST that is never resent
blindly, cursor pagination, and errors that carry the X-Ovh-QueryID.
"""

from __future__ import annotations

import collections
import configparser
import contextlib
import fcntl
import hashlib
import json
import math
import os
import random
import tempfile
import time
import traceback
from urllib.parse import urlencode, urlsplit

from ansible_collections.okms.access.plugins.module_utils._errors import (  # noqa: F401  (re-exported)
    OvhApiError,
    OvhConfigError,
    OvhOutcomeUnknownError,
)

try:
    import requests
except ImportError:
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

HAS_REQUESTS = requests is not None

# The collection's version, which only galaxy.yml holds (MANIFEST.json once built): a module runs without either at hand,
# so the collection's action plugins pass it in this environment variable (plugins/plugin_utils/_collection.py).
VERSION_VARIABLE = "OKMS_ACCESS_VERSION"


def user_agent_of(environ):
    return "okms.access/" + (environ.get(VERSION_VARIABLE) or "unknown")


ENDPOINTS = {
    "ovh-eu": "https://eu.api.ovh.com/1.0",
    "ovh-ca": "https://ca.api.ovh.com/1.0",
    "ovh-us": "https://api.us.ovhcloud.com/1.0",
}
# python-ovh's endpoints of OVHcloud's dedicated-server brands: they serve no KMS, so they are refused by name.
ENDPOINTS_WITHOUT_KMS = ("kimsufi-eu", "kimsufi-ca", "soyoustart-eu", "soyoustart-ca")

OAUTH2_TOKEN_URLS = {
    "ovh-eu": "https://www.ovh.com/auth/oauth2/token",
    "ovh-ca": "https://ca.ovh.com/auth/oauth2/token",
    "ovh-us": "https://us.ovhcloud.com/auth/oauth2/token",
}

# python-ovh's files, by increasing priority.
CONFIG_FILES = ("/etc/ovh.conf", "~/.ovh.conf", "./ovh.conf")

APPLICATION_KEY = "application_key"
OAUTH2 = "oauth2"
APPLICATION_KEY_VALUES = ("application_key", "application_secret", "consumer_key")
OAUTH2_VALUES = ("client_id", "client_secret")
# Values looked up in the endpoint's ovh.conf section (the endpoint itself lives in [default]).
SECTION_VALUES = APPLICATION_KEY_VALUES + OAUTH2_VALUES + ("oauth2_token_url",)

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_RETRY_TIMEOUT = 60.0

IDEMPOTENT_METHODS = frozenset(("GET", "DELETE"))
# 429 means the server refused the call before doing anything, so even a POST may be resent.
RETRYABLE_STATUSES = frozenset((429, 502, 503, 504))
# The page size every listing asks for (X-Pagination-Size). OVH documents no maximum; OVHcloud's own console (ovh/manager,
# fetchIcebergV2) asks v2 lists for 5000 items a page, and a server that allows fewer answers with its own maximum.
LIST_PAGE_SIZE = 5000
# A token lifetime is shortened by this much (at most a tenth of it) so it is not used as it expires.
TOKEN_EXPIRY_MARGIN = 30.0


def api_argument_spec():
    """The connection options every module accepts (documented in the okms.access.api doc fragment).

    No env_fallback on purpose: resolve_config() looks at the environment and ovh.conf itself, so that it
    can tell the user where each value came from.
    """
    return dict(
        endpoint=dict(type="str"),
        application_key=dict(type="str", no_log=False),
        application_secret=dict(type="str", no_log=True),
        consumer_key=dict(type="str", no_log=True),
        client_id=dict(type="str"),
        client_secret=dict(type="str", no_log=True),
        oauth2_token_url=dict(type="str", no_log=False),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        request_timeout=dict(type="float", default=DEFAULT_REQUEST_TIMEOUT),
        retry_timeout=dict(type="float", default=DEFAULT_RETRY_TIMEOUT),
    )


def sign(application_secret, consumer_key, method, url, body, timestamp):
    """The X-Ovh-Signature of one request (url as sent, body the exact text sent, "" when none)."""
    text = "+".join([application_secret, consumer_key, method.upper(), url, body, str(timestamp)])
    return "$1$" + hashlib.sha1(text.encode("utf-8")).hexdigest()


_OVH_CONFIG_FIELDS = ("endpoint", "base_url", "auth_method", "values", "sources", "token_url",
                      "validate_certs", "ca_path", "request_timeout", "retry_timeout", "warnings")


class OvhConfig(collections.namedtuple("OvhConfig", _OVH_CONFIG_FIELDS, defaults=((),))):
    """Resolved connection settings; ``values`` holds the credentials, ``sources`` where each value came from.

    ``warnings`` are sentences for the user about settings that work but weaken security.
    """

    __slots__ = ()

    def __repr__(self):
        # values holds secrets: keep them out of any debug output
        return "OvhConfig(endpoint=%r, auth_method=%r, sources=%r)" % (self.endpoint, self.auth_method, self.sources)

    def auth_description(self):
        names = APPLICATION_KEY_VALUES if self.auth_method == APPLICATION_KEY else OAUTH2_VALUES
        where = describe_found(names, self.sources)
        if self.auth_method == APPLICATION_KEY:
            return "an application key (%s)" % where
        return "OAuth2 client credentials of client_id %s (%s)" % (self.values["client_id"], where)


def describe_found(names, sources):
    """'name from source, ...' for those of ``names`` that were found; never a value."""
    return ", ".join("%s from %s" % (name, sources[name]) for name in names if name in sources)


def _read_config_files(config_files):
    """[(absolute path, RawConfigParser)] for the readable files, lowest priority first."""
    parsed = []
    for path in config_files:
        full_path = os.path.abspath(os.path.expanduser(path))
        parser = configparser.RawConfigParser()
        try:
            with open(full_path, encoding="utf-8") as handle:
                parser.read_file(handle, source=full_path)
        except OSError:
            continue  # absent or unreadable, as python-ovh
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise OvhConfigError("Cannot read OVH configuration file %s: %s." % (full_path, _config_error_summary(exc))) from None
        parsed.append((full_path, parser))
    return parsed


def _config_error_summary(exc):
    """Where a config file is malformed, without quoting its lines (they may hold secrets)."""
    if isinstance(exc, configparser.ParsingError):
        return "unparsable line(s) %s" % ", ".join(str(lineno) for lineno, dummy in exc.errors)
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return "line %s comes before any [section] header" % exc.lineno
    if isinstance(exc, (configparser.DuplicateOptionError, configparser.DuplicateSectionError)):
        return "%s at line %s" % (type(exc).__name__, exc.lineno)
    if isinstance(exc, UnicodeDecodeError):
        return "not valid UTF-8"
    return type(exc).__name__


def _lookup(name, params, environ, files, section):
    """(value, source) of one setting: module option > OVH_* environment variable > later ovh.conf file."""
    value = params.get(name)
    if value not in (None, ""):
        return value, "module option"
    variable = "OVH_" + name.upper()
    if environ.get(variable):
        return environ[variable], "environment variable " + variable
    for path, parser in reversed(files):
        if parser.has_option(section, name) and parser.get(section, name):
            return parser.get(section, name), "%s [%s]" % (path, section)
    return None, None


def _base_url(endpoint, endpoint_source):
    if endpoint in ENDPOINTS_WITHOUT_KMS:
        raise OvhConfigError("OVH API endpoint %r (from %s) has no KMS. Use %s, the OVH endpoints that serve OVHcloud KMS."
                             % (endpoint, endpoint_source, ", ".join(sorted(ENDPOINTS))))
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    parts = urlsplit(endpoint)
    if parts.scheme == "http" and parts.netloc:
        raise OvhConfigError(_cleartext_problem("endpoint", endpoint, endpoint_source))
    if parts.scheme == "https" and parts.netloc:
        return endpoint.rstrip("/")
    raise OvhConfigError(
        "Unknown OVH API endpoint %r (from %s). Use one of %s, or a full URL such as https://127.0.0.1:8443/1.0."
        % (endpoint, endpoint_source, ", ".join(sorted(ENDPOINTS))))


def _auth_method(values, sources, searched):
    application_key = [name for name in APPLICATION_KEY_VALUES if name in values]
    oauth2 = [name for name in OAUTH2_VALUES if name in values]
    if application_key and oauth2:
        raise OvhConfigError(
            "Both OVH authentication methods are configured: application key values (%s) and OAuth2 values (%s). "
            "Configure exactly one: application_key + application_secret + consumer_key, or client_id + client_secret."
            % (describe_found(application_key, sources), describe_found(oauth2, sources)))
    if not application_key and not oauth2:
        raise OvhConfigError(
            "No OVH API credentials found (searched module options, OVH_* environment variables and %s). "
            "Set application_key + application_secret + consumer_key, or client_id + client_secret (OAuth2 service account)."
            % searched)
    method, found, required = ((APPLICATION_KEY, application_key, APPLICATION_KEY_VALUES) if application_key
                               else (OAUTH2, oauth2, OAUTH2_VALUES))
    missing = [name for name in required if name not in values]
    if missing:
        raise OvhConfigError(
            "Incomplete OVH %s credentials: found %s but not %s (searched module options, OVH_* environment variables and %s)."
            % ("application key" if method == APPLICATION_KEY else "OAuth2", describe_found(found, sources),
               " nor ".join(missing), searched))
    return method


def _cleartext_problem(name, url, source):
    """Why a plain http:// URL is refused: every request carries credentials or a token."""
    return ("%s %s (from %s) is a plain http:// URL: the OVH API is served over HTTPS only, and credentials and private keys "
            "must never cross the network in cleartext. Use the https:// URL%s."
            % (name, url, source, ", with ca_path naming the CA of a test server or proxy" if name == "endpoint" else ""))


def _token_url(endpoint, values, sources):
    if "oauth2_token_url" in values:
        if urlsplit(values["oauth2_token_url"]).scheme == "http":
            raise OvhConfigError(_cleartext_problem("oauth2_token_url", values["oauth2_token_url"], sources["oauth2_token_url"]))
        return values["oauth2_token_url"]
    if endpoint in OAUTH2_TOKEN_URLS:
        return OAUTH2_TOKEN_URLS[endpoint]
    raise OvhConfigError(
        "OAuth2 with the endpoint URL %s needs oauth2_token_url (module option, OVH_OAUTH2_TOKEN_URL or oauth2_token_url "
        "in the [%s] section of ovh.conf)." % (endpoint, endpoint))


def _seconds(params, name, default):
    """The option as a float; OvhConfigError naming it when it is not a finite number."""
    value = params.get(name)
    try:
        seconds = float(default if value is None else value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds):
        raise OvhConfigError("%s must be a finite number of seconds, not %r." % (name, value))
    return seconds


def _connection_settings(params):
    settings = dict(
        validate_certs=params.get("validate_certs") is not False,
        ca_path=params.get("ca_path") or None,
        request_timeout=_seconds(params, "request_timeout", DEFAULT_REQUEST_TIMEOUT),
        retry_timeout=_seconds(params, "retry_timeout", DEFAULT_RETRY_TIMEOUT),
    )
    if settings["request_timeout"] <= 0:
        raise OvhConfigError("request_timeout must be a positive number of seconds, not %s." % settings["request_timeout"])
    if settings["retry_timeout"] < 0:
        raise OvhConfigError("retry_timeout must be zero (no retries) or a positive number of seconds, not %s." % settings["retry_timeout"])
    if settings["ca_path"] and not settings["validate_certs"]:
        raise OvhConfigError("ca_path is set but validate_certs is false, so the CA would never be used: remove validate_certs: false "
                             "to verify the API's certificate with ca_path, or remove ca_path.")
    if settings["ca_path"] and not os.path.exists(settings["ca_path"]):
        raise OvhConfigError("ca_path %s does not exist; give the path of a PEM CA bundle (file or c_rehash directory)." % settings["ca_path"])
    if not settings["validate_certs"]:
        settings["warnings"] = ("validate_certs is false: the API's TLS certificate is not verified, so anyone on the network path "
                                "can read the credentials and private keys sent. Set ca_path to the CA of a test server or proxy instead.",)
    return settings


def resolve_config(params, environ=None, config_files=None):
    """Resolve the connection settings of ``params`` (module params), raising OvhConfigError before any request.

    Precedence per value: module option > OVH_* environment variable > ovh.conf files (``config_files``,
    lowest priority first, default CONFIG_FILES). Exactly one authentication method must be complete.
    """
    environ = os.environ if environ is None else environ
    config_files = CONFIG_FILES if config_files is None else config_files
    files = _read_config_files(config_files)
    searched = "ovh.conf files %s" % ", ".join(os.path.abspath(os.path.expanduser(path)) for path in config_files)

    endpoint, endpoint_source = _lookup("endpoint", params, environ, files, "default")
    if not endpoint:
        raise OvhConfigError(
            "No OVH API endpoint configured: set the endpoint option, the OVH_ENDPOINT environment variable or "
            "endpoint in the [default] section of ovh.conf (searched %s). Use one of %s, or a full URL such as "
            "https://127.0.0.1:8443/1.0." % (searched, ", ".join(sorted(ENDPOINTS))))
    base_url = _base_url(endpoint, endpoint_source)

    values, sources = {}, {"endpoint": endpoint_source}
    for name in SECTION_VALUES:
        value, source = _lookup(name, params, environ, files, endpoint)
        if value:
            values[name], sources[name] = value, source
    auth_method = _auth_method(values, sources, searched)
    token_url = _token_url(endpoint, values, sources) if auth_method == OAUTH2 else None
    return OvhConfig(endpoint=endpoint, base_url=base_url, auth_method=auth_method, values=values, sources=sources,
                     token_url=token_url, **_connection_settings(params))


class SharedState:
    """What the processes of one play share on the controller, in a directory of their own (0700).

    Ansible runs each host's task in a process of its own (a fork), so nothing in memory is shared between hosts. Here:
    a pause (after HTTP 429, every process waits until the time the API asked for, not only the one that was refused:
    one budget for the play) and the OAuth2 token (when it expires during the play, one process fetches a new one for
    all; the file is 0600, like Ansible's own files of the run, and goes with the directory, which the caller puts in
    ansible-playbook's temporary directory, removed when the run ends). Access is serialized with flock.
    """

    def __init__(self, directory, clock=time.time, sleep=time.sleep):
        self.directory = directory
        self._clock = clock
        self._sleep = sleep

    @classmethod
    def create(cls, parent=None, **options):
        return cls(tempfile.mkdtemp(prefix="okms-access-play-", dir=parent), **options)

    @contextlib.contextmanager
    def locked(self):
        descriptor = os.open(os.path.join(self.directory, "lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the lock

    def _read(self, name):
        try:
            with open(os.path.join(self.directory, name), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def _write(self, name, value):
        path = os.path.join(self.directory, name)
        descriptor = os.open(path + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(value, handle)
        os.replace(path + ".new", path)

    def wait_turn(self):
        """Sleep until the pause that a refused request of any process of the play asked for is over."""
        until = self._read("pause")
        if isinstance(until, (int, float)) and until > self._clock():
            self._sleep(until - self._clock())

    def pause(self, seconds):
        """Make every process of the play wait ``seconds`` from now (a longer pause already set stays)."""
        with self.locked():
            until = self._read("pause")
            self._write("pause", max(until if isinstance(until, (int, float)) else 0, self._clock() + seconds))

    def token(self, fetch, refused=None):
        """The play's OAuth2 token {"token", "expires_at"}: the stored one while it is valid (not expired, not the
        ``refused`` one), else ``fetch()``'s, stored."""
        with self.locked():
            stored = self._read("token")
            if (isinstance(stored, dict) and stored.get("token") and stored["token"] != refused
                    and (stored.get("expires_at") is None or self._clock() < stored["expires_at"])):
                return stored
            fresh = fetch()
            self._write("token", fresh)
            return fresh


class ListPage(list):
    """One page of a v2 list; ``more`` tells whether another page follows (so a walk can stop at the last page for free)."""

    def __init__(self, items=(), more=False):
        super().__init__(items)
        self.more = more


class OvhApiClient:
    """Calls the OVH API with one resolved OvhConfig.

    ``sleep``, ``clock`` (unix seconds) and ``rand`` (uniform in [0, 1)) are injectable so that retries
    and token lifetimes can be tested without waiting.
    """

    max_retries = 8
    backoff_base = 0.5
    backoff_cap = 10.0

    def __init__(self, config, session=None, sleep=time.sleep, clock=time.time, rand=random.random, user_agent=None):
        self.config = config
        self.user_agent = user_agent or user_agent_of(os.environ)
        self._session = requests.Session() if session is None else session
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._time_delta = None
        self._token = None
        self._token_expires_at = None
        self._shared = None
        self._refused_token = None

    @property
    def auth_method(self):
        """"application_key" or "oauth2"."""
        return self.config.auth_method

    @property
    def base_url(self):
        return self.config.base_url

    # Public calls

    def get(self, path, params=None):
        return self._request("GET", path, params=params)[0]

    def post(self, path, body=None, params=None):
        return self._request("POST", path, params=params, body=body)[0]

    def put(self, path, body=None, params=None):
        return self._request("PUT", path, params=params, body=body)[0]

    def delete(self, path, params=None):
        return self._request("DELETE", path, params=params)[0]

    def iter_list(self, path, params=None, page_size=LIST_PAGE_SIZE):
        """Yield every item of a cursor-paginated v2 list, fetching the pages one after the other."""
        for page in self.iter_pages(path, params=params, page_size=page_size):
            yield from page

    def iter_pages(self, path, params=None, page_size=LIST_PAGE_SIZE):
        """Yield each page (a list) of a cursor-paginated v2 list, asking for ``page_size`` items a page (None: the API's default)."""
        cursor, seen = None, set()
        while True:
            headers = {}
            if page_size:
                headers["X-Pagination-Size"] = str(int(page_size))
            if cursor:
                headers["X-Pagination-Cursor"] = cursor
            page, response = self._request("GET", path, params=params, headers=headers)
            if not isinstance(page, list):
                raise self._error(OvhApiError, "GET", path, response, "expected a JSON array (one page of a list), got %s" % type(page).__name__)
            cursor = response.headers.get("X-Pagination-Cursor-Next")
            yield ListPage(page, more=bool(cursor))
            if not cursor:
                return
            if cursor in seen:
                raise self._error(OvhApiError, "GET", path, response, "the API sent the same pagination cursor twice; stopped to avoid an endless loop")
            seen.add(cursor)

    def url(self, path, params=None):
        """The full URL of ``path``: /v1/ and /v2/ paths hang off the base without its /1.0, as in OVH's SDKs."""
        if not path.startswith("/"):
            raise ValueError("API paths start with '/': %r" % path)
        base = self.base_url
        if base.endswith("/1.0") and path.split("/")[1] in ("v1", "v2"):
            base = base[:-len("/1.0")]
        query = urlencode([(key, _query_value(value)) for key, value in (params or {}).items() if value is not None])
        if query:
            path += ("&" if "?" in path else "?") + query
        return base + path

    # Authentication shared between clients

    def session_state(self):
        """What another client of the same configuration needs to make no authentication request of its own.

        The server time delta (application key) or the OAuth2 token and its expiry: one play authenticates once,
        whatever its number of hosts. The token is a secret: keep the state out of every output.
        """
        shared = {"shared": self._shared.directory} if self._shared else {}
        if self.auth_method == OAUTH2:
            return dict(shared, token=self._bearer_token(), token_expires_at=self._token_expires_at)
        return dict(shared, time_delta=self._server_time_delta())

    def share(self, parent=None):
        """Share 429 pauses and OAuth2 token refreshes with the other clients of this session (other processes of the
        play): a directory is made in ``parent``; session_state() names it."""
        self._shared = SharedState.create(parent, clock=self._clock, sleep=self._sleep)

    def resume_session(self, state):
        """Take over the authentication of session_state(); an expired or refused token is fetched again as usual."""
        self._time_delta = state.get("time_delta", self._time_delta)
        self._token = state.get("token", self._token)
        self._token_expires_at = state.get("token_expires_at", self._token_expires_at)
        if state.get("shared") and os.path.isdir(state["shared"]):
            self._shared = SharedState(state["shared"], clock=self._clock, sleep=self._sleep)

    # Requests

    def _request(self, method, path, params=None, body=None, headers=None):
        """(decoded body, response) of one API call, after retries and at most one OAuth2 token refetch."""
        url = self.url(path, params)
        data = None if body is None else json.dumps(body, separators=(",", ":"))
        idempotent = method in IDEMPOTENT_METHODS

        def send():
            return self._session.request(method, url, headers=self._api_headers(method, url, data, headers),
                                         data=None if data is None else data.encode("utf-8"), **self._transport_options())

        response, attempts = self._send_with_retries(method, path, send, idempotent)
        if response.status_code == 401 and self.auth_method == OAUTH2:
            # A 401 means the call was refused before anything happened: resending it once with a new token is safe.
            self._refused_token, self._token = self._token, None
            response, more_attempts = self._send_with_retries(method, path, send, idempotent)
            attempts += more_attempts
        if not response.ok:
            unknown = not idempotent and response.status_code >= 500
            raise self._error(OvhOutcomeUnknownError if unknown else OvhApiError, method, path, response, attempts=attempts)
        try:
            return _json_body(response), response
        except ValueError:
            # For a POST or PUT the server did act: the caller must look for the result rather than send it again.
            raise self._error(OvhApiError if idempotent else OvhOutcomeUnknownError, method, path, response,
                              "HTTP %d with a body that is not JSON" % response.status_code) from None

    def _transport_options(self):
        verify = (self.config.ca_path or True) if self.config.validate_certs else False
        return dict(timeout=self.config.request_timeout, verify=verify)

    def _api_headers(self, method, url, data, extra_headers):
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        headers.update(extra_headers or {})
        if self.auth_method == OAUTH2:
            headers["Authorization"] = "Bearer " + self._bearer_token()
            return headers
        values = self.config.values
        timestamp = int(self._clock()) + self._server_time_delta()
        headers.update({
            "X-Ovh-Application": values["application_key"],
            "X-Ovh-Consumer": values["consumer_key"],
            "X-Ovh-Timestamp": str(timestamp),
            "X-Ovh-Signature": sign(values["application_secret"], values["consumer_key"], method, url, data or "", timestamp),
        })
        return headers

    def _send_with_retries(self, method, path, send, idempotent):
        """(response, attempts): resend after 429 (any method) and after 502/503/504, connection errors and
        timeouts (idempotent calls only), with capped exponential backoff, full jitter and the retry_timeout bound.

        A non-idempotent call that fails in transit raises OvhOutcomeUnknownError; a final HTTP error is returned
        as a response for the caller to turn into an exception.
        """
        deadline = self._clock() + self.config.retry_timeout
        attempts = 0
        while True:
            attempts += 1
            transport_error = response = None
            if self._shared:
                self._shared.wait_turn()
            try:
                response = send()
            except requests.exceptions.SSLError as exc:
                # A certificate problem does not heal by waiting.
                raise _transport_failure(method, path, idempotent, attempts,
                                         "TLS error (%s); set ca_path to the CA bundle that signed the server's certificate" % exc)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if not idempotent:
                    raise _transport_failure(method, path, idempotent, attempts, _transport_cause(exc, self.config.request_timeout))
                transport_error = exc
            except requests.exceptions.RequestException as exc:
                raise _transport_failure(method, path, idempotent, attempts, _transport_cause(exc, self.config.request_timeout))

            if response is not None and not (response.status_code == 429 or (idempotent and response.status_code in RETRYABLE_STATUSES)):
                return response, attempts
            delay = _retry_after(response) if response is not None else None
            if delay is None:
                delay = self._rand() * min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
            if attempts > self.max_retries or self._clock() + delay > deadline:
                if response is not None:
                    return response, attempts
                raise _transport_failure(method, path, idempotent, attempts, _transport_cause(transport_error, self.config.request_timeout))
            if self._shared and response is not None and response.status_code == 429:
                # Throttled: the whole play waits (the next wait_turn), not only this process.
                self._shared.pause(delay)
            else:
                self._sleep(delay)

    def _error(self, error_type, method, path, response, message=None, attempts=1):
        body = _json_body_or_none(response)
        if not isinstance(body, dict):
            body = {}
        if message is None:
            message = body.get("message") or body.get("error_description") or _text_excerpt(response) or response.reason
        return error_type(
            message,
            status=response.status_code,
            error_class=body.get("class") or body.get("errorCode") or body.get("error"),
            details=body.get("details"),
            query_id=response.headers.get("X-Ovh-QueryID"),
            method=method,
            path=path,
            auth_description=self.config.auth_description(),
            attempts=attempts,
        )

    # Authentication state

    def _server_time_delta(self):
        """Server clock minus local clock, fetched once: signatures must carry the server's time."""
        if self._time_delta is None:
            url = self.base_url + "/auth/time"
            headers = {"User-Agent": self.user_agent, "Accept": "application/json", "X-Ovh-Application": self.config.values["application_key"]}
            response, attempts = self._send_with_retries(
                "GET", "/auth/time", lambda: self._session.request("GET", url, headers=headers, **self._transport_options()), True)
            server_time = _json_body_or_none(response) if response.ok else None
            if not isinstance(server_time, int) or isinstance(server_time, bool):
                raise self._error(OvhApiError, "GET", "/auth/time", response, "the server time is not an integer" if response.ok else None,
                                  attempts=attempts)
            self._time_delta = server_time - int(self._clock())
        return self._time_delta

    def _bearer_token(self):
        if self._token is None or (self._token_expires_at is not None and self._clock() >= self._token_expires_at):
            if self._shared:
                # One process fetches the token for the play; the others take it.
                state = self._shared.token(self._fetched_token, refused=self._refused_token)
                self._token, self._token_expires_at = state["token"], state.get("expires_at")
            else:
                self._fetch_token()
        return self._token

    def _fetched_token(self):
        self._fetch_token()
        return {"token": self._token, "expires_at": self._token_expires_at}

    def _fetch_token(self):
        values, url = self.config.values, self.config.token_url

        def send():
            return self._session.request(
                "POST", url, data={"grant_type": "client_credentials", "scope": "all"},
                auth=(values["client_id"], values["client_secret"]),
                headers={"User-Agent": self.user_agent, "Accept": "application/json"}, **self._transport_options())

        # Asking for a token creates nothing, so it is retried like an idempotent call.
        response, attempts = self._send_with_retries("POST", url, send, True)
        body = _json_body_or_none(response) if response.ok else None
        if not isinstance(body, dict) or not body.get("access_token"):
            raise self._error(OvhApiError, "POST", url, response, "the token answer has no access_token" if response.ok else None,
                              attempts=attempts)
        self._token = body["access_token"]
        self._token_expires_at = None
        expires_in = body.get("expires_in")
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
            self._token_expires_at = self._clock() + expires_in - min(TOKEN_EXPIRY_MARGIN, expires_in / 10.0)


def client_from_params(params, environ=None, config_files=None, **client_options):
    """An OvhApiClient for module params; raises OvhConfigError before any request."""
    client_options.setdefault("user_agent", user_agent_of(os.environ if environ is None else environ))
    return OvhApiClient(resolve_config(params, environ=environ, config_files=config_files), **client_options)


def _query_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _json_body(response):
    """The decoded JSON body, None when there is none; ValueError when it is not JSON."""
    if response.status_code == 204 or not response.content:
        return None
    return json.loads(response.content.decode("utf-8"))


def _json_body_or_none(response):
    try:
        return _json_body(response)
    except ValueError:
        return None


def _text_excerpt(response, limit=200):
    """The start of a non-JSON body (a proxy's error page, say), on one line."""
    text = " ".join(response.content.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit] + "..."


def _retry_after(response):
    """Seconds asked for by a Retry-After header, or None (absent, a date, or nonsense)."""
    value = response.headers.get("Retry-After")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _transport_failure(method, path, idempotent, attempts, cause):
    """The error for a request that got no HTTP answer: for a non-idempotent one, its outcome is unknown."""
    error_type = OvhApiError if idempotent else OvhOutcomeUnknownError
    return error_type(cause, method=method, path=path, attempts=attempts)


def _transport_cause(exc, request_timeout):
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer within request_timeout (%ss): %s" % (request_timeout, exc)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection failed: %s" % exc
    return "request failed: %s" % exc
