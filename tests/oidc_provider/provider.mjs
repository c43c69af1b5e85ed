// A real OpenID Connect provider for Sceau's tests: panva/oidc-provider (OpenID Certified),
// configured like FranceConnect: authorization code flow, confidential client
// (client_secret_basic), PKCE S256 required, claims as scopes (given_name, family_name,
// birthdate, email), acr_values eidas1..eidas3, RP-initiated logout.
//
// Usage: node provider.mjs PORT   (or OIDC_PORT); prints "ready <issuer>" once listening.
// Environment:
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI, OIDC_POST_LOGOUT_URI  the client
//   OIDC_OTHER_CLIENT_ID, OIDC_OTHER_CLIENT_SECRET   a second client (tokens for someone else)
//
// The interaction is a minimal form a test completes over plain HTTP:
//   GET  /interaction/:uid         the login form (fields: login, acr), or auto-consent
//   POST /interaction/:uid/login   login=<name> [acr=eidas1]: signs in as account <name>
// An account's sub is its login name; its claims come from ACCOUNTS, or are derived from the
// name for any other login.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.OIDC_PORT || 0);
if (!port) {
  process.stderr.write('usage: node provider.mjs PORT\n');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const env = (name, fallback) => process.env[name] || fallback;

const ACCOUNTS = {
  alice: {
    given_name: 'Alice', family_name: 'Débitrice', birthdate: '1980-02-03', email: 'alice@test.fr',
  },
  bruno: {
    given_name: 'Bruno', family_name: 'Débiteur', birthdate: '1975-06-07', email: 'bruno@test.fr',
  },
  paul: {
    given_name: 'Paul', family_name: 'Débiteur', birthdate: '1990-10-11', email: 'paul@test.fr',
  },
};

function claimsOf(login) {
  const known = ACCOUNTS[login];
  if (known) return known;
  return {
    given_name: login, family_name: 'Test', birthdate: '2000-01-01', email: `${login}@test.fr`,
  };
}

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rsa-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' },
    { ...ec, kid: `ec-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'ES256' },
  ];
}

const clients = [{
  client_id: env('OIDC_CLIENT_ID', 'sceau'),
  client_secret: env('OIDC_CLIENT_SECRET', 'sceau-secret'),
  redirect_uris: [env('OIDC_REDIRECT_URI', 'http://127.0.0.1:8000/oidc/retour/')],
  post_logout_redirect_uris: [env('OIDC_POST_LOGOUT_URI', 'http://127.0.0.1:8000/oidc/deconnecte/')],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
}, {
  client_id: env('OIDC_OTHER_CLIENT_ID', 'other'),
  client_secret: env('OIDC_OTHER_CLIENT_SECRET', 'other-secret'),
  redirect_uris: ['http://127.0.0.1:9/other/callback'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  id_token_signed_response_alg: 'RS256',
}];

const SCOPES = ['openid', 'given_name', 'family_name', 'birthdate', 'email'];

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: signingKeys() },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    given_name: ['given_name'],
    family_name: ['family_name'],
    birthdate: ['birthdate'],
    email: ['email'],
  },
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...claimsOf(id) };
      },
    };
  },
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});
provider.proxy = false;

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(html);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === 'GET' && prompt.name === 'login') {
    return send(res, 200, `<!doctype html><title>Test provider login</title>
<form method="post" action="/interaction/${uid}/login">
<input name="login" autofocus><input name="acr" value="eidas1"><button>Sign in</button>
</form>`);
  }
  if (req.method === 'GET' && prompt.name === 'consent') {
    // Auto-consent: grant what the client asked for (the user already chose to sign in).
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    grant.addOIDCScope(String(params.scope));
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  if (req.method === 'POST' && req.url.endsWith('/login')) {
    const form = await readBody(req);
    const login = (form.get('login') || '').trim();
    if (!login) return send(res, 400, 'login required');
    return provider.interactionFinished(req, res, {
      login: { accountId: login, acr: form.get('acr') || 'eidas1' },
    }, { mergeWithLastSubmission: false });
  }
  return send(res, 400, `unexpected ${req.method} for prompt ${prompt.name}`);
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => send(res, 500, String(err && err.message)));
    return;
  }
  callback(req, res);
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error ${err.stack}\n`));
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
