import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** The key under which a job's encrypted provider token is kept in its TransientJobState data. */
export const PROVIDER_TOKEN_KEY = 'providerToken';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Provider tokens sent with a job (the `token` of POST /api/jobs) are kept only in the job's transient
 * state, sealed with AES-256-GCM under a key derived (scrypt) from TOKEN_ENCRYPTION_KEY. The job id is
 * the additional authenticated data, so a sealed token only opens for the job it was sent with.
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>` (base64url).
 *
 * A provider adapter reads it with
 * `tokens.open(jobId, await jobs.getTransientStateKey(jobId, PROVIDER_TOKEN_KEY, null))`.
 */
@Injectable()
export class ProviderTokens {
  private readonly key?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const secret = config.auth.tokenEncryptionKey;
    if (secret) this.key = scryptSync(secret, 'qunest/provider-token/v1', 32);
  }

  /** False when TOKEN_ENCRYPTION_KEY is unset: then jobs with a token are refused (422). */
  get enabled(): boolean {
    return this.key !== undefined;
  }

  seal(jobId: string, token: string): string {
    const key = this.requireKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(jobId));
    const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  /** The token of `jobId`, or null when none was sent (or the job has ended and it is gone). */
  open(jobId: string, sealed: unknown): string | null {
    if (sealed === null || sealed === undefined) return null;
    const key = this.requireKey();
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length !== 4 || parts[0] !== VERSION)
      throw new Error('the stored provider token is not in the sealed form');
    const [, iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(jobId));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        'the stored provider token does not open with this TOKEN_ENCRYPTION_KEY (or belongs to another job)',
      );
    }
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error('TOKEN_ENCRYPTION_KEY is not set: provider tokens cannot be sealed or opened');
    return this.key;
  }
}

function aad(jobId: string): Buffer {
  return Buffer.from(`qunest:provider-token:${jobId}`, 'utf8');
}
