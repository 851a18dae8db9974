import { BadRequestException } from '@nestjs/common';
import { checkInput, INPUT_LIMITS, RejectNulPipe } from './validation';

describe('checkInput', () => {
  it('finds nothing wrong with ordinary bodies', () => {
    expect(checkInput({ name: 'bell 😀', programs: [{ quantumCircuit: 'x', n: 1, ok: true, none: null }] })).toBeNull();
    expect(checkInput({})).toBeNull();
    expect(checkInput(undefined)).toBeNull();
  });

  it('names the first string with NUL or an unpaired surrogate, in document order', () => {
    expect(checkInput({ a: 'fine', b: [{ c: 'x\u0000' }], d: '\ud800' })).toEqual({
      field: 'b[0].c',
      message: 'b[0].c must not contain the NUL character (\\u0000)',
    });
    expect(checkInput({ a: ['ok', 'x\udc00'] })?.field).toBe('a[1]');
    expect(checkInput('\u0000', 'query')).toEqual({
      field: 'query',
      message: 'query must not contain the NUL character (\\u0000)',
    });
  });

  it('names the object of a bad key, and quotes and cuts odd keys in paths', () => {
    expect(checkInput({ a: { 'x\u0000': 1 } })?.message).toBe('a has a key that contains the NUL character (\\u0000)');
    expect(checkInput({ 'a-b': { c: '\u0000' } })?.field).toBe('["a-b"].c');
    expect(checkInput({ ['k'.repeat(1000)]: '\u0000' })?.field).toBe(`["${'k'.repeat(64)}…"]`);
  });

  it('bounds keys per object, depth and values, naming where', () => {
    const wide = Object.fromEntries(Array.from({ length: INPUT_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, i]));
    expect(checkInput({ list: [wide] })).toEqual({
      field: 'list[0]',
      message: 'list[0] has 1001 keys, more than the 1000 one object may have',
    });
    expect(checkInput(Object.fromEntries(Object.entries(wide).slice(1)))).toBeNull();

    let deep: unknown = [];
    for (let i = 1; i < INPUT_LIMITS.maxDepth; i++) deep = [deep];
    expect(checkInput(deep)).toBeNull();
    expect(checkInput({ x: deep })).toEqual({
      field: `x${'[0]'.repeat(63)}`,
      message: `x${'[0]'.repeat(63)} is nested more than 64 levels deep`,
    });
    let veryDeep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) veryDeep = { a: veryDeep };
    expect(checkInput(veryDeep)?.message).toContain('is nested more than 64 levels deep');

    expect(checkInput(new Array(INPUT_LIMITS.maxValues - 1).fill(0))).toBeNull();
    expect(checkInput({ a: new Array(INPUT_LIMITS.maxValues).fill(0) })).toEqual({
      field: 'body',
      message: 'body has more than 10000 values in all',
    });
  });
});

describe('RejectNulPipe', () => {
  const pipe = new RejectNulPipe();

  it('checks bodies and queries only, and answers 400 with the field', () => {
    const bad = { name: 'x\ud800' };
    expect(pipe.transform(bad, { type: 'param' })).toBe(bad);
    expect(pipe.transform({ name: 'ok' }, { type: 'body' })).toEqual({ name: 'ok' });
    let err: unknown;
    try {
      pipe.transform(bad, { type: 'body' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadRequestException);
    expect((err as BadRequestException).getResponse()).toMatchObject({
      statusCode: 400,
      errors: [{ field: 'name', message: expect.stringContaining('name must not contain an unpaired surrogate') }],
    });
  });
});
