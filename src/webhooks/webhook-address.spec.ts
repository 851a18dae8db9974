import { checkWebhookUrl, isPrivateAddress, parseWebhookUrl, WebhookUrlError } from './webhook-address';

describe('webhook addresses', () => {
  it.each([
    '127.0.0.1',
    '127.255.1.2',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.5',
    '169.254.169.254', // cloud metadata
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::192.168.0.1',
    'not-an-ip',
  ])('%s is private (refused)', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '172.15.255.255',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it('takes only http(s) URLs with a host and without credentials', () => {
    expect(parseWebhookUrl('https://example.com/hook').hostname).toBe('example.com');
    for (const bad of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'example.com/x',
      'http://u:p@example.com/',
    ])
      expect(() => parseWebhookUrl(bad)).toThrow(WebhookUrlError);
  });

  it('refuses a name that resolves to any private address, unless private addresses are allowed', async () => {
    const resolve = (host: string) =>
      Promise.resolve(host === 'mixed.test' ? ['93.184.216.34', '10.0.0.7'] : ['93.184.216.34']);
    await expect(checkWebhookUrl('https://mixed.test/h', { allowPrivate: false, resolve })).rejects.toThrow(
      /resolves to 10\.0\.0\.7/,
    );
    await expect(checkWebhookUrl('https://public.test/h', { allowPrivate: false, resolve })).resolves.toBeInstanceOf(
      URL,
    );
    await expect(checkWebhookUrl('https://mixed.test/h', { allowPrivate: true, resolve })).resolves.toBeInstanceOf(URL);
  });

  it('checks IP literals (v4 and bracketed v6) without resolving, and names that do not resolve', async () => {
    const resolve = () => Promise.reject(new Error('ENOTFOUND'));
    await expect(checkWebhookUrl('http://127.0.0.1:8080/', { allowPrivate: false, resolve })).rejects.toThrow(
      /127\.0\.0\.1.*loopback, private or link-local/,
    );
    await expect(checkWebhookUrl('http://[::1]/', { allowPrivate: false, resolve })).rejects.toThrow(/::1/);
    await expect(checkWebhookUrl('http://[fe80::1]/', { allowPrivate: false, resolve })).rejects.toThrow(/fe80::1/);
    await expect(checkWebhookUrl('http://8.8.8.8/', { allowPrivate: false, resolve })).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://nowhere.invalid/', { allowPrivate: false, resolve })).rejects.toThrow(
      /does not resolve/,
    );
  });

  it('resolves localhost through the system resolver and refuses it', async () => {
    await expect(checkWebhookUrl('http://localhost:9/', { allowPrivate: false })).rejects.toThrow(WebhookUrlError);
  });
});
