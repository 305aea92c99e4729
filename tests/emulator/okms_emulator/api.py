# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OVH API side: ``/1.0`` (auth, me), the OAuth2 token endpoint and ``/v2/okms``."""

from __future__ import annotations

import json

from okms_emulator.errors import api_error, bad_request, not_found
from okms_emulator.httpserver import RoutedApp
from okms_emulator.iam import IamApi
from okms_emulator.pagination import CURSOR_HEADER, SIZE_HEADER, page_answer_headers, page_size, start_position
from okms_emulator.routing import Answer, Route, Router, canonical_uuid
from okms_emulator.secrets import SecretApi

RESOURCE = "/v2/okms/resource"
CREDENTIAL = RESOURCE + "/{okmsId}/credential"
TOKEN_PATH = "/auth/oauth2/token"
ADMIN_PREFIX = "/admin"
RESOURCE_GET = "okms:apiovh:resource/get"
CREDENTIAL_GET = "okms:apiovh:credential/get"
CREDENTIAL_CREATE = "okms:apiovh:credential/create"
CREDENTIAL_DELETE = "okms:apiovh:credential/delete"
CURSOR_INVALID = "CredentialPaginationCursorInvalidValue"


def parse_json_body(request, default=None):
    """Parsed JSON body (``default`` when empty); 400 ``Client::BadRequest`` when malformed."""
    if not request.body.strip() and default is not None:
        return default
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise bad_request("", "the body is not valid JSON: %s" % exc) from None


def _identity_urn(account) -> str:
    return "urn:v1:eu:identity:account:" + account.nichandle


class ApiApp(RoutedApp):
    """Routes of the API server; ``/admin`` goes to the admin app."""

    def __init__(self, services, admin) -> None:
        self.services = services
        self.admin = admin
        authenticator = services.authenticator
        self.secrets = SecretApi(services, self._domain)
        router = Router([
            Route("GET", "/1.0/auth/time", self.auth_time, authenticated=False),
            Route("GET", "/1.0/auth/details", self.auth_details),
            Route("GET", "/1.0/me", self.me),
            Route("POST", TOKEN_PATH, authenticator.issue_token, authenticated=False),
            Route("GET", RESOURCE, self.list_domains, iam_action=RESOURCE_GET),
            Route("GET", RESOURCE + "/{okmsId}", self.get_domain, iam_action=RESOURCE_GET),
            Route("GET", CREDENTIAL, self.list_credentials, iam_action=CREDENTIAL_GET),
            Route("POST", CREDENTIAL, self.create_credential, iam_action=CREDENTIAL_CREATE),
            Route("GET", CREDENTIAL + "/{credentialId}", self.get_credential, iam_action=CREDENTIAL_GET),
            Route("DELETE", CREDENTIAL + "/{credentialId}", self.delete_credential, iam_action=CREDENTIAL_DELETE),
            *self.secrets.routes(),
            *IamApi(services, parse_json_body).routes(),
        ])
        super().__init__(router, services.counter, services.faults)

    def error(self, status: int, message: str):
        return api_error(status, message)

    def handle(self, request) -> Answer:
        if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
            return self.admin.handle(request)
        return super().handle(request)

    def call(self, route, request) -> Answer:
        if route.authenticated:
            request.account = self.services.authenticator.authenticate(request)
            if route.iam_action is not None and not self.services.iam.caller_allows(request, self._resource_urn(request), route.iam_action):
                raise api_error(
                    403, "This account is not allowed to perform %s" % route.iam_action, "Client::Forbidden",
                    {"unauthorizedActionsByIAM": route.iam_action, "unauthorizedActionsByAuthentication": ""},
                )
        return route.handler(request)

    @staticmethod
    def _resource_urn(request) -> str:
        """The resource a route acts on: the domain of its okmsId, else the account."""
        okms_id = canonical_uuid(request.params.get("okmsId") or "")
        if okms_id:
            return "urn:v1:eu:resource:okms:" + okms_id
        return "urn:v1:eu:resource:account:" + request.account.nichandle

    # /1.0

    def auth_time(self, _request) -> Answer:
        """Server time, a bare integer."""
        return Answer(200, self.services.clock.now_seconds())

    @staticmethod
    def auth_details(request) -> Answer:
        """Who the credentials belong to."""
        account = request.account
        oauth2 = bool(request.header("Authorization"))
        identity = "urn:v1:eu:identity:credential:%s/oauth2-%s" % (account.nichandle, account.client_id) if oauth2 else _identity_urn(account)
        return Answer(200, {
            "account": account.nichandle,
            "allowedIPs": None,
            "identities": [identity],
            "method": "oauth2_client_credentials" if oauth2 else "account",
            "roles": [],
            "user": None,
        })

    @staticmethod
    def me(request) -> Answer:
        """The account (``nichandle`` is what identity URNs use)."""
        nichandle = request.account.nichandle
        return Answer(200, {
            "nichandle": nichandle,
            "email": nichandle + "@example.invalid",
            "firstname": "OKMS",
            "name": "Emulator",
            "country": "FR",
            "ovhSubsidiary": "FR",
            "state": "complete",
        })

    # /v2/okms/resource

    def _domain(self, request):
        okms_id = canonical_uuid(request.params["okmsId"])
        domain = self.services.directory.domain(okms_id) if okms_id else None
        if domain is None or domain.nichandle != request.account.nichandle:
            raise not_found("The requested object (okmsId = %s) does not exist" % request.params["okmsId"])
        return domain

    def _domain_view(self, domain, with_ca: bool) -> dict:
        services = self.services
        view = {
            "id": domain.id,
            "region": domain.region,
            "restEndpoint": services.rest_url,
            "kmipEndpoint": services.kmip_endpoint,
            "kmipRsaEndpoint": services.kmip_rsa_endpoint,
            "swaggerEndpoint": services.rest_url + "/swagger-ui",
            "kmipObjectCount": 0,
            "serviceKeyCount": 0,
            **self.secrets.counts(domain.id),
            "iam": {"id": domain.id, "urn": domain.urn, "displayName": domain.display_name, "tags": {}, "state": "OK"},
        }
        if with_ca:
            view["publicCA"] = services.public_ca_pem
            view["publicRsaCA"] = services.public_rsa_ca_pem
        return view

    def _page_request(self, request, scope: str, invalid_class: str) -> tuple:
        size = page_size(request.header(SIZE_HEADER), self.services.settings["page_size"], self.services.settings["max_page_size"])
        return start_position(self.services.cursors, scope, request.header(CURSOR_HEADER), invalid_class), size

    def list_domains(self, request) -> Answer:
        """The caller's domains, paginated."""
        scope = "resource:" + request.account.nichandle
        after, size = self._page_request(request, scope, "")
        domains = request.account.domains
        page = domains[after:after + size]
        last = after + size if after + size < len(domains) else None
        return Answer(200, [self._domain_view(domain, False) for domain in page], page_answer_headers(self.services.cursors, scope, last))

    def get_domain(self, request) -> Answer:
        """One domain; ``publicCA=true`` adds the CA PEM."""
        domain = self._domain(request)
        public_ca = (request.query_value("publicCA") or "false").lower()
        if public_ca not in ("true", "false"):
            raise bad_request("", "publicCA must be true or false")
        return Answer(200, self._domain_view(domain, public_ca == "true"))

    # /v2/okms/resource/{okmsId}/credential

    def list_credentials(self, request) -> Answer:
        """A page of the domain's credentials."""
        domain = self._domain(request)
        scope = "credential:" + domain.id
        after, size = self._page_request(request, scope, CURSOR_INVALID)
        views, last = self.services.credentials.list_page(domain.id, after, size)
        return Answer(200, views, page_answer_headers(self.services.cursors, scope, last))

    def create_credential(self, request) -> Answer:
        """Request a new credential."""
        domain = self._domain(request)
        view = self.services.credentials.create(domain.id, parse_json_body(request))
        return Answer(self.services.settings["create_status"], view)

    def _credential_id(self, request) -> str:
        credential_id = canonical_uuid(request.params["credentialId"])
        if credential_id is None:
            raise not_found("The requested object (credentialId = %s) does not exist" % request.params["credentialId"])
        return credential_id

    def get_credential(self, request) -> Answer:
        """One credential."""
        domain = self._domain(request)
        return Answer(200, self.services.credentials.get(domain.id, self._credential_id(request)))

    def delete_credential(self, request) -> Answer:
        """Revoke and delete a credential."""
        domain = self._domain(request)
        return Answer(200, self.services.credentials.delete(domain.id, self._credential_id(request)))
