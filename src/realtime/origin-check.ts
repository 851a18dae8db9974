import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { RequestOriginPolicy } from '../common/request-origin';

/**
 * The socket.io side of {@link RequestOriginPolicy} (issue #15). A websocket is not bound by CORS, so
 * the handshake itself must refuse a page of another website: any Origin other than none, the
 * service's own and those of CORS_ORIGINS, and in open mode a Host that is not allowed (DNS
 * rebinding). The refusal is a connect_error whose message is the reason.
 */
export function handshakeProblem(policy: RequestOriginPolicy, headers: IncomingHttpHeaders): string | undefined {
  const host = headers.host;
  const hostProblem = policy.hostProblem(host);
  if (hostProblem) return hostProblem;
  const origin = headers.origin;
  if (policy.classify(origin, host) === 'refused') return RequestOriginPolicy.originProblem(origin!);
  return undefined;
}

/** socket.io middleware (server.use): refuses the connection with the reason of {@link handshakeProblem}. */
export function checkHandshakeOrigin(policy: RequestOriginPolicy) {
  return (socket: { handshake: { headers: IncomingHttpHeaders } }, next: (err?: Error) => void): void => {
    const problem = handshakeProblem(policy, socket.handshake.headers);
    next(problem ? new Error(problem) : undefined);
  };
}

/**
 * engine.io middleware (server.engine.use): CORS headers for the long-polling requests of an origin
 * of CORS_ORIGINS (a browser reads polling answers only with them) and a 204 for their preflight.
 * Websockets need none of this; other origins get no headers, and their handshake is refused anyway.
 */
export function engineCors(policy: RequestOriginPolicy) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const origin = req.headers.origin;
    if (policy.classify(origin, req.headers.host) !== 'listed') return next();
    res.setHeader('Access-Control-Allow-Origin', origin!);
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'authorization, content-type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    next();
  };
}
