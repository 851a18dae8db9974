import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { hasUnpairedSurrogate } from '../common/text';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { BearerChallenge, KeySetUnavailable } from './auth.errors';
import { ANONYMOUS, type Principal } from './principal';

/** In open single-user mode (no key source configured) the one anonymous user is also the admin. */
export const OPEN_MODE_PRINCIPAL: Principal = Object.freeze({ userId: null, isAdmin: true, roles: [] }) as Principal;

/** Leeway for exp and nbf, for clocks that are a little apart. */
export const CLOCK_TOLERANCE_SECONDS = 30;

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
const PUBLIC_KEY_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/**
 * jose, loaded on first use: a process in open mode (no AUTH_JWT_SECRET nor AUTH_JWKS_URL) never
 * needs it, and the others need it at their first token, not at start-up (~80 ms of CPU to load).
 */
function jose(): typeof import('jose') {
  return require('jose') as typeof import('jose');
}

/** jose errors that mean "the key set could not be had", not "the token is bad". */
const KEY_SET_ERRORS = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC', 'ERR_JWK_INVALID']);

/**
 * Verifies bearer JWTs (HS256/384/512 with AUTH_JWT_SECRET, or public keys from AUTH_JWKS_URL, picked
 * by the token's `alg`) and turns them into a {@link Principal}. Used by the REST guard and the socket
 * handshake alike.
 *
 * - exp is required and, like nbf, checked with {@link CLOCK_TOLERANCE_SECONDS} of leeway; iss and aud
 *   are checked when AUTH_ISSUER / AUTH_AUDIENCE are set; sub must be present, at most 255 characters
 *   of Unicode text without NUL (it is stored as the owner of rows).
 * - A token that is present but invalid is a 401 ({@link BearerChallenge}) that says why; never anonymous.
 * - JWKS keys are cached (10 min) and fetched again for an unknown `kid` (key rotation), at most once
 *   per AUTH_JWKS_COOLDOWN_SECONDS. An unreachable key set is a 503, not a 401.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private secret?: Uint8Array;
  private jwks?: JWTVerifyGetKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    const { jwtSecret, jwksUrl, jwksCooldownSeconds } = this.config.auth;
    if (jwtSecret) this.secret = new TextEncoder().encode(jwtSecret);
    if (jwksUrl) {
      this.jwks = jose().createRemoteJWKSet(new URL(jwksUrl), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: (jwksCooldownSeconds ?? 30) * 1000,
        timeoutDuration: 5_000,
      });
    }
    if (!this.enabled) {
      this.logger.warn(
        'No AUTH_JWT_SECRET or AUTH_JWKS_URL is set: running in OPEN SINGLE-USER MODE. Everyone is the anonymous admin and sees and may change every row; requests with a token are refused. Set one of them for multi-user operation.',
      );
    } else {
      const sources = [jwtSecret ? 'HS256 (AUTH_JWT_SECRET)' : null, jwksUrl ? `JWKS at ${jwksUrl}` : null].filter(
        Boolean,
      );
      this.logger.log(
        `Bearer tokens are checked with ${sources.join(' and ')}; anonymous requests are ${this.config.auth.required ? 'refused (AUTH_REQUIRED)' : 'allowed and see public rows only'}`,
      );
    }
  }

  /** True when a key source is configured. */
  get enabled(): boolean {
    return this.secret !== undefined || this.jwks !== undefined;
  }

  /**
   * The principal of a request or socket. No token: anonymous (or 401 when AUTH_REQUIRED). A token
   * that is present but invalid is always a 401 with the reason, never treated as anonymous.
   * `allowAnonymous` (routes marked @AllowAnonymous()) lets a request without a token through even
   * with AUTH_REQUIRED.
   */
  async authenticate(token: string | undefined | null, opts: { allowAnonymous?: boolean } = {}): Promise<Principal> {
    if (!this.enabled) {
      if (token) throw BearerChallenge.invalidToken('this server has no key source configured and accepts no tokens');
      return OPEN_MODE_PRINCIPAL;
    }
    if (!token) {
      if (this.config.auth.required && !opts.allowAnonymous) throw BearerChallenge.missing();
      return ANONYMOUS;
    }
    const payload = await this.verify(token);
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw BearerChallenge.invalidToken('token has no sub claim');
    const subProblem = checkSubject(payload.sub);
    if (subProblem) throw BearerChallenge.invalidToken(`the token's sub claim ${subProblem}`);
    const roles = rolesOf(payload);
    return { userId: payload.sub, roles, isAdmin: roles.includes(this.config.auth.adminRole) };
  }

  private async verify(token: string): Promise<JWTPayload> {
    let alg: unknown;
    try {
      alg = jose().decodeProtectedHeader(token).alg;
    } catch {
      throw BearerChallenge.invalidToken('token is malformed');
    }
    if (typeof alg !== 'string' || alg === 'none') throw BearerChallenge.invalidToken('token is not signed');
    const options: JWTVerifyOptions = {
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    };
    if (HMAC_ALGS.includes(alg)) {
      if (!this.secret)
        throw BearerChallenge.invalidToken(
          `token is signed with ${alg}, but this server has no shared secret (AUTH_JWT_SECRET)`,
        );
      try {
        return (await jose().jwtVerify(token, this.secret, { ...options, algorithms: HMAC_ALGS })).payload;
      } catch (err) {
        throw BearerChallenge.invalidToken(this.reason(err));
      }
    }
    if (PUBLIC_KEY_ALGS.includes(alg)) {
      if (!this.jwks)
        throw BearerChallenge.invalidToken(
          `token is signed with ${alg}, but this server has no key set (AUTH_JWKS_URL)`,
        );
      try {
        return (await jose().jwtVerify(token, this.jwks, { ...options, algorithms: PUBLIC_KEY_ALGS })).payload;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === undefined || KEY_SET_ERRORS.has(code)) {
          this.logger.warn(`the key set at ${this.config.auth.jwksUrl} is unavailable: ${(err as Error).message}`);
          throw new KeySetUnavailable((err as Error).message);
        }
        throw BearerChallenge.invalidToken(this.reason(err));
      }
    }
    throw BearerChallenge.invalidToken(`algorithm ${alg} is not accepted`);
  }

  private reason(err: unknown): string {
    const e = err as { code?: string; message?: string; claim?: string; reason?: string };
    switch (e.code) {
      case 'ERR_JWT_EXPIRED':
        return 'token has expired';
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return 'signature does not verify';
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return 'no key of the key set matches the token (unknown kid)';
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        return 'several keys of the key set match the token; it must name its kid';
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return 'the signing algorithm is not accepted';
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (e.reason === 'missing') return `token has no ${e.claim} claim`;
        if (e.claim === 'aud') return `wrong audience (expected ${this.config.auth.audience})`;
        if (e.claim === 'iss') return `wrong issuer (expected ${this.config.auth.issuer})`;
        if (e.claim === 'nbf') return 'token is not valid yet (nbf)';
        if (e.claim === 'iat') return 'token is issued in the future (iat)';
        return `claim ${e.claim} is not valid`;
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
      case 'ERR_JOSE_NOT_SUPPORTED':
        return 'token is malformed';
      default:
        return e.message ?? 'token is not valid';
    }
  }
}

/** The longest `sub` we take: owners are stored in varchar(255) columns (length in code points). */
export const MAX_SUBJECT_LENGTH = 255;

/** Why a `sub` cannot be stored as an owner, or null when it can. */
function checkSubject(sub: string): string | null {
  if (sub.includes('\u0000')) return 'contains the NUL character';
  if (hasUnpairedSurrogate(sub)) return 'is not valid Unicode text (an unpaired surrogate)';
  let length = 0;
  for (const _ of sub) if (++length > MAX_SUBJECT_LENGTH) return `is longer than ${MAX_SUBJECT_LENGTH} characters`;
  return null;
}

function rolesOf(payload: JWTPayload): string[] {
  const roles = new Set<string>();
  const direct = payload.roles;
  if (Array.isArray(direct)) direct.forEach((r) => typeof r === 'string' && roles.add(r));
  const realm = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
  if (Array.isArray(realm)) realm.forEach((r) => typeof r === 'string' && roles.add(r));
  return [...roles];
}
