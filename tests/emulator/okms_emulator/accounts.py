# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Accounts and KMS domains: read from ``--config``, completed with identities generated once and kept.

Accounts and their domains are matched with the stored ones by position: the second account of the
file is the second stored account. A value written in the file wins; a value left out keeps what was
generated on the first start.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import string
import uuid

from okms_emulator.kms_iam import check_kms_actions
from okms_emulator.routing import canonical_uuid
from okms_emulator.secrets import IAM_ACTIONS as SECRET_IAM_ACTIONS
from okms_emulator.settings import check_settings

REGIONS = (
    "ap-south-mum", "ap-southeast-sgp", "ap-southeast-syd", "ca-east-bhs", "ca-east-tor", "eu-central-waw",
    "eu-south-mil", "eu-west-eri", "eu-west-gra", "eu-west-lim", "eu-west-par", "eu-west-rbx", "eu-west-sbg",
)
DEFAULT_REGION = "eu-west-rbx"
IAM_ACTIONS = (
    "okms:apiovh:resource/get",
    "okms:apiovh:credential/get",
    "okms:apiovh:credential/create",
    "okms:apiovh:credential/delete",
) + SECRET_IAM_ACTIONS
_ALNUM = string.ascii_letters + string.digits
_NICHANDLE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_SECRET = re.compile(r"[!-~]{1,128}")


class ConfigError(ValueError):
    """The ``--config`` file is unreadable or invalid."""


def _random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _index in range(length))


# identity fields of an account, each generated on first start when the file does not give it
GENERATORS = {
    "nichandle": lambda: _random_text(string.ascii_lowercase, 2) + _random_text(string.digits, 4) + "-ovh",
    "application_key": lambda: _random_text(_ALNUM, 16),
    "application_secret": lambda: _random_text(_ALNUM, 32),
    "consumer_key": lambda: _random_text(_ALNUM, 32),
    "client_id": lambda: secrets.token_hex(8),
    "client_secret": lambda: _random_text(_ALNUM, 32),
}
ACCOUNT_OPTIONS = frozenset(GENERATORS) | {"iam_denied_actions", "kms_denied_actions", "domains"}
DOMAIN_OPTIONS = frozenset({"id", "region", "display_name"})


@dataclasses.dataclass(frozen=True)
class Domain:
    """One KMS domain (an ``okmsId``)."""

    id: str
    nichandle: str
    region: str
    display_name: str

    @property
    def urn(self) -> str:
        """IAM URN of the domain."""
        return "urn:v1:eu:resource:okms:" + self.id


@dataclasses.dataclass(frozen=True)
class Account:  # pylint: disable=too-many-instance-attributes
    """One OVH account: its API keys, its OAuth2 service account and its domains."""

    nichandle: str
    application_key: str
    application_secret: str
    consumer_key: str
    client_id: str
    client_secret: str
    denied_actions: frozenset
    domains: tuple
    kms_denied_actions: frozenset = frozenset()

    def summary(self) -> dict:
        """The account as emulator.json lists it."""
        fields = {name: getattr(self, name) for name in GENERATORS}
        return {**fields, "okms_ids": [domain.id for domain in self.domains]}


def _fail(where: str, problem: str):
    raise ConfigError("%s: %s" % (where, problem))


def _check_keys(where: str, value, allowed: frozenset) -> dict:
    if not isinstance(value, dict):
        _fail(where, "must be a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        _fail(where, "unknown key(s) %s (allowed: %s)" % (", ".join(unknown), ", ".join(sorted(allowed))))
    return value


def _check_domain(where: str, spec) -> None:
    _check_keys(where, spec, DOMAIN_OPTIONS)
    if "id" in spec and (not isinstance(spec["id"], str) or canonical_uuid(spec["id"]) is None):
        _fail(where + ".id", "must be a UUID")
    if spec.get("region", DEFAULT_REGION) not in REGIONS:
        _fail(where + ".region", "must be one of " + ", ".join(REGIONS))
    if not isinstance(spec.get("display_name", ""), str):
        _fail(where + ".display_name", "must be a string")


def _check_kms_denied(where: str, denied) -> None:
    if not isinstance(denied, list):
        _fail(where, "must be a list of okms:apikms: actions")
    try:
        check_kms_actions(denied)
    except ValueError as exc:
        _fail(where, str(exc))


def _check_account(where: str, spec) -> None:
    _check_keys(where, spec, ACCOUNT_OPTIONS)
    for name in GENERATORS:
        pattern = _NICHANDLE if name == "nichandle" else _SECRET
        if name in spec and (not isinstance(spec[name], str) or not pattern.fullmatch(spec[name])):
            _fail("%s.%s" % (where, name), "must match %s" % pattern.pattern)
    denied = spec.get("iam_denied_actions", [])
    if not isinstance(denied, list) or any(action not in IAM_ACTIONS for action in denied):
        _fail(where + ".iam_denied_actions", "must be a list of: " + ", ".join(IAM_ACTIONS))
    _check_kms_denied(where + ".kms_denied_actions", spec.get("kms_denied_actions", []))
    domains = spec.get("domains", [{}])
    if not isinstance(domains, list):
        _fail(where + ".domains", "must be a list")
    for index, domain in enumerate(domains):
        _check_domain("%s.domains[%d]" % (where, index), domain)


def check_config(config) -> dict:
    """Validated configuration: ``{"settings": {...}, "accounts": [...]}`` with defaults filled in."""
    _check_keys("config", config, frozenset({"settings", "accounts"}))
    try:
        settings = check_settings(config.get("settings", {}))
    except ValueError as exc:
        raise ConfigError("config.settings: %s" % exc) from None
    accounts = config.get("accounts", [{}])
    if not isinstance(accounts, list) or not accounts:
        _fail("config.accounts", "must be a non-empty list")
    for index, account in enumerate(accounts):
        _check_account("config.accounts[%d]" % index, account)
    if not accounts[0].get("domains", [{}]):
        _fail("config.accounts[0].domains", "the first account needs a domain (it is emulator.json's okms_id)")
    return {"settings": settings, "accounts": accounts}


def load_config_file(path: str | None) -> dict:
    """Read and check a ``--config`` file; None gives the default (one account, one domain)."""
    if path is None:
        return check_config({})
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ConfigError("cannot read %s: %s" % (path, exc)) from None
    return check_config(config)


def _resolve_domains(specs: list, stored: list) -> list:
    records = []
    for index, spec in enumerate(specs):
        previous = stored[index] if index < len(stored) else {}
        domain_id = canonical_uuid(spec["id"]) if "id" in spec else previous.get("id") or str(uuid.uuid4())
        records.append({"id": domain_id})
    return records


def resolve_records(specs: list, stored: list) -> list:
    """Stored identity records completed by the configured accounts (extra stored accounts are kept)."""
    records = []
    for index, spec in enumerate(specs):
        previous = stored[index] if index < len(stored) else {}
        record = {name: spec.get(name) or previous.get(name) or generate() for name, generate in GENERATORS.items()}
        record["domains"] = _resolve_domains(spec.get("domains", [{}]), previous.get("domains", []))
        records.append(record)
    return records + stored[len(records):]


def build_accounts(specs: list, records: list) -> list:
    """Account objects of the configured accounts; ConfigError when two share a key or a domain."""
    accounts = []
    for spec, record in zip(specs, records):
        domains = tuple(
            Domain(
                id=domain_record["id"],
                nichandle=record["nichandle"],
                region=domain_spec.get("region", DEFAULT_REGION),
                display_name=domain_spec.get("display_name") or "okms-" + domain_record["id"][:8],
            )
            for domain_spec, domain_record in zip(spec.get("domains", [{}]), record["domains"])
        )
        fields = {name: record[name] for name in GENERATORS}
        accounts.append(Account(
            denied_actions=frozenset(spec.get("iam_denied_actions", [])), domains=domains,
            kms_denied_actions=frozenset(spec.get("kms_denied_actions", [])), **fields,
        ))
    for name in ("nichandle", "application_key", "client_id"):
        values = [getattr(account, name) for account in accounts]
        if len(set(values)) != len(values):
            _fail("config.accounts", "two accounts share the same %s" % name)
    domain_ids = [domain.id for account in accounts for domain in account.domains]
    if len(set(domain_ids)) != len(domain_ids):
        _fail("config.accounts", "two domains share the same id")
    return accounts


class Directory:
    """Lookups of accounts by key and of domains by id."""

    def __init__(self, accounts: list) -> None:
        self.accounts = tuple(accounts)
        self._by_application_key = {account.application_key: account for account in accounts}
        self._by_client_id = {account.client_id: account for account in accounts}
        self._domains = {domain.id: domain for account in accounts for domain in account.domains}
        self._by_nichandle = {account.nichandle: account for account in accounts}

    def by_application_key(self, key: str) -> Account | None:
        """Account owning an application key."""
        return self._by_application_key.get(key)

    def by_client_id(self, client_id: str) -> Account | None:
        """Account owning an OAuth2 client id."""
        return self._by_client_id.get(client_id)

    def domain(self, okms_id: str) -> Domain | None:
        """Domain of a canonical okmsId."""
        return self._domains.get(okms_id)

    def account_of_domain(self, okms_id: str) -> Account | None:
        """Account owning the domain of a canonical okmsId."""
        domain = self._domains.get(okms_id)
        return self._by_nichandle[domain.nichandle] if domain else None
