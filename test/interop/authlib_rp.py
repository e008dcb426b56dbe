"""A relying party built on Python's authlib (Debian's python3-authlib), driven by
test/interop/authlib.test.ts.

    authlib_rp.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI ID_TOKEN_ALG POST_LOGOUT_REDIRECT_URI [AUTH_PARAMS_JSON]

Reads Sesame's discovery, writes {"authorization_url": ...} as one line of JSON, waits for the
URL the browser was sent back to (one line on stdin), then exchanges the code, validates the ID
token with authlib (signature against jwks_uri, iss, aud, nonce, exp, and the algorithm the client
registered), calls userinfo, refreshes (when a refresh token came), and writes the outcome as one
line of JSON, with the end_session_endpoint URL to sign out (authlib has no helper for
RP-initiated logout: an app builds it). Any failure leaves with a message on stderr and a non-zero
status.

AUTH_PARAMS_JSON, an object, is added to the authorization request (and replaces the default
prompt=consent when it names a prompt):
- max_age: handed to authlib's ID token validation, which then requires auth_time; authlib 1.2
  checks no more than that, so the age itself is checked here as OpenID Connect Core §3.1.3.7
  asks of an app (now - auth_time <= max_age, with the same leeway).
- response_mode=form_post: the line on stdin is then the body the browser POSTed to the
  redirect_uri (application/x-www-form-urlencoded), read as authlib's Flask and Django clients
  read request.form: code and state, state compared with the one sent, then fetch_token. iss
  (RFC 9207), which authlib 1.2 does not check, is compared with the issuer here.

Only what an app would do with authlib itself: no part of Sesame is imported or assumed beyond
discovery.
"""

import json
import os
import sys
import time
from urllib.parse import parse_qsl

try:
    import requests
    from authlib.common.security import generate_token
    from authlib.common.urls import add_params_to_uri
    from authlib.oauth2.rfc6749 import MismatchingStateException
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken
    from authlib.oidc.discovery import OpenIDProviderMetadata
except ImportError as error:
    sys.stderr.write(f"authlib_rp.py: {error}: install Debian's python3-authlib (and python3-requests)\n")
    sys.exit(3)


def main(issuer, client_id, client_secret, redirect_uri, id_token_alg, post_logout_redirect_uri, auth_params="{}"):
    # The tests speak plain HTTP on 127.0.0.1; authlib allows http:// only for localhost otherwise.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
    discovery.raise_for_status()
    metadata = OpenIDProviderMetadata(discovery.json())
    metadata.validate()
    if metadata["issuer"] != issuer:
        raise ValueError(f"discovery names issuer {metadata['issuer']}, expected {issuer}")

    session = OAuth2Session(
        client_id,
        client_secret,
        scope="openid email offline_access",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    code_verifier = generate_token(48)
    nonce = generate_token(20)
    # prompt=consent: OpenID Connect Core §11 issues a refresh token for offline_access only with it.
    extra = {"prompt": "consent", **json.loads(auth_params)}
    authorization_url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce, **extra
    )
    emit({"authorization_url": authorization_url})

    callback = sys.stdin.readline().strip()
    if not callback:
        raise ValueError("no callback on stdin")
    if extra.get("response_mode") == "form_post":
        posted = dict(parse_qsl(callback, keep_blank_values=True))
        if "error" in posted:
            raise ValueError(f"the form_post answer is an error: {posted}")
        if posted.get("state") != state:
            raise MismatchingStateException()
        if posted.get("iss") != issuer:
            raise ValueError(f"the form_post answer names iss {posted.get('iss')}, expected {issuer}")
        token = session.fetch_token(
            metadata["token_endpoint"], code=posted["code"], state=state, code_verifier=code_verifier
        )
    else:
        # Checks state (MismatchingStateException) and sends the PKCE verifier.
        token = session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=code_verifier
        )

    jwks = requests.get(metadata["jwks_uri"], timeout=5)
    jwks.raise_for_status()
    key_set = JsonWebKey.import_key_set(jwks.json())
    # Only the algorithm the client registered is accepted (id_token_signed_response_alg).
    claims_options = {"iss": {"essential": True, "value": issuer}}
    claims_params = {"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]}
    if "max_age" in extra:
        claims_options["auth_time"] = {"essential": True}
        # authlib requires auth_time when max_age is among the params (validate_auth_time).
        claims_params["max_age"] = str(extra["max_age"])
    claims = JsonWebToken([id_token_alg]).decode(
        token["id_token"],
        key=lambda header, _payload: key_set.find_by_kid(header["kid"]),
        claims_cls=CodeIDToken,
        claims_options=claims_options,
        claims_params=claims_params,
    )
    leeway = 5
    claims.validate(leeway=leeway)
    if "max_age" in extra and time.time() - claims["auth_time"] > int(extra["max_age"]) + leeway:
        raise ValueError(f"auth_time {claims['auth_time']} is older than max_age={extra['max_age']} allows")

    userinfo = session.get(metadata["userinfo_endpoint"], timeout=5)
    userinfo.raise_for_status()

    refresh = None
    if "refresh_token" in token:
        first_access_token = token["access_token"]
        refreshed = session.refresh_token(metadata["token_endpoint"])
        userinfo_after_refresh = session.get(metadata["userinfo_endpoint"], timeout=5)
        userinfo_after_refresh.raise_for_status()
        refresh = {
            "new_access_token": refreshed["access_token"] != first_access_token,
            "userinfo": userinfo_after_refresh.json(),
        }

    logout_state = generate_token(20)
    logout_url = add_params_to_uri(
        metadata["end_session_endpoint"],
        [
            ("id_token_hint", token["id_token"]),
            ("post_logout_redirect_uri", post_logout_redirect_uri),
            ("state", logout_state),
        ],
    )

    emit(
        {
            "id_token_header": claims.header,
            "id_token": dict(claims),
            "token_type": token["token_type"],
            "scope": token.get("scope"),
            "has_refresh_token": "refresh_token" in token,
            "userinfo": userinfo.json(),
            "refresh": refresh,
            "logout_url": logout_url,
            "logout_state": logout_state,
        }
    )


def emit(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) not in (7, 8):
        sys.stderr.write(__doc__)
        sys.exit(2)
    try:
        main(*sys.argv[1:])
    except Exception as error:  # noqa: BLE001 - the test shows whatever authlib raised
        sys.stderr.write(f"authlib_rp.py: {type(error).__name__}: {error}\n")
        sys.exit(1)
