import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hmacHex, signatureHeader, verifySignature } from './webhook-signature';

describe('Qunest-Signature', () => {
  const secret = 'whsec_test-secret';
  const body = JSON.stringify({ id: 7, name: 'job.state', seq: 3, payload: { state: 'FINISHED' }, at: 'x' });

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, as a receiver recomputes it with node:crypto', () => {
    const header = signatureHeader(secret, body, 1_764_000_000);
    const expected = createHmac('sha256', secret).update(`1764000000.${body}`).digest('hex');
    expect(header).toBe(`t=1764000000,v1=${expected}`);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches the HMAC-SHA256 test vector of RFC 4231 (case 2)', () => {
    expect(hmacHex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('verifies its own signatures, and refuses another secret, another body, another time or an old one', () => {
    const now = 1_764_000_000;
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, header, body, now + 10)).toEqual({ ok: true, timestamp: now });
    expect(verifySignature('whsec_other', header, body, now)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifySignature(secret, header, body + ' ', now)).toEqual({ ok: false, reason: 'signature does not match' });
    const shifted = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(verifySignature(secret, shifted, body, now)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifySignature(secret, header, body, now + 301)).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    expect(verifySignature(secret, undefined, body, now).ok).toBe(false);
    expect(verifySignature(secret, 'v1=abc', body, now).ok).toBe(false);
    expect(verifySignature(secret, `t=${now}`, body, now).ok).toBe(false);
  });

  it('any body and secret round-trip; a one-character change of the body never verifies', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.nat(2_000_000_000), (key, text, t) => {
        const header = signatureHeader(key, text, t);
        expect(verifySignature(key, header, text, t).ok).toBe(true);
        expect(verifySignature(key, header, text + 'x', t).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
