# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Secret Manager of the v2 API: ``/v2/okms/resource/{okmsId}/secret...``, ``secretConfig`` and its reference.

A secret is stored as one JSON document (metadata and versions) per (domain, path); every change is one
SQLite transaction. Each behaviour and its source is listed in the README ("Secret Manager").
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from okms_emulator.clock import seconds_to_us, to_rfc3339
from okms_emulator.errors import api_error, bad_request, not_found
from okms_emulator.pagination import CURSOR_HEADER, SIZE_HEADER, page_answer_headers, page_size, start_position
from okms_emulator.routing import Answer, Route

SECRETS = "/v2/okms/resource/{okmsId}/secret"
SECRET = SECRETS + "/{path}"
VERSIONS = SECRET + "/version"
VERSION = VERSIONS + "/{version}"
SECRET_CONFIG = "/v2/okms/resource/{okmsId}/secretConfig"
REFERENCE_CONFIG = "/v2/okms/reference/secretConfig"

IAM = "okms:apiovh:"
IAM_ACTIONS = tuple(IAM + name for name in (
    "secret/get", "secret/create", "secret/edit", "secret/delete", "secret/updateMetadata",
    "secret/version/create", "secret/version/edit", "secret/version/getData",
    "secret/version/activate", "secret/version/deactivate", "secret/version/delete",
    "secretConfig/get", "secretConfig/update",
))

PATH_MAX = 255
PATH_PATTERN = re.compile(r"[a-zA-Z0-9_.:/=@-]+")
DATA_MAX = 65536
NUMBER_MAX = 24000
DURATION_PATTERN = re.compile(r"(\d+[dhms])+")
DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
CUSTOM_METADATA_MAX = 64
CUSTOM_KEY_MAX = 128
CUSTOM_PATTERN = re.compile(r"[a-zA-Z0-9_.:/=@%-]+")
CUSTOM_VALUE_MAX = 512
STATES = ("ACTIVE", "DEACTIVATED", "DELETED")
REFERENCE = {"casRequired": False, "maxVersions": 10}
# What "not set" looks like in a secret's metadata: the domain's configuration applies.
UNSET = {"casRequired": False, "maxVersions": 0, "deactivateVersionAfter": "0s"}
METADATA_FIELDS = ("casRequired", "customMetadata", "deactivateVersionAfter", "maxVersions")


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise bad_request("", "the body is not valid JSON: %s" % exc) from None
    if not isinstance(body, dict):
        raise bad_request("", "the body must be a JSON object")
    return body


def _only(body: dict, allowed: tuple) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise bad_request("", "unknown field(s) %s; known: %s" % (", ".join(unknown), ", ".join(allowed)))


def check_path(path) -> str:
    """A valid secret path: the characters and length of the reference, no leading, trailing or double slash."""
    if not isinstance(path, str) or not path:
        raise bad_request("SecretPathInvalidCharacter", "path must be a non-empty string")
    if len(path) > PATH_MAX:
        raise bad_request("SecretPathMaxExceeded", "path is %d characters long, at most %d" % (len(path), PATH_MAX))
    if not PATH_PATTERN.fullmatch(path) or path.startswith("/") or path.endswith("/") or "//" in path:
        raise bad_request("SecretPathInvalidCharacter",
                          "path must match ^[a-zA-Z0-9_.:/=@-]+$ without a leading, trailing or double '/'")
    return path


def check_data(version) -> dict:
    """The ``data`` of a ``version.Creation``: a JSON object of at most DATA_MAX bytes, no empty key."""
    if not isinstance(version, dict):
        raise bad_request("", "version must be an object with data")
    _only(version, ("data",))
    data = version.get("data")
    if not isinstance(data, dict) or any(key == "" for key in data):
        raise bad_request("SecretDataInvalidKeyValueJson", "data must be a JSON object of key/values with non-empty keys")
    size = len(json.dumps(data, separators=(",", ":")).encode("utf-8"))
    if size > DATA_MAX:
        raise bad_request("SecretDataMaxExceeded", "data is %d bytes, at most %d" % (size, DATA_MAX))
    return data


def _check_number(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("", "%s must be an integer" % name)
    label = "Secret" + name[:1].upper() + name[1:]
    if value < low:
        raise bad_request(label + "MinRequired", "%s must be at least %d" % (name, low))
    if value > NUMBER_MAX:
        raise bad_request(label + "MaxExceeded", "%s must be at most %d" % (name, NUMBER_MAX))
    return value


def _check_custom_metadata(custom) -> dict:
    if not isinstance(custom, dict):
        raise bad_request("", "customMetadata must be an object of strings")
    if len(custom) > CUSTOM_METADATA_MAX:
        raise bad_request("SecretCustomMetadataMaxExceeded", "customMetadata has %d entries, at most %d" % (len(custom), CUSTOM_METADATA_MAX))
    for key, value in custom.items():
        if not key:
            raise bad_request("SecretCustomMetadataKeyMinRequired", "customMetadata keys must not be empty")
        if len(key) > CUSTOM_KEY_MAX:
            raise bad_request("SecretCustomMetadataKeyMaxExceeded", "customMetadata key longer than %d characters" % CUSTOM_KEY_MAX)
        if not CUSTOM_PATTERN.fullmatch(key):
            raise bad_request("SecretCustomMetadataKeyInvalidCharacter", "customMetadata key %r must match %s" % (key, CUSTOM_PATTERN.pattern))
        if not isinstance(value, str) or not 1 <= len(value) <= CUSTOM_VALUE_MAX or not CUSTOM_PATTERN.fullmatch(value):
            raise bad_request("", "customMetadata values must be 1 to %d characters matching %s" % (CUSTOM_VALUE_MAX, CUSTOM_PATTERN.pattern))
    return dict(custom)


def _check_duration(value) -> str:
    if not isinstance(value, str) or not DURATION_PATTERN.fullmatch(value):
        raise bad_request("SecretDeactivateVersionAfterInvalidDuration", "deactivateVersionAfter must be a duration such as 7d, 2h30m or 0s")
    return value


def duration_seconds(value: str) -> int:
    """Seconds of a checked duration such as ``2h30m``."""
    return sum(int(number) * DURATION_UNITS[unit] for number, unit in re.findall(r"(\d+)([dhms])", value))


def check_metadata(metadata, allowed=METADATA_FIELDS) -> dict:
    """The set fields of a ``MetadataRequest`` (null fields are left out)."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise bad_request("", "metadata must be an object")
    _only(metadata, allowed)
    checks = {
        "casRequired": lambda value: value if isinstance(value, bool) else _bad_type("casRequired", "a boolean"),
        "customMetadata": _check_custom_metadata,
        "deactivateVersionAfter": _check_duration,
        "maxVersions": lambda value: _check_number(value, "maxVersions", 0),
    }
    return {name: checks[name](value) for name, value in metadata.items() if value is not None}


def _bad_type(name: str, kind: str):
    raise bad_request("", "%s must be %s" % (name, kind))


def query_number(request, name: str, low: int) -> int | None:
    """An integer query parameter (``cas``, ``version``) within low..24000, None when absent."""
    text = request.query_value(name)
    if text is None:
        return None
    if not re.fullmatch(r"-?\d+", text):
        raise bad_request("", "%s must be an integer" % name)
    return _check_number(int(text), name, low)


def query_bool(request, name: str) -> bool:
    """A boolean query parameter, false when absent."""
    text = (request.query_value(name) or "false").lower()
    if text not in ("true", "false"):
        raise bad_request("", "%s must be true or false" % name)
    return text == "true"


class SecretApi:  # pylint: disable=too-many-public-methods
    """Handlers of the secret routes; ``domain_of(request)`` resolves the caller's domain or answers 404."""

    def __init__(self, services, domain_of) -> None:
        self.services = services
        self.store = services.store
        self.domain_of = domain_of

    def routes(self) -> list:
        """The routes, with the IAM action each requires."""
        return [
            Route("GET", REFERENCE_CONFIG, self.reference_config),
            Route("GET", SECRET_CONFIG, self.get_config, iam_action=IAM + "secretConfig/get"),
            Route("PUT", SECRET_CONFIG, self.put_config, iam_action=IAM + "secretConfig/update"),
            Route("GET", SECRETS, self.list_secrets, iam_action=IAM + "secret/get"),
            Route("POST", SECRETS, self.create_secret, iam_action=IAM + "secret/create"),
            Route("GET", SECRET, self.get_secret, iam_action=IAM + "secret/get"),
            Route("PUT", SECRET, self.update_secret, iam_action=IAM + "secret/edit"),
            Route("DELETE", SECRET, self.delete_secret, iam_action=IAM + "secret/delete"),
            Route("GET", VERSIONS, self.list_versions, iam_action=IAM + "secret/get"),
            Route("POST", VERSIONS, self.create_version, iam_action=IAM + "secret/version/create"),
            Route("GET", VERSION, self.get_version, iam_action=IAM + "secret/get"),
            Route("PUT", VERSION, self.update_version, iam_action=IAM + "secret/version/edit"),
        ]

    # helpers

    @staticmethod
    def _require(request, action: str) -> None:
        """403 as the IAM gateway answers when an optional action of the route is denied."""
        if IAM + action in request.account.denied_actions:
            raise api_error(403, "This account is not allowed to perform %s%s" % (IAM, action), "Client::Forbidden",
                            {"unauthorizedActionsByIAM": IAM + action, "unauthorizedActionsByAuthentication": ""})

    def _data_allowed(self, request) -> bool:
        """Whether ``includeData=true`` returns data: an account without ``secret/version/getData`` gets a 403, or, with
        ``secret_data_denied: omitted``, the answer without data (OVH's behaviour is unknown)."""
        if IAM + "secret/version/getData" in request.account.denied_actions and self.services.settings["secret_data_denied"] == "omitted":
            return False
        self._require(request, "secret/version/getData")
        return True

    def domain_config(self, okms_id: str) -> dict:
        """The domain's secretConfig: what it set, else the reference defaults."""
        stored = self.store.get_meta("secret_config:" + okms_id) or {}
        return {"casRequired": stored.get("casRequired", REFERENCE["casRequired"]),
                "deactivateVersionAfter": stored.get("deactivateVersionAfter", "0s"),
                "maxVersions": stored.get("maxVersions", REFERENCE["maxVersions"])}

    def _effective(self, okms_id: str, metadata: dict, name: str):
        value = metadata.get(name, UNSET[name])
        if value in (UNSET[name], None) or (name == "deactivateVersionAfter" and duration_seconds(value) == 0):
            value = self.domain_config(okms_id)[name]
        if name == "maxVersions" and value == 0:
            value = REFERENCE["maxVersions"]
        return value

    def _load(self, domain, request) -> tuple:
        path = check_path(unquote(request.params["path"]))
        secret = self.store.get_secret(domain.id, path)
        if secret is None:
            raise not_found("The requested object (path = %s) does not exist" % path)
        return path, secret

    def _state(self, domain, secret: dict, version: dict) -> tuple:
        """(state, deactivatedAt µs) of a version now: an ACTIVE one older than deactivateVersionAfter reads DEACTIVATED."""
        if version["state"] != "ACTIVE" or version.get("pinned"):
            return version["state"], version.get("deactivated_us")
        seconds = duration_seconds(self._effective(domain.id, secret["metadata"], "deactivateVersionAfter"))
        expiry = version["created_us"] + seconds_to_us(seconds)
        if seconds and self.services.clock.now_us() >= expiry:
            return "DEACTIVATED", expiry
        return "ACTIVE", None

    def _version_view(self, domain, secret: dict, version: dict, include_data: bool = False, with_data: bool = True) -> dict:
        state, deactivated_us = self._state(domain, secret, version)
        view = {"id": version["id"], "state": state, "createdAt": to_rfc3339(version["created_us"]),
                "deactivatedAt": to_rfc3339(deactivated_us) if deactivated_us else None}
        if with_data:
            view["data"] = version["data"] if include_data and state == "ACTIVE" else None
        return view

    @staticmethod
    def _metadata_view(secret: dict) -> dict:
        metadata = secret["metadata"]
        return {
            "casRequired": metadata.get("casRequired", False),
            "createdAt": to_rfc3339(secret["created_us"]),
            "currentVersion": secret["versions"][-1]["id"] if secret["versions"] else 0,
            "customMetadata": metadata.get("customMetadata", {}),
            "deactivateVersionAfter": metadata.get("deactivateVersionAfter", "0s"),
            "maxVersions": metadata.get("maxVersions", 0),
            "oldestVersion": secret.get("pruned_up_to", 0) and secret["versions"][0]["id"],
            "updatedAt": to_rfc3339(secret["updated_us"]),
        }

    def _secret_view(self, domain, path: str, secret: dict, version: dict | None, include_data: bool) -> dict:
        return {
            "path": path,
            "metadata": self._metadata_view(secret),
            "version": self._version_view(domain, secret, version, include_data) if version else None,
            "iam": {"id": secret["id"], "urn": "urn:v1:eu:resource:okms:%s/secret/%s" % (domain.id, path),
                    "displayName": path, "tags": {}, "state": "OK"},
        }

    def _check_cas(self, domain, request, secret: dict) -> None:
        """A supplied ``cas`` must be the current version; an effective casRequired needs one."""
        cas = query_number(request, "cas", 0)
        current = secret["versions"][-1]["id"] if secret["versions"] else 0
        if cas is None:
            if self._effective(domain.id, secret["metadata"], "casRequired"):
                raise bad_request("", "cas is required for this secret (casRequired): send cas=<current version>")
            return
        if cas != current:
            raise bad_request("", "cas mismatch: cas=%d but the current version is %d" % (cas, current))

    def _add_version(self, domain, secret: dict, data: dict) -> dict:
        now_us = self.services.clock.now_us()
        version = {"id": secret["next_version"], "state": "ACTIVE", "created_us": now_us, "data": data}
        secret["next_version"] += 1
        secret["versions"].append(version)
        limit = self._effective(domain.id, secret["metadata"], "maxVersions")
        if len(secret["versions"]) > limit:
            secret["versions"] = secret["versions"][-limit:]
            secret["pruned_up_to"] = secret["versions"][0]["id"] - 1
        secret["updated_us"] = now_us
        return version

    def _page(self, request, scope: str, items: list) -> tuple:
        size = page_size(request.header(SIZE_HEADER), self.services.settings["page_size"], self.services.settings["max_page_size"])
        after = start_position(self.services.cursors, scope, request.header(CURSOR_HEADER), "")
        last = after + size if after + size < len(items) else None
        return items[after:after + size], page_answer_headers(self.services.cursors, scope, last)

    def counts(self, okms_id: str) -> dict:
        """The domain's ``secretCount`` and ``secretVersionCount``."""
        secrets_ = [secret for _path, secret in self.store.list_secrets(okms_id)]
        return {"secretCount": len(secrets_), "secretVersionCount": sum(len(secret["versions"]) for secret in secrets_)}

    # secretConfig

    def reference_config(self, request) -> Answer:
        """Reference defaults of a region (``region`` required)."""
        if not request.query_value("region"):
            raise bad_request("", "region is required")
        return Answer(200, dict(REFERENCE))

    def get_config(self, request) -> Answer:
        """The domain's secretConfig."""
        return Answer(200, self.domain_config(self.domain_of(request).id))

    def put_config(self, request) -> Answer:
        """Change the domain's secretConfig (null fields keep their value; at least one field)."""
        domain = self.domain_of(request)
        changes = check_metadata(_json_body(request), ("casRequired", "deactivateVersionAfter", "maxVersions"))
        if not changes:
            raise bad_request("SecretFieldRequired", "send at least one of casRequired, deactivateVersionAfter, maxVersions")
        with self.store.transaction():
            stored = self.store.get_meta("secret_config:" + domain.id) or {}
            self.store.set_meta("secret_config:" + domain.id, {**stored, **changes})
        return Answer(200, self.domain_config(domain.id))

    # secrets

    def list_secrets(self, request) -> Answer:
        """A page of the domain's secrets with their metadata and current version (no data)."""
        domain = self.domain_of(request)
        items = self.store.list_secrets(domain.id)
        page, headers = self._page(request, "secret:" + domain.id, items)
        views = [self._secret_view(domain, path, secret, secret["versions"][-1] if secret["versions"] else None, False)
                 for path, secret in page]
        return Answer(200, views, headers)

    def create_secret(self, request) -> Answer:
        """Create a secret with its first version."""
        domain = self.domain_of(request)
        body = _json_body(request)
        _only(body, ("path", "version", "metadata"))
        path = check_path(body.get("path"))
        metadata = check_metadata(body.get("metadata"))
        data = check_data(body.get("version"))
        if body.get("metadata") and body["metadata"] != {}:
            self._require(request, "secret/updateMetadata")
        now_us = self.services.clock.now_us()
        with self.store.transaction():
            if self.store.get_secret(domain.id, path) is not None:
                raise api_error(409, "a secret already exists at path %s" % path, "Client::Conflict")
            secret = {"id": self.store.new_id(), "metadata": metadata, "versions": [], "next_version": 1, "created_us": now_us,
                      "updated_us": now_us}
            self._add_version(domain, secret, data)
            self.store.save_secret(domain.id, path, secret)
        return Answer(200, {"path": path, "metadata": self._metadata_view(secret)})

    def get_secret(self, request) -> Answer:
        """A secret with its current version (or ``version``); ``includeData=true`` adds the data of an ACTIVE one."""
        domain = self.domain_of(request)
        include_data = query_bool(request, "includeData")
        wanted = query_number(request, "version", 1)
        if include_data:
            include_data = self._data_allowed(request)
        path, secret = self._load(domain, request)
        version = self._find_version(secret, wanted) if wanted else (secret["versions"][-1] if secret["versions"] else None)
        return Answer(200, self._secret_view(domain, path, secret, version, include_data))

    def update_secret(self, request) -> Answer:
        """Change the metadata and/or add a version; the metadata of the request applies before the cas check."""
        domain = self.domain_of(request)
        body = _json_body(request)
        _only(body, ("metadata", "version"))
        metadata = check_metadata(body.get("metadata"))
        data = check_data(body["version"]) if body.get("version") is not None else None
        if not metadata and data is None:
            raise bad_request("SecretFieldRequired", "send metadata, version, or both")
        if metadata:
            self._require(request, "secret/updateMetadata")
        if data is not None:
            self._require(request, "secret/version/create")
        with self.store.transaction():
            path, secret = self._load(domain, request)
            secret["metadata"] = {**secret["metadata"], **metadata}
            secret["updated_us"] = self.services.clock.now_us()
            self._check_cas(domain, request, secret)
            if data is not None:
                self._add_version(domain, secret, data)
            self.store.save_secret(domain.id, path, secret)
        return Answer(200, {"path": path, "metadata": self._metadata_view(secret)})

    def delete_secret(self, request) -> Answer:
        """Delete a secret and all its versions."""
        domain = self.domain_of(request)
        with self.store.transaction():
            path, _secret = self._load(domain, request)
            self.store.delete_secret(domain.id, path)
        return Answer(200, None)

    # versions

    @staticmethod
    def _find_version(secret: dict, wanted: int) -> dict:
        for version in secret["versions"]:
            if version["id"] == wanted:
                return version
        raise not_found("The requested object (version = %d) does not exist" % wanted)

    def list_versions(self, request) -> Answer:
        """A page of a secret's versions, oldest first, without data."""
        domain = self.domain_of(request)
        path, secret = self._load(domain, request)
        page, headers = self._page(request, "version:%s:%s" % (domain.id, path), secret["versions"])
        return Answer(200, [self._version_view(domain, secret, version) for version in page], headers)

    def create_version(self, request) -> Answer:
        """Add a version (``cas`` checked as on PUT)."""
        domain = self.domain_of(request)
        data = check_data(_json_body(request))
        with self.store.transaction():
            path, secret = self._load(domain, request)
            self._check_cas(domain, request, secret)
            version = self._add_version(domain, secret, data)
            self.store.save_secret(domain.id, path, secret)
        return Answer(200, self._version_view(domain, secret, version))

    def get_version(self, request) -> Answer:
        """One version; ``includeData=true`` adds the data of an ACTIVE one."""
        domain = self.domain_of(request)
        include_data = query_bool(request, "includeData")
        if include_data:
            include_data = self._data_allowed(request)
        _path, secret = self._load(domain, request)
        wanted = request.params["version"]
        if not wanted.isdigit():
            raise bad_request("", "version must be an integer")
        version = self._find_version(secret, _check_number(int(wanted), "version", 1))
        return Answer(200, self._version_view(domain, secret, version, include_data))

    def update_version(self, request) -> Answer:
        """Change a version's state: ACTIVE <-> DEACTIVATED, anything -> DELETED (data purged, terminal)."""
        domain = self.domain_of(request)
        body = _json_body(request)
        _only(body, ("state",))
        state = body.get("state")
        if state not in STATES:
            raise bad_request("", "state must be one of %s" % ", ".join(STATES))
        self._require(request, "secret/version/" + {"ACTIVE": "activate", "DEACTIVATED": "deactivate", "DELETED": "delete"}[state])
        wanted = request.params["version"]
        if not wanted.isdigit():
            raise bad_request("", "version must be an integer")
        with self.store.transaction():
            path, secret = self._load(domain, request)
            version = self._find_version(secret, _check_number(int(wanted), "version", 1))
            current, _deactivated = self._state(domain, secret, version)
            if current == "DELETED" and state != "DELETED":
                raise bad_request("", "version %d is DELETED; a deleted version cannot change state" % version["id"])
            if state != current:
                now_us = self.services.clock.now_us()
                version.update(state=state, pinned=state == "ACTIVE", deactivated_us=now_us if state != "ACTIVE" else None)
                if state == "DELETED":
                    version["data"] = None
                secret["updated_us"] = now_us
                self.store.save_secret(domain.id, path, secret)
        return Answer(200, self._version_view(domain, secret, version, with_data=False))
