import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { AuthService } from './auth.service';
import type { RequestWithPrincipal } from './current-user.decorator';

/** Global guard: resolves the bearer token of every HTTP request into `req.principal`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    req.principal = await this.auth.authenticate(bearerToken(req.headers.authorization));
    return true;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedException('Authorization header must be "Bearer <token>"');
  return m[1];
}
