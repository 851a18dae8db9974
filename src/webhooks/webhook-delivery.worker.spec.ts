import { ConfigError, loadConfig } from '../config/app-config';
import { retryDelaySeconds } from './webhook-delivery.worker';

const DB = { DATABASE_URL: 'postgres://x@localhost/x' };

describe('webhook settings and retry delays', () => {
  it('default to a 10 s first retry, 8 attempts, a 5 s timeout and no private addresses', () => {
    expect(loadConfig(DB).webhooks).toEqual({
      retryBaseSeconds: 10,
      maxAttempts: 8,
      timeoutSeconds: 5,
      allowPrivate: false,
    });
    expect(
      loadConfig({
        ...DB,
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_MAX_ATTEMPTS: '12',
        WEBHOOK_TIMEOUT_SECONDS: '2',
        WEBHOOK_ALLOW_PRIVATE: 'true',
      }).webhooks,
    ).toEqual({ retryBaseSeconds: 1, maxAttempts: 12, timeoutSeconds: 2, allowPrivate: true });
  });

  it('a bad value stops start-up with a message that names it', () => {
    let error: unknown;
    try {
      loadConfig({ ...DB, WEBHOOK_RETRY_BASE_SECONDS: '0', WEBHOOK_ALLOW_PRIVATE: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/WEBHOOK_RETRY_BASE_SECONDS/);
    expect(problems).toMatch(/WEBHOOK_ALLOW_PRIVATE/);
  });

  it('start at the base and double: with the defaults the 8 attempts are at 0, 10, 30, 70, 150, 310, 630, 1270 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(10, n))).toEqual([10, 20, 40, 80, 160, 320, 640]);
    const at = [0];
    for (let n = 1; n < 8; n++) at.push(at[n - 1] + retryDelaySeconds(10, n));
    expect(at).toEqual([0, 10, 30, 70, 150, 310, 630, 1270]);
  });
});
