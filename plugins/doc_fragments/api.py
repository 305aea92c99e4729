# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every okms.access module (the okms.access.api fragment).
    DOCUMENTATION = r"""
options:
  endpoint:
    description:
      - The OVH API to talk to.
      - An OVH endpoint name, V(ovh-eu), V(ovh-ca) or V(ovh-us) (the Kimsufi and So you Start endpoints serve no KMS and are
        refused), or the full URL of an API base such as V(https://127.0.0.1:8443/1.0) (an emulator or a proxy).
        Paths of the v2 API are sent to that base without its trailing C(/1.0), as OVH's SDKs do.
      - A URL must be C(https://); a plain C(http://) URL is refused, since every request carries credentials and a
        new credential's private key comes back in the answer. Use O(ca_path) for a server whose certificate is
        signed by a private CA.
      - If not set, the E(OVH_ENDPOINT) environment variable is used, then C(endpoint) in the C([default]) section of the
        C(ovh.conf) files (see the notes).
      - The credentials are then looked up in the C(ovh.conf) section named after this value, for example C([ovh-eu]).
    type: str
  application_key:
    description:
      - Application key, for authentication with an application key, its secret and a consumer key.
      - Used together with O(application_secret) and O(consumer_key); do not combine with O(client_id) and O(client_secret).
      - If not set, the E(OVH_APPLICATION_KEY) environment variable is used, then C(application_key) in the endpoint's section
        of the C(ovh.conf) files.
    type: str
  application_secret:
    description:
      - Application secret that goes with O(application_key). It signs every request and is never sent.
      - If not set, the E(OVH_APPLICATION_SECRET) environment variable is used, then C(application_secret) in the endpoint's
        section of the C(ovh.conf) files.
      - This is a secret; it never appears in output or error messages.
    type: str
  consumer_key:
    description:
      - Consumer key that goes with O(application_key); its access rules and the IAM policies decide which calls are allowed.
      - If not set, the E(OVH_CONSUMER_KEY) environment variable is used, then C(consumer_key) in the endpoint's section of
        the C(ovh.conf) files.
      - This is a secret; it never appears in output or error messages.
    type: str
  client_id:
    description:
      - Client ID of an OVHcloud service account, for OAuth2 authentication (client credentials flow) together with
        O(client_secret); do not combine with O(application_key), O(application_secret) and O(consumer_key).
      - If not set, the E(OVH_CLIENT_ID) environment variable is used, then C(client_id) in the endpoint's section of the
        C(ovh.conf) files.
      - OAuth2 is available on the V(ovh-eu), V(ovh-ca) and V(ovh-us) endpoints, and on endpoint URLs together with
        O(oauth2_token_url).
    type: str
  client_secret:
    description:
      - Client secret of the service account named by O(client_id).
      - If not set, the E(OVH_CLIENT_SECRET) environment variable is used, then C(client_secret) in the endpoint's section of
        the C(ovh.conf) files.
      - This is a secret; it never appears in output or error messages.
    type: str
  oauth2_token_url:
    description:
      - URL where OAuth2 access tokens are requested with O(client_id) and O(client_secret).
      - Defaults to OVH's token URL for V(ovh-eu), V(ovh-ca) and V(ovh-us); required for OAuth2 when O(endpoint) is a URL.
      - It must be an C(https://) URL; a plain C(http://) URL is refused, since the client secret is sent to it.
      - If not set, the E(OVH_OAUTH2_TOKEN_URL) environment variable is used, then C(oauth2_token_url) in the endpoint's
        section of the C(ovh.conf) files.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API and of the OAuth2 token URL.
      - V(false) gives a warning on every run, since anyone on the network path could then read the credentials and
        private keys exchanged; only use it against a test server you trust, and prefer O(ca_path).
      - V(false) together with O(ca_path) is refused as contradictory.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file (or a directory prepared with C(c_rehash)) of the CA certificates that verify the API's certificate,
        for example the CA of an emulator or of a TLS-inspecting proxy.
      - If not set, the CA bundle of the Python C(requests) library is used, or the one named by the E(REQUESTS_CA_BUNDLE)
        environment variable.
      - Cannot be combined with O(validate_certs=false).
    type: path
  request_timeout:
    description:
      - Seconds to wait for the connection and for each answer of one HTTP request, a finite number greater than 0.
    type: float
    default: 30
  retry_timeout:
    description:
      - Seconds after the first attempt of an API call during which a failed attempt may still be retried.
      - GET and DELETE calls are retried after HTTP 429, 502, 503 and 504, connection errors and timeouts, with
        exponential backoff and jitter; an HTTP 429 C(Retry-After) is honoured. A POST is retried only after HTTP 429;
        when its outcome is unknown (connection lost, timeout, HTTP 5xx) the module looks for the result instead of
        sending it again.
      - V(0) disables retries. A negative or non-finite value (V(nan), V(inf)) is refused.
    type: float
    default: 60
notes:
  - Each connection value is taken from the first place that sets it, value by value - the module option, then the
    C(OVH_*) environment variable, then the C(ovh.conf) files C(/etc/ovh.conf), C(~/.ovh.conf) and C(./ovh.conf),
    where a later file wins. These are the variables and files that OVH's own SDKs read. An empty value counts as unset.
  - The C(ovh.conf) layout is a C([default]) section with C(endpoint), then a section named after the endpoint with
    C(application_key), C(application_secret), C(consumer_key), C(client_id), C(client_secret) and C(oauth2_token_url).
  - Exactly one authentication method may be configured across all these places, either O(application_key) +
    O(application_secret) + O(consumer_key), or O(client_id) + O(client_secret). Otherwise the module fails and says
    which values it found where, without showing secret values.
  - Modules - use C(module_defaults) with the action group C(group/okms.access.okms) to set these options once for every
    module of the collection. The lookup C(okms.access.okms_secret) is not a module and does not read C(module_defaults) -
    pass it the options, or use the C(OVH_*) variables or C(ovh.conf).
requirements:
  - requests
"""
