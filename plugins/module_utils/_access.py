# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The access check: does the KMS domain accept a host's key and certificate over mutual TLS?

It runs on the host (standard library only: the host may lack ``requests``) and needs no IAM right beyond what
proves the point. The server certificate is verified against the host's system store plus the domain's CA file
(trust_context). One request, ``GET {rest}/api/{okmsId}/v1/random?length=1``; when that route answers 404 (a domain
without it), ``GET {rest}/api/{okmsId}/v2/secretConfig``. The verdict reads the answer:

- TLS handshake done and 200: accepted.
- A refusal of the KMS REST API's *authorization* category (``(error_code >> 12) & 0xF == 4``), whatever its HTTP
  status (OVH's schema declares 401 on every route, users report 403), or a 403 without a readable code: the domain
  knew the certificate and its identity, which only lacks the route's IAM action. Accepted, with a warning naming it.
- A refusal of the *authentication* category, a 401 without the authorization category, or a failed handshake (with
  TLS 1.3 the server's alert arrives on the first read, so the request is sent and its answer read): refused.
- Anything else (5xx, 429, a 404 of the last route, an unreachable endpoint) proves nothing: refused, with the answer.
"""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit

AUTHENTICATION = 3
AUTHORIZATION = 4

# (path below {rest}/api/{okmsId}, IAM action that authorizes it), tried in order; the next one only after a 404.
ROUTES = (("/v1/random?length=1", "okms:apikms:random/get"), ("/v2/secretConfig", "okms:apikms:secretConfig/get"))

REFUSED_CERTIFICATE = ("the domain does not accept the certificate: its credential was deleted, has expired or is in ERROR, "
                       "or it belongs to another domain, or the key is not the certificate's")


def error_category(body):
    """The category packed in an OKMS error body's ``error_code`` (bits 15-12); None when the body has none."""
    try:
        code = json.loads(body).get("error_code")
    except (ValueError, AttributeError, TypeError):
        return None
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    return (code >> 12) & 0xF


def error_texts(body):
    """The ``errors`` of an OKMS error body, joined; the body's start when it is not one."""
    try:
        errors = json.loads(body).get("errors")
    except (ValueError, AttributeError, TypeError):
        errors = None
    if isinstance(errors, list) and errors:
        return "; ".join(str(error) for error in errors)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    return text.strip()[:200]


def verdict(outcome, action):
    """What one answer proves: dict(accepted, route_absent, warning, msg).

    ``outcome``: dict(files_error, tls_error, network_error: str or None; status: int or None; body: bytes);
    ``action``: the IAM action of the route asked. ``route_absent`` asks the caller to try the next route.
    """
    found = dict(accepted=False, route_absent=False, warning="", msg="")
    if outcome.get("files_error"):
        found["msg"] = "the key, certificate or CA file cannot be loaded (%s): a key that is not the certificate's, or a damaged file" % (
            outcome["files_error"])
        return found
    if outcome.get("tls_error"):
        found["msg"] = "the TLS handshake failed (%s): %s" % (outcome["tls_error"], tls_cause(outcome["tls_error"]))
        return found
    if outcome.get("network_error"):
        found["msg"] = "the KMS endpoint cannot be reached: %s" % outcome["network_error"]
        return found
    status, body = outcome["status"], outcome.get("body") or b""
    category = error_category(body)
    if status == 200:
        found["accepted"] = True
    elif category == AUTHORIZATION or (status == 403 and category is None):
        found["accepted"] = True
        found["warning"] = ("the domain accepts the certificate, but its identity lacks the IAM action %s (HTTP %d: %s); "
                            "grant it to the identity to silence this warning" % (action, status, error_texts(body)))
    elif category == AUTHENTICATION or status == 401:
        found["msg"] = "HTTP %d, authentication refused (%s): %s" % (status, error_texts(body), REFUSED_CERTIFICATE)
    elif status == 404 and category in (None, 5):
        found["route_absent"] = True
        found["msg"] = "HTTP 404 (%s): the domain is unknown at this endpoint, or it serves none of the checked routes" % error_texts(body)
    else:
        found["msg"] = "HTTP %d (%s): the answer proves nothing about the certificate; try again later" % (status, error_texts(body))
    return found


def tls_cause(error):
    """The likely cause of a failed handshake, from the words of the SSL error."""
    text = error.lower()
    if "certificate verify failed" in text:
        return ("neither the host's system store nor the CA file verifies the KMS endpoint's certificate (a wrong or outdated "
                "CA file, a system store without the endpoint's CA, or a wrong endpoint)")
    if "alert" in text or "certificate" in text:
        return REFUSED_CERTIFICATE
    return "the connection broke during the handshake (a proxy or firewall in the way, or the wrong endpoint)"


def trust_context(ca):
    """A client context that trusts the system store plus the domain's CA file ``ca`` (None: the system store alone).

    As okms-cli does (its CA file is "Optional if the CA is in system store"): nothing OVH publishes says that the domain's
    publicCA signs the REST endpoint's server certificate, which a public CA of the system store may sign instead.
    ``ssl.create_default_context(cafile=...)`` alone would skip the system store. The system store is the host's
    OpenSSL default (``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` move it).
    """
    context = ssl.create_default_context()
    if ca:
        context.load_verify_locations(cafile=ca)
    return context


def ask(url, cert, key, ca, timeout):
    """One GET over mutual TLS; the outcome for verdict(). The answer is read, for TLS 1.3's late alerts."""
    parts = urlsplit(url)
    try:
        context = trust_context(ca)
        context.load_cert_chain(cert, key)
    except (OSError, ValueError) as exc:
        return dict(files_error=str(exc) or type(exc).__name__, tls_error=None, network_error=None, status=None, body=b"")
    connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    path = parts.path + ("?" + parts.query if parts.query else "")
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        answer = connection.getresponse()
        return dict(tls_error=None, network_error=None, status=answer.status, body=answer.read())
    except ssl.SSLError as exc:
        return dict(tls_error=str(exc), network_error=None, status=None, body=b"")
    except (ConnectionResetError, BrokenPipeError) as exc:
        # A server may close the connection on a refused client certificate instead of sending an alert.
        return dict(tls_error="%s: %s" % (type(exc).__name__, exc), network_error=None, status=None, body=b"")
    except (OSError, http.client.HTTPException) as exc:
        return dict(tls_error=None, network_error=str(exc) or type(exc).__name__, status=None, body=b"")
    finally:
        connection.close()


def check_access(base_url, cert, key, ca, timeout):
    """The access check against ``base_url`` = ``{restEndpoint}/api/{okmsId}``: dict(ok, msg, warning, url)."""
    found = None
    for path, action in ROUTES:
        url = base_url.rstrip("/") + path
        found = verdict(ask(url, cert, key, ca, timeout), action)
        if not found["route_absent"]:
            break
    return dict(ok=found["accepted"], msg=found["msg"], warning=found["warning"], url=url)
