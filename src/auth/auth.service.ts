import { Inject, Injectable, Logger, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ANONYMOUS, type Principal } from './principal';

/** In open single-user mode (no key source configured) the one anonymous user is also the admin. */
export const OPEN_MODE_PRINCIPAL: Principal = Object.freeze({ userId: null, isAdmin: true, roles: [] }) as Principal;

/**
 * Verifies bearer JWTs (HS256 with AUTH_JWT_SECRET, or keys from AUTH_JWKS_URL) and turns them into
 * a {@link Principal}. Used by the REST guard and the socket handshake alike.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private secret?: Uint8Array;
  private jwks?: JWTVerifyGetKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    const { jwtSecret, jwksUrl } = this.config.auth;
    if (jwtSecret) this.secret = new TextEncoder().encode(jwtSecret);
    if (jwksUrl) this.jwks = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
    if (!this.enabled) {
      this.logger.warn(
        'No AUTH_JWT_SECRET or AUTH_JWKS_URL is set: running in open single-user mode (everyone is the anonymous admin). Set one of them for multi-user operation.',
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
   */
  async authenticate(token: string | undefined | null): Promise<Principal> {
    if (!this.enabled) {
      if (token) throw new UnauthorizedException('this server has no key source configured and accepts no tokens');
      return OPEN_MODE_PRINCIPAL;
    }
    if (!token) {
      if (this.config.auth.required) throw new UnauthorizedException('a bearer token is required');
      return ANONYMOUS;
    }
    const payload = await this.verify(token);
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new UnauthorizedException('token has no sub');
    const roles = rolesOf(payload);
    return { userId: payload.sub, roles, isAdmin: roles.includes(this.config.auth.adminRole) };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const options = {
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      clockTolerance: 30,
    };
    const errors: string[] = [];
    if (this.secret) {
      try {
        return (await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256', 'HS384', 'HS512'] })).payload;
      } catch (err) {
        errors.push(reason(err));
      }
    }
    if (this.jwks) {
      try {
        return (await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256', 'PS256', 'RS384', 'ES384', 'RS512'] })).payload;
      } catch (err) {
        errors.push(reason(err));
      }
    }
    throw new UnauthorizedException(`invalid token: ${errors.join('; ')}`);
  }
}

function rolesOf(payload: JWTPayload): string[] {
  const roles = new Set<string>();
  const direct = payload.roles;
  if (Array.isArray(direct)) direct.forEach((r) => typeof r === 'string' && roles.add(r));
  const realm = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
  if (Array.isArray(realm)) realm.forEach((r) => typeof r === 'string' && roles.add(r));
  return [...roles];
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'token has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature does not verify';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return e.message ?? 'a claim is not valid';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'token is malformed';
    default:
      return e.message ?? String(err);
  }
}
