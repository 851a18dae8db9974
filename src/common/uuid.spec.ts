import { isUuid, uuidv7 } from './uuid';

describe('uuidv7', () => {
  it('has version 7, the RFC variant, and the time in its first 48 bits', () => {
    const a = uuidv7(1_700_000_000_000);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
  });

  it('sorts in creation order, also within one millisecond', () => {
    const now = Date.now() + 1000;
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const later = uuidv7(now + 10_000);
    expect(later > ids[ids.length - 1]).toBe(true);
  });

  it('recognises UUIDs and nothing else', () => {
    expect(isUuid(uuidv7())).toBe(true);
    expect(isUuid('3C1A0B4E-8A6F-4BB8-9D93-7A1B2C3D4E5F')).toBe(true);
    for (const bad of [
      '',
      'abc',
      '3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5',
      '3c1a0b4e8a6f4bb89d937a1b2c3d4e5f',
      `${uuidv7()}\n`,
    ]) {
      expect(isUuid(bad)).toBe(false);
    }
  });
});
