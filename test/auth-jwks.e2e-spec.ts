import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function keyPair(kid: string, alg = 'RS256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWKS endpoint of our own on 127.0.0.1: serves `keys`, counts fetches, can be made to fail. */
class KeyServer {
  keys: KeyPair[] = [];
  fetches = 0;
  failing = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      this.fetches += 1;
      if (this.failing) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const ISSUER = 'https://keycloak.qunest.test/realms/q';

function sign(key: KeyPair, sub: string, claims: Record<string, unknown> = {}, alg = 'RS256') {
  return new SignJWT({ sub, ...claims })
    .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience('account')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

describe('JWKS (RS256 from a key server, with rotation)', () => {
  const keys = new KeyServer();
  let t: TestApp;
  let http: Http;
  let k1: KeyPair;
  let k2: KeyPair;

  beforeAll(async () => {
    await keys.start();
    [k1, k2] = await Promise.all([keyPair('k1'), keyPair('k2')]);
    keys.keys = [k1];
    // cooldown 0: a token with an unknown kid makes the key set be fetched again at once
    t = await startTestApp({ runWorkers: false, auth: { jwksUrl: keys.url, issuer: ISSUER, jwksCooldownSeconds: 0 } });
    http = new Http(t.baseUrl);
  });
  afterAll(async () => {
    await t?.close();
    await keys.stop();
  });

  it('verifies RS256 tokens and caches the key set', async () => {
    const alice = http.as(await sign(k1, 'alice'));
    const created = await alice.post('/api/deployments', {
      name: 'kc',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.deployedBy).toBe('alice');
    expect((await alice.get('/api/deployments')).body.total).toBe(1);
    expect((await http.as(await sign(k1, 'bob')).get('/api/deployments')).body.total).toBe(0);
    expect(keys.fetches).toBe(1);
  });

  it('reads admin rights from Keycloak realm_access.roles', async () => {
    const root = http.as(await sign(k1, 'root', { realm_access: { roles: ['admin'] } }));
    expect((await root.get('/api/deployments')).body.total).toBe(1);
    expect(keys.fetches).toBe(1);
  });

  it('fetches the key set again when the server rotated to a new kid, and drops the old key', async () => {
    keys.keys = [k2];
    const r = await http.as(await sign(k2, 'alice')).get('/api/deployments');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(1);
    expect(keys.fetches).toBe(2);
    // k2 is cached now
    expect((await http.as(await sign(k2, 'alice')).get('/api/jobs')).status).toBe(200);
    expect(keys.fetches).toBe(2);
    // k1 is gone from the server: its tokens are refused after one more look
    const old = await http.as(await sign(k1, 'alice')).get('/api/deployments');
    expect(old.status).toBe(401);
    expect(old.body.message).toBe('invalid token: no key of the key set matches the token (unknown kid)');
    expect(old.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a token whose kid is known but whose signature is made with another key', async () => {
    const impostor = await keyPair('k2');
    const r = await http.as(await sign(impostor, 'alice')).get('/api/jobs');
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('invalid token: signature does not verify');
  });

  it('refuses HS256 tokens when only a key set is configured (no algorithm confusion)', async () => {
    const hs = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k2' })
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(k2.jwk)));
    const r = await http.as(hs).get('/api/jobs');
    expect(r.status).toBe(401);
    expect(r.body.message).toContain('no shared secret');
  });

  it('refuses a token from another issuer even with a good signature', async () => {
    const other = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k2' })
      .setIssuer('https://elsewhere.test')
      .setExpirationTime('5m')
      .sign(k2.privateKey);
    const r = await http.as(other).get('/api/jobs');
    expect(r.status).toBe(401);
    expect(r.body.message).toContain('wrong issuer');
  });

  it('answers 503 (not 401, not anonymous) when the key set cannot be fetched', async () => {
    keys.failing = true;
    const k3 = await keyPair('k3');
    const before = keys.fetches;
    const r = await http.as(await sign(k3, 'alice')).get('/api/jobs');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(r.body.message).toContain('AUTH_JWKS_URL');
    expect(keys.fetches).toBe(before + 1);
    // keys already cached keep working while the key server is down
    keys.failing = false;
    expect((await http.as(await sign(k2, 'alice')).get('/api/jobs')).status).toBe(200);
  });
});
