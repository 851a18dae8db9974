import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.localDeviceQubits).toBe(26);
    expect(c.bodyLimitBytes).toBe(1024 * 1024);
    expect(c.auth.required).toBe(false);
  });

  it('reads values', () => {
    const c = loadConfig({ PORT: '8080', LOCAL_DEVICE_QUBITS: '20', BODY_LIMIT: '512kb', RUN_WORKERS: 'false' });
    expect(c).toMatchObject({ port: 8080, localDeviceQubits: 20, bodyLimitBytes: 512 * 1024, runWorkers: false });
  });

  it('names every bad value', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'abc', LOCAL_DEVICE_QUBITS: '99', DATABASE_URL: 'mysql://x', RUN_WORKERS: 'maybe' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      "PORT must be a whole number, got 'abc'",
      "DATABASE_URL must be a postgres: or postgresql: URL, got 'mysql:'",
      'LOCAL_DEVICE_QUBITS must be between 1 and 32, got 99',
      "RUN_WORKERS must be true or false, got 'maybe'",
    ]);
  });

  it('refuses AUTH_REQUIRED without a key source', () => {
    expect(() => loadConfig({ AUTH_REQUIRED: 'true' })).toThrow(
      /AUTH_REQUIRED=true needs AUTH_JWT_SECRET or AUTH_JWKS_URL/,
    );
  });
});
