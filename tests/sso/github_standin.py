"""A stand-in for GitHub on loopback: NOT GitHub, a small HTTP server of the shape of GitHub's OAuth app
endpoints and REST API, for the GitHub sign-in tests (there is no GitHub server to run here).

It covers what the app uses, as GitHub documents it: ``GET /login/oauth/authorize`` (approves at once
as the configured user and redirects with ``code`` and ``state``), ``POST /login/oauth/access_token``
(client secret in the body, PKCE S256 checked, errors as a 200 with ``{"error": ...}`` as GitHub
answers them), ``GET /api/user`` and ``GET /api/user/emails`` (bearer token). Point ``GITHUB_URL`` at
``url`` and ``GITHUB_API_URL`` at ``url + "/api"``.
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge


class GitHubStandIn:
    def __init__(self, *, client_id: str, client_secret: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.user = {"id": 1, "login": "octocat", "name": "The Octocat", "email": None}
        self.emails = [{"email": "octocat@example.com", "primary": True, "verified": True, "visibility": "public"}]
        self.codes: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "GitHubStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/login/oauth/authorize":
                    return standin._authorize(self, {k: v[0] for k, v in parse_qs(url.query).items()})
                if self.headers.get("Authorization", "").removeprefix("Bearer ") not in standin.tokens:
                    return self._json(401, {"message": "Bad credentials"})
                if url.path == "/api/user":
                    return self._json(200, standin.user)
                if url.path == "/api/user/emails":
                    return self._json(200, standin.emails)
                return self._json(404, {"message": "Not Found"})

            def do_POST(self):
                if urlsplit(self.path).path != "/login/oauth/access_token":
                    return self._json(404, {"message": "Not Found"})
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                return self._json(200, standin._token(form))

        return Handler

    def _authorize(self, handler, query):
        if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
            return handler._json(400, {"message": "bad request"})
        code = secrets.token_hex(10)
        self.codes[code] = {"challenge": query["code_challenge"], "redirect_uri": query["redirect_uri"]}
        handler.send_response(302)
        handler.send_header("Location", f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
        handler.end_headers()

    def _token(self, form) -> dict:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return {"error": "incorrect_client_credentials"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
        if create_s256_code_challenge(form.get("code_verifier", "")) != grant["challenge"]:
            return {"error": "bad_verification_code", "error_description": "PKCE verification failed."}
        token = f"gho_{secrets.token_hex(16)}"
        self.tokens.add(token)
        return {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}
