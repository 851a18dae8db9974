import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RequestOriginPolicy } from './request-origin';

/** Methods a refused Origin may still use: they change nothing, and without CORS headers the page cannot read the answer. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** Methods whose body must be JSON. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
export const CORS_ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, idempotency-key';
/** Headers of our answers a cross-origin page may read (besides the CORS-safelisted ones). */
const CORS_EXPOSED_HEADERS = 'Retry-After, WWW-Authenticate, Location';
/** How long a browser may cache a preflight answer, in seconds. */
const CORS_MAX_AGE = '600';

/**
 * Settings of the Express application that are not Nest's. Called by createApp right after the
 * application is made, so the middlewares added here run before the body parser and every route:
 *
 * - no `X-Powered-By: Express` header on any answer (API, OpenAPI documents, admin UI, 404s), since
 *   it only tells a visitor what to attack;
 * - the Host and Origin checks of {@link RequestOriginPolicy} (issue #15: other websites and DNS
 *   rebinding), with CORS headers for the origins of CORS_ORIGINS — {@link guardOrigins};
 * - JSON only for request bodies (415 otherwise) — {@link requireJsonBodies}.
 */
export function hardenHttp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  const policy = RequestOriginPolicy.fromConfig(app.get<AppConfig>(APP_CONFIG));
  app.use(guardOrigins(policy));
  app.use(requireJsonBodies());
}

/**
 * 403 for a Host the policy refuses (open mode: DNS rebinding) and for a state-changing request (any
 * method but GET and HEAD) from a refused Origin; the message names the header. An origin of
 * CORS_ORIGINS gets `Access-Control-Allow-Origin` and its preflight (OPTIONS with
 * Access-Control-Request-Method) a 204 naming the allowed methods and headers. No
 * `Access-Control-Allow-Credentials`: the API reads bearer tokens, never cookies.
 */
export function guardOrigins(policy: RequestOriginPolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const host = req.headers.host;
    const hostProblem = policy.hostProblem(host);
    if (hostProblem) return refuse(res, 403, hostProblem);
    const origin = req.headers.origin;
    res.vary('Origin');
    const kind = policy.classify(origin, host);
    if (kind === 'refused') {
      if (SAFE_METHODS.has(req.method)) return next();
      return refuse(res, 403, RequestOriginPolicy.originProblem(origin!));
    }
    if (kind === 'listed') {
      res.setHeader('Access-Control-Allow-Origin', origin!);
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
    }
    if (kind !== 'none' && req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin!);
      res.setHeader('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', CORS_MAX_AGE);
      res.vary('Access-Control-Request-Headers');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * POST, PUT and PATCH carry JSON or nothing: a content-type other than application/json (any
 * parameters, such as charset, allowed; body-parser checks the charset), or a body without one, is a
 * 415 naming what was sent. A bodiless request without content-type (POST /api/jobs/:id/cancel) passes.
 * text/plain and form types are what a cross-site form or no-cors fetch can send without a preflight.
 */
export function requireJsonBodies() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!BODY_METHODS.has(req.method)) return next();
    const contentType = req.headers['content-type'];
    if (contentType !== undefined) {
      const media = contentType.split(';')[0].trim().toLowerCase();
      if (media === 'application/json') return next();
      return refuse(
        res,
        415,
        `content-type '${contentType.length > 100 ? `${contentType.slice(0, 100)}…` : contentType}' is not supported; send application/json`,
      );
    }
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
    if (hasBody) return refuse(res, 415, 'a request body needs content-type application/json');
    next();
  };
}

function refuse(res: Response, statusCode: 403 | 415, message: string): void {
  const error = statusCode === 403 ? 'Forbidden' : 'Unsupported Media Type';
  res.status(statusCode).json({ statusCode, error, message });
}
