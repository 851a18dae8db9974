import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ANONYMOUS, Principal } from './principal';

export interface RequestWithPrincipal {
  principal?: Principal;
}

/** The {@link Principal} of the request, set by the authentication guard; anonymous when none. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
  return req.principal ?? ANONYMOUS;
});
