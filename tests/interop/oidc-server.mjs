// An independent OAuth 2.0 server for the interoperability test (tests/api/interop.rs): the
// `oidc-provider` package, configured as a standard server the portal must work with in place of
// ANAF. Authorizations are approved at once (no login page), refresh tokens rotate, revocation is
// RFC 7009, and access tokens are JWTs (RS256) or opaque, as FORMAT says. It also answers ANAF's
// rights probe (`listaMesajeFactura`) so that a connection completes.
//
// Usage: node oidc-server.mjs PORT REDIRECT_URI FORMAT(jwt|opaque) PUBLIC_KEY_FILE
// Prints "ready" on stdout once listening.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, redirectUri, format, publicKeyFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'portal',
    client_secret: 'portal-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [privateKey.export({ format: 'jwk' })].map((k) => ({ ...k, kid: 'interop', use: 'sig', alg: 'RS256' })) },
  routes: { authorization: '/authorize', token: '/token', revocation: '/revoke' },
  scopes: ['efactura'],
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:anaf:efactura',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'efactura',
        accessTokenFormat: format === 'jwt' ? 'jwt' : 'opaque',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  pkce: { required: () => false },
  rotateRefreshToken: true,
  issueRefreshToken: () => true,
  ttl: { AccessToken: 3600, RefreshToken: 86400, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 86400 },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
});
provider.proxy = false;

// Approve every authorization at once: log the certificate holder in and grant the resource.
provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: 'certificate-holder', clientId: details.params.client_id });
    grant.addOIDCScope('efactura');
    grant.addResourceScope('urn:anaf:efactura', 'efactura');
    const grantId = await grant.save();
    const result = { login: { accountId: 'certificate-holder' }, consent: { grantId } };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (ctx.path.endsWith('/FCTEL/rest/listaMesajeFactura')) {
    ctx.body = { eroare: 'Nu exista mesaje in ultimele 1 zile', titlu: 'Lista Mesaje' };
    return;
  }
  await next();
});

provider.on('authorization.error', (ctx, err) => console.error('authorization.error', err.message, err.error_description, err.error_detail));
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_description, err.error_detail));
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
