// A local OpenID Connect provider for the portal's browser tests (oidc-provider 9.x).
//
// One static confidential client whose redirect URI the test passes in; the package's
// built-in development login and consent pages, which accept any login name and password.
// The login name becomes `sub`, and the account's verified e-mail is `<login>@example.org`.
//
// Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI.
// It listens on a free port of 127.0.0.1 and prints `ready <issuer>` once it serves, so the
// test learns the port without a race. It exits when its stdin closes: a test run that dies
// does not leave it behind.
import http from 'node:http';

import Provider from 'oidc-provider';

const { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI } = process.env;
if (!OIDC_CLIENT_ID || !OIDC_CLIENT_SECRET || !OIDC_REDIRECT_URI) {
  console.error('OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI are required');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  // The issuer must name the real port, so the provider is built once the port is known.
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: [OIDC_REDIRECT_URI],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username'],
    },
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: `${sub}@example.org`,
            email_verified: true,
            preferred_username: sub,
          };
        },
      };
    },
    cookies: { keys: ['browser-tests-only'] },
  });
  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
