import { echo, hasUnpairedSurrogate } from './text';

describe('hasUnpairedSurrogate', () => {
  it('finds a lone high or low surrogate anywhere, and nothing in proper pairs', () => {
    for (const bad of ['\ud800', 'x\ud800', '\ud800x', '\udc00', 'a\udc00b', '\udc00\ud800', '😀\ud83d'])
      expect(hasUnpairedSurrogate(bad)).toBe(true);
    for (const good of ['', 'plain', 'qubits 😀', '😀😀', '\ud83d\ude00', 'ü∑'])
      expect(hasUnpairedSurrogate(good)).toBe(false);
  });
});

describe('echo', () => {
  it('keeps short text and cuts long text at 64 code points with an ellipsis', () => {
    expect(echo('jobid')).toBe('jobid');
    expect(echo('k'.repeat(64))).toBe('k'.repeat(64));
    expect(echo('k'.repeat(900_000))).toBe(`${'k'.repeat(64)}…`);
  });

  it('never cuts a surrogate pair in half', () => {
    expect(echo('😀'.repeat(100))).toBe(`${'😀'.repeat(64)}…`);
    expect(echo(`${'k'.repeat(63)}😀😀`)).toBe(`${'k'.repeat(63)}😀…`);
    expect(echo('😀'.repeat(40))).toBe('😀'.repeat(40));
  });
});
