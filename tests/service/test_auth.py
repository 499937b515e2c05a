"""RAGQA_AUTH=jwt and header: who may read and write (real app over the real corpus index,
tokens signed with keys made here, as an identity provider would)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from ragqa.service.app import create_app
from tests.conftest import CORPUS
from tests.service.conftest import LOOPBACK, make_settings
from tests.service.uploads import FILES, upload

ISSUER = "https://sso.intranet.example/realms/ragqa"
AUDIENCE = "ragqa"
QUESTION = {"question": "Combien de visiteurs sont attendus au Gitex Africa 2025 ?", "k": 2}
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key, kid: str) -> dict:
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) \
        else jwt.algorithms.ECAlgorithm
    return {**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig"}


def token(key=RSA_KEY, *, kid: str = "rsa-1", algorithm: str = "RS256", **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-42", "preferred_username": "amina",
            "iat": now, "exp": now + 300, "groups": ["rh", "ragqa-editors"], **claims}
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture(scope="module")
def jwks(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sso") / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(RSA_KEY, "rsa-1"), _jwk(EC_KEY, "ec-1")]}),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def jwt_client(jwks: Path, corpus_index: Path):
    app = create_app(make_settings(CORPUS, corpus_index, auth="jwt", jwt_jwks=str(jwks),
                                   jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                                   write_group="ragqa-editors", api_keys="cle-secrete"))
    with TestClient(app, client=LOOPBACK) as client:
        yield client


def test_a_valid_token_reads(jwt_client):
    for signed in (token(), token(EC_KEY, kid="ec-1", algorithm="ES256")):
        response = jwt_client.post("/v1/search", json=QUESTION, headers=bearer(signed))
        assert response.status_code == 200 and response.json()["passages"]


def _public_pem() -> bytes:
    return RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


def _unsigned() -> str:
    return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 300,
                       "groups": ["rh"]}, None, algorithm="none", headers={"kid": "rsa-1"})


def _hmac_with_public_key() -> str:
    import base64
    import hashlib
    import hmac

    def part(value: dict) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = part({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    body = part({"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 300,
                 "groups": ["rh"]})
    signature = hmac.new(_public_pem(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


BAD_TOKENS = {
    "alg none": _unsigned,
    "wrong key": lambda: token(OTHER_KEY),
    "HMAC signed with the public key": _hmac_with_public_key,
    "expired": lambda: token(exp=int(time.time()) - 3600),
    "not yet valid": lambda: token(nbf=int(time.time()) + 3600),
    "wrong issuer": lambda: token(iss="https://evil.example"),
    "wrong audience": lambda: token(aud="another-app"),
    "missing groups": lambda: token(groups=None),
    "malformed groups": lambda: token(groups={"rh": True}),
    "unknown key id": lambda: token(kid="nope"),
    "no expiry": lambda: token(exp=None),
    "not a JWT": lambda: "bonjour",
    "100 KB": lambda: "a" * 100_000,
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_a_bad_token_is_401_never_5xx(jwt_client, name):
    response = jwt_client.post("/v1/search", json=QUESTION, headers=bearer(BAD_TOKENS[name]()))
    assert response.status_code == 401, (name, response.text)
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_no_token_is_401_on_every_read(jwt_client):
    for method, path, body in (("POST", "/v1/search", QUESTION), ("POST", "/v1/ask", QUESTION),
                               ("GET", "/v1/documents", None)):
        response = jwt_client.request(method, path, json=body)
        assert response.status_code == 401, path


@pytest.fixture
def jwt_write_client(jwks: Path, writable: tuple[Path, Path]):
    """As jwt_client, over copies of the corpus and its index that a test may change."""
    app = create_app(make_settings(*writable, auth="jwt", jwt_jwks=str(jwks),
                                   jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                                   write_group="ragqa-editors", api_keys="cle-secrete"),
                     update_index=False)
    with TestClient(app, client=LOOPBACK) as client:
        yield client


def test_writes_are_for_the_write_group_or_an_api_key(jwt_write_client):
    jwt_client = jwt_write_client
    doc_id, data = "notes/zorglub.txt", FILES["notes/zorglub.txt"]
    reader = bearer(token(groups=["rh"]))
    assert upload(jwt_client, doc_id, data, headers=reader).status_code == 403
    assert jwt_client.delete("/v1/documents/x.txt", headers=reader).status_code == 403
    assert upload(jwt_client, doc_id, data).status_code == 401
    editor = bearer(token())
    assert upload(jwt_client, doc_id, data, headers=editor).status_code == 201
    assert jwt_client.delete(f"/v1/documents/{doc_id}", headers=editor).status_code == 200
    assert upload(jwt_client, doc_id, data, headers=bearer("cle-secrete")).status_code == 201
    assert jwt_client.delete(f"/v1/documents/{doc_id}",
                             headers=bearer("cle-secrete")).status_code == 200


def test_a_rotated_key_is_fetched_again(jwks: Path, corpus_index: Path, tmp_path: Path,
                                        monkeypatch):
    monkeypatch.setattr("ragqa.service.auth.REFETCH_AFTER_S", 0.0)  # no 10 s wait here
    keys = tmp_path / "jwks.json"
    keys.write_text(jwks.read_text(encoding="utf-8"), encoding="utf-8")
    app = create_app(make_settings(CORPUS, corpus_index, auth="jwt", jwt_jwks=str(keys),
                                   jwt_issuer=ISSUER, jwt_audience=AUDIENCE))
    with TestClient(app, client=LOOPBACK) as client:
        assert client.post("/v1/search", json=QUESTION, headers=bearer(token())).status_code == 200
        # The provider rotates: a new key id appears; the first token naming it fetches again.
        keys.write_text(json.dumps({"keys": [_jwk(OTHER_KEY, "rsa-2")]}), encoding="utf-8")
        fresh = token(OTHER_KEY, kid="rsa-2")
        assert client.post("/v1/search", json=QUESTION, headers=bearer(fresh)).status_code == 200


def test_keys_past_their_max_age_are_fetched_again(jwks: Path, tmp_path: Path, monkeypatch):
    """A key the provider withdrew stops being accepted (before: a key once seen was kept
    for the life of the process); the refresh runs in the background."""
    from ragqa.service.auth import AuthError, JwksKeys

    keys = tmp_path / "jwks.json"
    keys.write_text(jwks.read_text(encoding="utf-8"), encoding="utf-8")
    cache = JwksKeys(str(keys))
    assert cache.key("rsa-1").key_id == "rsa-1"
    keys.write_text(json.dumps({"keys": [_jwk(OTHER_KEY, "rsa-2")]}), encoding="utf-8")
    assert cache.key("rsa-1").key_id == "rsa-1"  # within its max age: the cache serves
    monkeypatch.setattr("ragqa.service.auth.MAX_AGE_S", 0.0)

    def withdrawn() -> bool:
        try:
            cache.key("rsa-1")
        except AuthError:
            return True
        return False

    from tests.support import wait_until

    wait_until(withdrawn, what="the withdrawn key refused", timeout=10, interval=0.05)
    assert cache.key("rsa-2").key_id == "rsa-2"


def test_keys_that_cannot_be_read_are_not_fetched_by_every_request(tmp_path: Path,
                                                                   monkeypatch):
    from ragqa.service.auth import AuthError, JwksKeys

    keys = tmp_path / "jwks.json"  # not there yet: the provider is down
    cache = JwksKeys(str(keys))
    loads = []
    load = cache._load
    monkeypatch.setattr(cache, "_load", lambda: loads.append(1) or load())  # a spy
    for _ in range(5):
        with pytest.raises(AuthError, match="cannot be read right now"):
            cache.key("rsa-1")
    assert len(loads) == 1
    keys.write_text(json.dumps({"keys": [_jwk(RSA_KEY, "rsa-1")]}), encoding="utf-8")
    monkeypatch.setattr("ragqa.service.auth.RETRY_FAILED_AFTER_S", 0.0)
    assert cache.key("rsa-1").key_id == "rsa-1" and len(loads) == 2


@pytest.fixture(scope="module")
def proxy_app(corpus_index: Path):
    return create_app(make_settings(CORPUS, corpus_index, auth="header",
                                    trusted_proxies="127.0.0.1, ::1", write_group="editors"))


def test_a_trusted_proxy_says_who_is_asking(proxy_app):
    headers = {"X-Forwarded-User": "amina", "X-Forwarded-Groups": "rh, editors"}
    with TestClient(proxy_app, client=LOOPBACK) as client:
        assert client.post("/v1/search", json=QUESTION, headers=headers).status_code == 200
        assert client.post("/v1/search", json=QUESTION).status_code == 401  # no user header
    with TestClient(proxy_app, client=("10.20.30.40", 50000)) as client:
        # From anywhere else, the same headers are ignored: anyone could send them.
        assert client.post("/v1/search", json=QUESTION, headers=headers).status_code == 401


def test_spaces_never_separate_groups(proxy_app):
    """`X-Forwarded-Groups: editeurs externes` (one group of the provider's) read as
    `editeurs` and `externes` gave memberships nobody granted, the write group's included."""
    from ragqa.service.auth import parse_groups

    assert parse_groups("editors externes, rh") == {"editors externes", "rh"}
    assert parse_groups(" rh ,direction,, ") == {"rh", "direction"}
    assert parse_groups(["rh", " direction "]) == {"rh", "direction"}
    with TestClient(proxy_app, client=LOOPBACK) as client:
        headers = {"X-Forwarded-User": "amina", "X-Forwarded-Groups": "editors externes"}
        response = client.put("/v1/documents/001_d52cea156ab06147.txt/groups",
                              json={"groups": ["rh"]}, headers=headers)
        assert response.status_code == 403, response.text  # not a member of `editors`


def test_a_user_or_groups_header_sent_twice_is_refused(proxy_app):
    """A proxy that appends its header beside the client's: which one is the proxy's is
    unknowable, so the request is refused rather than the first taken."""
    with TestClient(proxy_app, client=LOOPBACK) as client:
        for name in ("X-Forwarded-User", "X-Forwarded-Groups"):
            headers = [("X-Forwarded-User", "amina"), ("X-Forwarded-Groups", "rh"),
                       (name, "editors" if "Groups" in name else "root")]
            response = client.post("/v1/search", json=QUESTION, headers=headers)
            assert response.status_code == 401, response.text
            assert "more than one" in response.text


def test_ragqa_serve_under_header_auth_ignores_x_forwarded_for(tmp_path, corpus_index):
    """The real ``ragqa serve``: a client on loopback claiming, by X-Forwarded-For, to be
    the trusted proxy is still loopback, so its identity headers are not believed."""
    import shutil

    import httpx

    from tests.support import start, stop

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    server = start(corpus, index, tmp_path / "serve.log", timeout=180, RAGQA_AUTH="header",
                   RAGQA_TRUSTED_PROXIES="10.9.8.7")
    try:
        response = httpx.post(f"{server.base_url}/v1/search", json=QUESTION, timeout=30,
                              headers={"X-Forwarded-For": "10.9.8.7",
                                       "X-Forwarded-User": "amina",
                                       "X-Forwarded-Groups": "rh"})
        assert response.status_code == 401, response.text
    finally:
        stop(server)


def test_the_settings_name_what_jwt_and_header_need():
    from ragqa.index.errors import ConfigError
    from ragqa.settings import load_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAGQA_AUTH", "jwt")
        with pytest.raises(ConfigError, match="RAGQA_JWT_JWKS, RAGQA_JWT_ISSUER"):
            load_settings()
        mp.setenv("RAGQA_AUTH", "header")
        with pytest.raises(ConfigError, match="RAGQA_TRUSTED_PROXIES"):
            load_settings()
