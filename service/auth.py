"""Who is asking: identities from the intranet's identity provider (``RAGQA_AUTH``).

* ``jwt``: an ``Authorization: Bearer`` JSON Web Token, verified against the provider's keys
  (``RAGQA_JWT_JWKS``: a JWKS file, or an https URL fetched and cached, fetched again when a
  token names a key id not seen yet and in the background after ten minutes), its issuer and audience, ``exp``/``nbf`` with a small
  leeway. Asymmetric algorithms only, and only the one the key itself is for: never
  ``none``, never an HMAC keyed with a public key. Groups come from the claim
  ``RAGQA_JWT_GROUPS_CLAIM`` (a list of strings, or one string of space- or comma-separated
  names).
* ``header``: a trusted reverse proxy (addresses in ``RAGQA_TRUSTED_PROXIES``) that has
  authenticated the user says who it is in two headers; from any other address they are
  ignored.

Every failure is an :class:`AuthError` whose message says what was wrong with the token, never
which key or secret was tried; the HTTP edge answers 401.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from starlette.requests import Request

from ragqa.index.errors import RagqaError

logger = logging.getLogger(__name__)

# What a provider signs with. HMAC (HS*) is left out on purpose: with a public key as its
# secret, anyone could sign (the "algorithm confusion" attack).
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                        "ES256", "ES384", "ES512", "EdDSA"})
MAX_TOKEN_CHARS = 16_384  # a real ID/access token is a few KB; larger ones are not parsed
# An unknown key id fetches the JWKS again at most this often (a rotated key is accepted
# within seconds; tokens with made-up key ids cannot make the server hammer the provider).
REFETCH_AFTER_S = 10.0
JWKS_TIMEOUT_S = 10.0
# Keys older than this are fetched again in the background (the current ones serve
# meanwhile): a key the provider withdrew stops being accepted within about this long.
MAX_AGE_S = 600.0
# After a failed fetch, none is tried again for this long: while the provider is down,
# requests are answered at once (with the keys held, or 401 without any), not each one
# waiting JWKS_TIMEOUT_S under the lock.
RETRY_FAILED_AFTER_S = 5.0


class AuthError(RagqaError):
    """No valid identity: a missing, malformed, expired or wrongly signed token."""


@dataclass(frozen=True)
class Identity:
    """A reader: who (``user``, for the audit log) and the groups that decide what they read."""

    user: str
    groups: frozenset[str]


def parse_groups(value: object) -> frozenset[str]:
    """Groups from a claim or a header: a list of strings, or a string of names separated by
    commas (as proxies join them); :class:`AuthError` for anything else. Spaces do not
    separate: a provider's group "editeurs externes" is one name, which no document's groups
    can hold (their names have no spaces), not membership of "editeurs" and "externes"."""
    if isinstance(value, str):
        names = [v.strip() for v in value.split(",")]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = [v.strip() for v in value]
    else:
        raise AuthError("the token's groups claim must be a list of strings or a string")
    return frozenset(n for n in names if n)


class JwksKeys:
    """The provider's public keys by key id, from a file or an https URL (cached for
    :data:`MAX_AGE_S`, then refreshed in the background; a failed fetch is not tried again
    for :data:`RETRY_FAILED_AFTER_S`)."""

    def __init__(self, source: str, timeout: float = JWKS_TIMEOUT_S) -> None:
        self._source = source
        self._timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._refreshing = False
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK:
        now = time.monotonic()
        with self._lock:
            retry = now - self._failed_at > RETRY_FAILED_AFTER_S
            if not self._keys or (kid not in self._keys
                                  and now - self._fetched_at > REFETCH_AFTER_S):
                if retry:
                    self._fetch(now)
                elif not self._keys:
                    raise AuthError("the identity provider's keys cannot be read right now")
            elif now - self._fetched_at > MAX_AGE_S and retry and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="ragqa-jwks", daemon=True).start()
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            if kid not in self._keys:
                raise AuthError("the token is signed with a key the identity provider does "
                                "not publish")
            return self._keys[kid]

    def _fetch(self, now: float) -> None:
        """Fetch the keys, the lock held; a failure keeps the keys held (AuthError when
        there are none)."""
        try:
            self._keys = self._load()
            self._fetched_at = now
        except AuthError:
            self._failed_at = now
            if not self._keys:
                raise

    def _refresh(self) -> None:
        """The background refresh of keys past :data:`MAX_AGE_S`."""
        try:
            keys = self._load()
            with self._lock:
                self._keys, self._fetched_at = keys, time.monotonic()
        except AuthError:
            with self._lock:
                self._failed_at = time.monotonic()
        finally:
            self._refreshing = False

    def _load(self) -> dict[str, jwt.PyJWK]:
        try:
            if self._source.startswith("https://"):
                import httpx

                text = httpx.get(self._source, timeout=self._timeout).raise_for_status().text
            else:
                text = Path(self._source).read_text(encoding="utf-8")
            found = jwt.PyJWKSet.from_dict(json.loads(text))
        except Exception as exc:  # noqa: BLE001 - any failure: no key, said once in the log
            logger.warning("cannot read the JWKS at %s: %s", self._source, exc)
            raise AuthError("the identity provider's keys cannot be read right now") from None
        return {k.key_id or "": k for k in found.keys}


class JwtVerifier:
    """Verifies bearer tokens (see the module docstring)."""

    def __init__(self, keys: JwksKeys, *, issuer: str, audience: str, groups_claim: str,
                 leeway: float = 30.0) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._groups_claim = groups_claim
        self._leeway = leeway

    def verify(self, token: str) -> Identity:
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError(f"the token is longer than {MAX_TOKEN_CHARS} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a JSON Web Token") from None
        algorithm = header.get("alg")
        if algorithm not in ASYMMETRIC:
            raise AuthError(f"tokens signed with {algorithm!r} are not accepted "
                            "(an asymmetric algorithm such as RS256 or ES256 is)")
        kid = header.get("kid")
        key = self._keys.key(kid if isinstance(kid, str) else None)
        if key.algorithm_name != algorithm and not (
                key.key_type == "RSA" and algorithm.startswith(("RS", "PS"))):
            raise AuthError("the token's algorithm does not match its key")
        try:
            claims = jwt.decode(token, key.key, algorithms=[algorithm], audience=self._audience,
                                issuer=self._issuer, leeway=self._leeway,
                                options={"require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the token was issued by another issuer") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token is for another audience") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token is not valid: {type(exc).__name__}") from None
        if self._groups_claim not in claims:
            raise AuthError(f"the token has no {self._groups_claim!r} claim")
        user = claims.get("preferred_username") or claims.get("sub") or ""
        return Identity(str(user), parse_groups(claims[self._groups_claim]))


@dataclass(frozen=True)
class ProxyHeaders:
    """``RAGQA_AUTH=header``: the user and groups a trusted reverse proxy sends."""

    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    user_header: str
    groups_header: str

    @classmethod
    def parse(cls, trusted: str, user_header: str, groups_header: str) -> ProxyHeaders:
        networks = tuple(ipaddress.ip_network(t.strip(), strict=False)
                         for t in trusted.split(",") if t.strip())
        return cls(networks, user_header, groups_header)

    def identity(self, client: str | None, headers) -> Identity:
        try:
            address = ipaddress.ip_address(client or "")
        except ValueError:
            address = None
        if address is None or not any(address in n for n in self.trusted):
            raise AuthError("this server takes identities from its trusted proxy only")
        users, groups = headers.getlist(self.user_header), headers.getlist(self.groups_header)
        if len(users) > 1 or len(groups) > 1:
            # the proxy added its header beside one the client sent: which is whose is
            # unknowable, so neither is believed (the proxy must overwrite them)
            raise AuthError(f"more than one {self.user_header} or {self.groups_header} "
                            "header: the proxy must replace the client's, not add its own")
        user = users[0].strip() if users else ""
        if not user:
            raise AuthError(f"the proxy sent no {self.user_header} header")
        return Identity(user, parse_groups(groups[0] if groups else ""))


# Request -> its identity, or AuthError (what the app keeps in ``app.state.auth``).
Authenticator = Callable[[Request], Identity]


def authenticator(mode: str, *, jwks: str | None = None, issuer: str | None = None,
                  audience: str | None = None, groups_claim: str = "groups",
                  leeway: float = 30.0, trusted_proxies: str = "",
                  user_header: str = "X-Forwarded-User",
                  groups_header: str = "X-Forwarded-Groups") -> Authenticator | None:
    """How requests are identified in ``mode`` (``none``: not at all, None)."""
    if mode == "jwt":
        assert jwks and issuer and audience  # the settings require them
        verifier = JwtVerifier(JwksKeys(jwks), issuer=issuer, audience=audience,
                               groups_claim=groups_claim, leeway=leeway)

        def from_token(request: Request) -> Identity:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthError("send `Authorization: Bearer <token>` from your identity "
                                "provider")
            return verifier.verify(token.strip())

        return from_token
    if mode == "header":
        proxy = ProxyHeaders.parse(trusted_proxies, user_header, groups_header)

        def from_proxy(request: Request) -> Identity:
            return proxy.identity(request.client.host if request.client else None,
                                  request.headers)

        return from_proxy
    return None
