import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A new webhook secret: 32 random bytes, `whsec_` + base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * Keeps webhook secrets at rest. The server must be able to read a secret back to sign deliveries
 * (unlike a password, a hash will not do), so with TOKEN_ENCRYPTION_KEY set it is sealed the way
 * provider tokens are (AES-256-GCM, a key derived with scrypt under a salt of its own, the webhook id
 * as additional data): `v1.<iv>.<tag>.<ciphertext>`. Without the key it is stored as `plain.<secret>`
 * (a webhook must work on a server without that setting, and the database already holds everything
 * the events carry); a later start with the key set still reads those, and seals new ones.
 */
@Injectable()
export class WebhookSecrets {
  private readonly key?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const secret = config.auth.tokenEncryptionKey;
    if (secret) this.key = scryptSync(secret, 'qunest/webhook-secret/v1', 32);
  }

  get sealing(): boolean {
    return this.key !== undefined;
  }

  seal(webhookId: string, secret: string): string {
    if (!this.key) return `plain.${secret}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(webhookId));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext]
      .map((x) => (typeof x === 'string' ? x : x.toString('base64url')))
      .join('.');
  }

  open(webhookId: string, stored: string): string {
    if (stored.startsWith('plain.')) return stored.slice('plain.'.length);
    const parts = stored.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') throw new Error('the stored webhook secret is not in a known form');
    if (!this.key) throw new Error('the webhook secret is sealed, and TOKEN_ENCRYPTION_KEY is not set');
    const [, iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(webhookId));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the webhook secret does not open with this TOKEN_ENCRYPTION_KEY');
    }
  }
}

function aad(webhookId: string): Buffer {
  return Buffer.from(`qunest:webhook-secret:${webhookId}`, 'utf8');
}
