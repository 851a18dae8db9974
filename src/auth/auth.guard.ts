import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { BearerChallenge, TooManySubmissions } from './auth.errors';
import { AuthService } from './auth.service';
import type { RequestWithPrincipal } from './current-user.decorator';
import { JobSubmissionLimiter, LIMIT_JOB_SUBMISSIONS } from './rate-limit';
import { ALLOW_ANONYMOUS } from './allow-anonymous.decorator';

/**
 * Global guard: resolves the bearer token of every HTTP request into `req.principal` (a bad token is a
 * 401 with a `WWW-Authenticate: Bearer error="invalid_token"` challenge), then applies the job
 * submission rate limit to routes marked with @LimitJobSubmissions() (429 with `Retry-After`), counting
 * only submissions that are accepted.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly limiter: JobSubmissionLimiter,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    const res = ctx.switchToHttp().getResponse<Response>();
    try {
      const allowAnonymous =
        this.reflector.getAllAndOverride<boolean>(ALLOW_ANONYMOUS, [ctx.getHandler(), ctx.getClass()]) ?? false;
      req.principal = await this.auth.authenticate(bearerToken(req.headers.authorization), { allowAnonymous });
    } catch (err) {
      if (err instanceof BearerChallenge) res.setHeader('WWW-Authenticate', err.challenge);
      throw err;
    }
    if (this.reflector.getAllAndOverride<boolean>(LIMIT_JOB_SUBMISSIONS, [ctx.getHandler(), ctx.getClass()])) {
      const key =
        req.principal.userId !== null ? `user:${req.principal.userId}` : `ip:${req.ip ?? req.socket.remoteAddress}`;
      const takenAt = Date.now();
      const decision = this.limiter.take(key, takenAt);
      if (!decision.allowed) {
        res.setHeader('Retry-After', String(decision.retryAfterSeconds));
        throw new TooManySubmissions(this.limiter.limit, decision.retryAfterSeconds);
      }
      // Counted now, so that concurrent submissions cannot overrun the limit; given back when the
      // answer is an error (validation, not found, ...): only accepted submissions count.
      res.once('finish', () => {
        if (res.statusCode >= 400) this.limiter.release(key, takenAt);
      });
    }
    return true;
  }
}

/** The token of an `Authorization: Bearer <token>` header, for REST and the socket.io handshake alike. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw BearerChallenge.invalidRequest('Authorization header must be "Bearer <token>"');
  return m[1];
}
