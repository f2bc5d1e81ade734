// A real OpenID Connect provider (panva/oidc-provider) on loopback, for the single sign-on tests.
//
// Started by tests/sso/conftest.py (devtools/oidc_provider.py): `node server.js CONFIG.json`. The config
// names the port, the clients and the accounts; the provider prints "ready <issuer>" once it listens.
// Its development interactions (a login form that takes any password, then a consent form) stand in
// for the person at the provider; the tests fill them in as a browser would.
//
// A few routes under /__test/ let a test change the provider while it runs (nothing a real provider
// offers to its clients): rotate its signing key, make it issue ID tokens that are already expired,
// and count how often its JWKS was fetched.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts || {};
const state = { idTokenTtl: config.id_token_ttl || 300, jwksRequests: 0, keys: [newKey()] };

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

function build() {
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: state.keys },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account }; } };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // As Google does: the scope's claims in the ID token itself. With true (the spec's letter), they
    // are only at the userinfo endpoint, which the app then asks.
    conformIdTokenClaims: Boolean(config.conform_id_token_claims),
    cookies: { keys: ['test-only-cookie-key'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: () => (state.idTokenTtl > 0 ? state.idTokenTtl : 300),
      Interaction: 600,
      Session: 600,
    },
  });
  // A negative ID token lifetime: tokens signed by the provider whose exp is already in the past.
  const { issue } = provider.IdToken.prototype;
  provider.IdToken.prototype.issue = function issueMaybeExpired(options = {}) {
    if (state.idTokenTtl < 0 && options.use === 'idtoken') {
      return issue.call(this, { ...options, expiresAt: Math.floor(Date.now() / 1000) + state.idTokenTtl });
    }
    return issue.call(this, options);
  };
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  return provider;
}

let provider = build();
let handler = provider.callback();

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

async function testRoute(req, res) {
  const { pathname } = new URL(req.url, issuer);
  if (req.method === 'POST' && pathname === '/__test/rotate') {
    // A new signing key; with {"keep_old": true} the old one stays published (a graceful rotation).
    const body = await readJson(req);
    state.keys = body.keep_old ? [newKey(), ...state.keys] : [newKey()];
    provider = build();
    handler = provider.callback();
    return json(res, 200, { kids: state.keys.map((key) => key.kid) });
  }
  if (req.method === 'POST' && pathname === '/__test/id-token-ttl') {
    state.idTokenTtl = (await readJson(req)).seconds;
    return json(res, 200, { seconds: state.idTokenTtl });
  }
  if (req.method === 'GET' && pathname === '/__test/stats') {
    return json(res, 200, { jwks_requests: state.jwksRequests });
  }
  return json(res, 404, { error: 'not_found' });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/__test/')) {
    testRoute(req, res).catch((error) => json(res, 500, { error: String(error) }));
    return;
  }
  if (req.url.startsWith('/jwks')) state.jwksRequests += 1;
  handler(req, res);
});

server.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
