import fc from 'fast-check';
import { uuidv7 } from '../common/uuid';
import { idPrefixRange } from './job-search';

describe('idPrefixRange', () => {
  it('holds every id that starts with the prefix, and only those (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.integer({ min: 1, max: 36 }), (id, other, n) => {
        const prefix = id.slice(0, n);
        const range = idPrefixRange(prefix.toUpperCase());
        expect(range).not.toBeNull();
        const [lo, hi] = range!;
        const inside = (x: string) => lo <= x && x <= hi;
        expect(inside(id)).toBe(true);
        expect(inside(other)).toBe(other.startsWith(prefix));
      }),
    );
  });

  it('answers null for text that cannot begin a UUID', () => {
    for (const q of ['grover', '0193-', 'g', '01234567-89ab-cdef-0123-456789abcdef0', ' 01', '01234567x']) {
      expect(idPrefixRange(q)).toBeNull();
    }
    const id = uuidv7();
    expect(idPrefixRange(id)).toEqual([id, id]);
    expect(idPrefixRange('0193')).toEqual([
      '01930000-0000-0000-0000-000000000000',
      '0193ffff-ffff-ffff-ffff-ffffffffffff',
    ]);
  });
});
