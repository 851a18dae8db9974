import { loadConfig } from '../config/app-config';
import { newWebhookSecret, WebhookSecrets } from './webhook-secrets';

const config = (key?: string) =>
  loadConfig({ DATABASE_URL: 'postgres://x@localhost/x', ...(key && { TOKEN_ENCRYPTION_KEY: key }) });

describe('webhook secrets at rest', () => {
  const id = '0193a0c0-0000-7000-8000-000000000001';

  it('are sealed with TOKEN_ENCRYPTION_KEY (the secret is not in the stored form) and open again', () => {
    const secrets = new WebhookSecrets(config('a-long-enough-token-encryption-key'));
    const secret = newWebhookSecret();
    const sealed = secrets.seal(id, secret);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(secrets.open(id, sealed)).toBe(secret);
    expect(secrets.seal(id, secret)).not.toBe(sealed); // a fresh IV every time
  });

  it('open only for the webhook they were sealed for, and only with the same key', () => {
    const secrets = new WebhookSecrets(config('a-long-enough-token-encryption-key'));
    const sealed = secrets.seal(id, 'whsec_x');
    expect(() => secrets.open('0193a0c0-0000-7000-8000-000000000002', sealed)).toThrow(/does not open/);
    expect(() => new WebhookSecrets(config('another-token-encryption-key-00')).open(id, sealed)).toThrow(
      /does not open/,
    );
    expect(() => new WebhookSecrets(config()).open(id, sealed)).toThrow(/TOKEN_ENCRYPTION_KEY is not set/);
  });

  it('are kept as plain.<secret> without the key, and still read once a key is set', () => {
    const plain = new WebhookSecrets(config()).seal(id, 'whsec_abc');
    expect(plain).toBe('plain.whsec_abc');
    expect(new WebhookSecrets(config('a-long-enough-token-encryption-key')).open(id, plain)).toBe('whsec_abc');
  });

  it('new secrets are 32 random bytes', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
