import { Logger, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SignJWT, generateKeyPair } from 'jose';
import { loadConfig, type AppConfig } from '../config/app-config';
import { AllowAnonymous } from './allow-anonymous.decorator';
import { BearerChallenge, TooManySubmissions } from './auth.errors';
import { AuthGuard } from './auth.guard';
import { AuthService, OPEN_MODE_PRINCIPAL } from './auth.service';
import { ANONYMOUS, canSee, ownerFilter } from './principal';
import { ProviderTokens } from './provider-tokens';
import { JobSubmissionLimiter, LimitJobSubmissions } from './rate-limit';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';
const key = new TextEncoder().encode(SECRET);

function service(env: Record<string, string>): AuthService {
  const s = new AuthService(loadConfig({ LOG_LEVEL: 'silent', ...env }));
  s.onModuleInit();
  return s;
}

function sign(
  claims: Record<string, unknown>,
  opts: { exp?: number | string | null; nbf?: number; secret?: Uint8Array } = {},
) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(opts.secret ?? key);
}

async function rejection(p: Promise<unknown>): Promise<BearerChallenge> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BearerChallenge);
  return err as BearerChallenge;
}

const now = () => Math.floor(Date.now() / 1000);

describe('AuthService', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('runs in open single-user mode without a key source, and says so loudly at start', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const s = service({});
    expect(s.enabled).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('OPEN SINGLE-USER MODE'));
    return expect(s.authenticate(undefined)).resolves.toBe(OPEN_MODE_PRINCIPAL);
  });

  it('refuses a token in open mode instead of ignoring it', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const err = await rejection(service({}).authenticate(await sign({ sub: 'alice' })));
    expect(err.message).toContain('no key source');
  });

  it('refuses to start with AUTH_REQUIRED and no key source', () => {
    expect(() => loadConfig({ AUTH_REQUIRED: 'true' })).toThrow(
      /AUTH_REQUIRED=true needs AUTH_JWT_SECRET or AUTH_JWKS_URL/,
    );
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });

  it('maps sub and roles (plain and Keycloak realm_access) to a principal', async () => {
    const s = service({ AUTH_JWT_SECRET: SECRET });
    await expect(s.authenticate(await sign({ sub: 'alice' }))).resolves.toEqual({
      userId: 'alice',
      roles: [],
      isAdmin: false,
    });
    await expect(s.authenticate(await sign({ sub: 'root', roles: ['admin'] }))).resolves.toMatchObject({
      isAdmin: true,
    });
    await expect(
      s.authenticate(await sign({ sub: 'kc', realm_access: { roles: ['offline_access', 'admin'] } })),
    ).resolves.toMatchObject({
      userId: 'kc',
      isAdmin: true,
      roles: ['offline_access', 'admin'],
    });
    const custom = service({ AUTH_JWT_SECRET: SECRET, AUTH_ADMIN_ROLE: 'qunest-admin' });
    await expect(custom.authenticate(await sign({ sub: 'root', roles: ['admin'] }))).resolves.toMatchObject({
      isAdmin: false,
    });
  });

  it('treats a missing token as anonymous, or 401 with AUTH_REQUIRED', async () => {
    await expect(service({ AUTH_JWT_SECRET: SECRET }).authenticate(undefined)).resolves.toBe(ANONYMOUS);
    const err = await rejection(service({ AUTH_JWT_SECRET: SECRET, AUTH_REQUIRED: 'true' }).authenticate(''));
    expect(err.challenge).toBe('Bearer realm="qunest"');
  });

  it('checks exp and nbf with a small leeway, and requires exp', async () => {
    const s = service({ AUTH_JWT_SECRET: SECRET });
    await expect(s.authenticate(await sign({ sub: 'a' }, { exp: now() - 5 }))).resolves.toMatchObject({ userId: 'a' });
    expect((await rejection(s.authenticate(await sign({ sub: 'a' }, { exp: now() - 120 })))).message).toBe(
      'invalid token: token has expired',
    );
    expect((await rejection(s.authenticate(await sign({ sub: 'a' }, { nbf: now() + 600 })))).message).toContain(
      'not valid yet',
    );
    expect((await rejection(s.authenticate(await sign({ sub: 'a' }, { exp: null })))).message).toContain(
      'token has no exp claim',
    );
  });

  it('checks iss and aud when configured', async () => {
    const s = service({ AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: 'https://id.example', AUTH_AUDIENCE: 'qunest' });
    await expect(
      s.authenticate(await sign({ sub: 'a', iss: 'https://id.example', aud: 'qunest' })),
    ).resolves.toMatchObject({ userId: 'a' });
    expect(
      (await rejection(s.authenticate(await sign({ sub: 'a', iss: 'https://id.example', aud: 'other' })))).message,
    ).toContain('wrong audience');
    expect(
      (await rejection(s.authenticate(await sign({ sub: 'a', iss: 'https://evil.example', aud: 'qunest' })))).message,
    ).toContain('wrong issuer');
  });

  it('says why a token is refused: signature, malformed, unsigned, no sub, unknown algorithm source', async () => {
    const s = service({ AUTH_JWT_SECRET: SECRET });
    const other = new TextEncoder().encode('another-secret-of-sufficient-length-9876543210');
    const bad = await rejection(s.authenticate(await sign({ sub: 'a' }, { secret: other })));
    expect(bad.message).toBe('invalid token: signature does not verify');
    expect(bad.challenge).toBe(
      'Bearer realm="qunest", error="invalid_token", error_description="signature does not verify"',
    );
    expect((await rejection(s.authenticate('not.a.jwt'))).message).toContain('malformed');
    expect((await rejection(s.authenticate('garbage'))).message).toContain('malformed');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'a', exp: now() + 60 })).toString('base64url');
    expect((await rejection(s.authenticate(`${header}.${body}.`))).message).toContain('not signed');
    expect((await rejection(s.authenticate(await sign({ name: 'nobody' })))).message).toContain('no sub');
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({ sub: 'a' })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await rejection(s.authenticate(rs))).message).toContain('no key set');
  });
});

describe('ownership rule', () => {
  const alice = { userId: 'alice', isAdmin: false, roles: [] };
  const admin = { userId: 'root', isAdmin: true, roles: ['admin'] };
  it('lets a user see public rows and their own, an admin everything, anonymous only public rows', () => {
    expect(ownerFilter(admin, 'o')).toBeUndefined();
    expect(ownerFilter(ANONYMOUS, 'o')).toEqual({ o: null });
    expect(ownerFilter(alice, 'o')).toEqual({ $or: [{ o: null }, { o: 'alice' }] });
    expect([
      canSee(alice, null),
      canSee(alice, 'alice'),
      canSee(alice, 'bob'),
      canSee(admin, 'bob'),
      canSee(ANONYMOUS, 'bob'),
    ]).toEqual([true, true, false, true, false]);
  });
});

describe('JobSubmissionLimiter', () => {
  const limiter = (perMinute: number) => new JobSubmissionLimiter({ auth: { jobsPerMinute: perMinute } } as AppConfig);

  it('allows the limit in a window, then answers with the seconds until the window ends', () => {
    const l = limiter(2);
    const t0 = 1_000_000;
    expect(l.take('user:a', t0).allowed).toBe(true);
    expect(l.take('user:a', t0 + 1000).allowed).toBe(true);
    expect(l.take('user:a', t0 + 20_000)).toEqual({ allowed: false, retryAfterSeconds: 40 });
    expect(l.take('user:b', t0 + 20_000).allowed).toBe(true);
    expect(l.take('user:a', t0 + 59_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(l.take('user:a', t0 + 60_000).allowed).toBe(true);
  });

  it('is off at 0', () => {
    const l = limiter(0);
    for (let i = 0; i < 1000; i++) expect(l.take('ip:x', 5).allowed).toBe(true);
  });

  it('takes back a submission that was refused, within its window only', () => {
    const l = limiter(1);
    const t0 = 2_000_000;
    expect(l.take('user:a', t0).allowed).toBe(true);
    expect(l.take('user:a', t0 + 10).allowed).toBe(false);
    l.release('user:a', t0);
    expect(l.take('user:a', t0 + 20).allowed).toBe(true);
    // a release for an ended window does not free the next one
    expect(l.take('user:a', t0 + 60_000).allowed).toBe(true);
    l.release('user:a', t0 + 20);
    expect(l.take('user:a', t0 + 60_001).allowed).toBe(false);
    // nor does releasing more than was taken
    l.release('user:b', t0);
    expect(l.take('user:b', t0).allowed).toBe(true);
    expect(l.take('user:b', t0).allowed).toBe(false);
  });
});

describe('ProviderTokens', () => {
  const tokens = (key?: string) => new ProviderTokens({ auth: { tokenEncryptionKey: key } } as AppConfig);

  it('seals with AES-256-GCM bound to the job, and opens only for that job and key', () => {
    const t = tokens('operator-key');
    const secret = `tok-${randomBytes(16).toString('hex')}`;
    const sealed = t.seal('job-1', secret);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(secret);
    expect(t.seal('job-1', secret)).not.toBe(sealed); // a fresh IV each time
    expect(t.open('job-1', sealed)).toBe(secret);
    expect(t.open('job-1', null)).toBeNull();
    expect(() => t.open('job-2', sealed)).toThrow(/does not open/);
    expect(() => tokens('another-key').open('job-1', sealed)).toThrow(/does not open/);
    const [v, iv, tag, ct] = sealed.split('.');
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] ^= 1;
    expect(() => t.open('job-1', [v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow(/does not open/);
  });

  it('is disabled without TOKEN_ENCRYPTION_KEY', () => {
    const t = tokens(undefined);
    expect(t.enabled).toBe(false);
    expect(() => t.seal('job-1', 'x')).toThrow(/TOKEN_ENCRYPTION_KEY/);
  });
});

describe('AuthGuard', () => {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: SECRET,
    AUTH_REQUIRED: 'true',
    RATE_LIMIT_JOBS_PER_MINUTE: '1',
  });

  class Routes {
    health() {}
    jobs() {}
    submit() {}
  }
  AllowAnonymous()(Routes.prototype, 'health', Object.getOwnPropertyDescriptor(Routes.prototype, 'health')!);
  LimitJobSubmissions()(Routes.prototype, 'submit', Object.getOwnPropertyDescriptor(Routes.prototype, 'submit')!);

  function call(handler: keyof Routes, authorization?: string) {
    const req: Record<string, unknown> = { headers: authorization ? { authorization } : {}, ip: '10.0.0.1' };
    const headers: Record<string, string> = {};
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      setHeader: (k: string, v: string) => (headers[k] = v),
    });
    const ctx = {
      getType: () => 'http',
      getHandler: () => Routes.prototype[handler],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    } as unknown as ExecutionContext;
    return { ctx, req, res, headers };
  }

  let guard: AuthGuard;
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const auth = new AuthService(config);
    auth.onModuleInit();
    guard = new AuthGuard(auth, new JobSubmissionLimiter(config), new Reflector());
  });
  afterAll(() => jest.restoreAllMocks());

  it('lets anonymous requests reach @AllowAnonymous() routes under AUTH_REQUIRED, and no others', async () => {
    const health = call('health');
    await expect(guard.canActivate(health.ctx)).resolves.toBe(true);
    expect(health.req.principal).toBe(ANONYMOUS);
    const jobs = call('jobs');
    await expect(guard.canActivate(jobs.ctx)).rejects.toBeInstanceOf(BearerChallenge);
    expect(jobs.headers['WWW-Authenticate']).toBe('Bearer realm="qunest"');
  });

  it('still refuses a bad token on an @AllowAnonymous() route', async () => {
    const health = call('health', 'Bearer not-a-token');
    await expect(guard.canActivate(health.ctx)).rejects.toThrow('invalid token: token is malformed');
    expect(health.headers['WWW-Authenticate']).toContain('error="invalid_token"');
  });

  it('limits @LimitJobSubmissions() routes per user, with Retry-After', async () => {
    const bearer = `Bearer ${await sign({ sub: 'dana' })}`;
    await expect(guard.canActivate(call('submit', bearer).ctx)).resolves.toBe(true);
    await expect(guard.canActivate(call('jobs', bearer).ctx)).resolves.toBe(true);
    const over = call('submit', bearer);
    await expect(guard.canActivate(over.ctx)).rejects.toBeInstanceOf(TooManySubmissions);
    expect(Number(over.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('counts only submissions that are answered without an error', async () => {
    const bearer = `Bearer ${await sign({ sub: 'erin' })}`;
    const refused = call('submit', bearer);
    await expect(guard.canActivate(refused.ctx)).resolves.toBe(true);
    refused.res.statusCode = 400;
    refused.res.emit('finish');
    const accepted = call('submit', bearer);
    await expect(guard.canActivate(accepted.ctx)).resolves.toBe(true);
    accepted.res.statusCode = 201;
    accepted.res.emit('finish');
    await expect(guard.canActivate(call('submit', bearer).ctx)).rejects.toBeInstanceOf(TooManySubmissions);
  });
});
