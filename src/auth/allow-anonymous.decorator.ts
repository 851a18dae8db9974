import { SetMetadata } from '@nestjs/common';

export const ALLOW_ANONYMOUS = 'qunest:allowAnonymous';

/**
 * A route that answers without a token even when AUTH_REQUIRED is set (health checks for load
 * balancers and orchestrators). The caller is then the anonymous principal; a token that is sent is
 * still checked, and a bad one is still a 401.
 */
export const AllowAnonymous = () => SetMetadata(ALLOW_ANONYMOUS, true);
