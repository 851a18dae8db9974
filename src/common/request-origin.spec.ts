import { hostname } from 'node:os';
import { defaultAllowedHosts, RequestOriginPolicy } from './request-origin';

describe('RequestOriginPolicy', () => {
  const open = new RequestOriginPolicy({ corsOrigins: ['https://app.example'], checkHost: true, host: '0.0.0.0' });
  const authOn = new RequestOriginPolicy({ corsOrigins: [], checkHost: false, host: '0.0.0.0' });

  it('classifies origins: none, the request’s own (http or https), listed, refused', () => {
    expect(open.classify(undefined, 'localhost:3000')).toBe('none');
    expect(open.classify('http://localhost:3000', 'localhost:3000')).toBe('same');
    expect(open.classify('https://q.example', 'q.example:443')).toBe('same');
    expect(open.classify('https://q.example', 'q.example')).toBe('same');
    expect(open.classify('http://[::1]:3000', '[::1]:3000')).toBe('same');
    expect(open.classify('https://app.example', 'localhost:3000')).toBe('listed');
    expect(open.classify('http://evil.example', 'localhost:3000')).toBe('refused');
    expect(open.classify('http://localhost:3001', 'localhost:3000')).toBe('refused');
    expect(open.classify('null', 'localhost:3000')).toBe('refused');
    expect(open.classify('http://localhost:3000', 'localhost:3000/x')).toBe('refused');
    expect(open.classify('http://localhost:3000', undefined)).toBe('refused');
    expect(
      new RequestOriginPolicy({ corsOrigins: ['*'], checkHost: false, host: '::' }).classify(
        'http://evil.example',
        'q',
      ),
    ).toBe('listed');
  });

  it('checks Host in open mode against localhost names, IP literals, HOST and the machine name, port ignored', () => {
    for (const host of [
      'localhost:3000',
      'LOCALHOST',
      '127.0.0.1:1',
      '[::1]:3000',
      '10.1.2.3:3000',
      `${hostname()}:3000`,
      undefined,
    ])
      expect(open.hostProblem(host)).toBeUndefined();
    expect(open.hostProblem('evil.example:3000')).toBe(
      "Host 'evil.example:3000' is not allowed; list its name in ALLOWED_HOSTS",
    );
    expect(open.hostProblem('localhost.evil.example')).toBeDefined();
    expect(open.hostProblem('localhost/x')).toBeDefined();
    expect(authOn.hostProblem('evil.example')).toBeUndefined();
    expect(authOn.checksHost).toBe(false);
  });

  it('uses ALLOWED_HOSTS alone when set, also with auth on; * turns the check off', () => {
    const listed = new RequestOriginPolicy({
      corsOrigins: [],
      allowedHosts: ['q.example'],
      checkHost: false,
      host: '::',
    });
    expect(listed.hostProblem('q.example:8443')).toBeUndefined();
    expect(listed.hostProblem('localhost:3000')).toBeDefined();
    expect(listed.hostProblem('10.1.2.3')).toBeDefined();
    const any = new RequestOriginPolicy({ corsOrigins: [], allowedHosts: ['*'], checkHost: true, host: '::' });
    expect(any.hostProblem('evil.example')).toBeUndefined();
  });

  it('adds HOST to the defaults when it names one address', () => {
    expect(defaultAllowedHosts('0.0.0.0')).not.toContain('0.0.0.0');
    expect(defaultAllowedHosts('::')).not.toContain('[::]');
    expect(defaultAllowedHosts('qunest.lan')).toContain('qunest.lan');
    expect(defaultAllowedHosts('fe80::1')).toContain('[fe80::1]');
  });
});
