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

  it('has a per-job time limit and a per-user cap on running jobs, validated', () => {
    expect(loadConfig({ WORKER_CONCURRENCY: '4' })).toMatchObject({
      jobTimeoutSeconds: 3600,
      maxRunningJobsPerUser: 3,
      healthEventLoopDelayMs: 500,
    });
    expect(loadConfig({ WORKER_CONCURRENCY: '1' }).maxRunningJobsPerUser).toBe(1);
    expect(
      loadConfig({ JOB_TIMEOUT_SECONDS: '2', MAX_RUNNING_JOBS_PER_USER: '0', HEALTH_EVENT_LOOP_DELAY_MS: '100' }),
    ).toMatchObject({ jobTimeoutSeconds: 2, maxRunningJobsPerUser: 0, healthEventLoopDelayMs: 100 });
    expect(() =>
      loadConfig({ JOB_TIMEOUT_SECONDS: '0', MAX_RUNNING_JOBS_PER_USER: '-1', HEALTH_EVENT_LOOP_DELAY_MS: 'x' }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          'JOB_TIMEOUT_SECONDS must be between 1 and 82800, got 0',
          "HEALTH_EVENT_LOOP_DELAY_MS must be a whole number, got 'x'",
          'MAX_RUNNING_JOBS_PER_USER must be between 0 and 100000, got -1',
        ],
      }),
    );
    expect(() => loadConfig({ JOB_TIMEOUT_SECONDS: '86400' })).toThrow(
      /JOB_TIMEOUT_SECONDS must be between 1 and 82800/,
    );
  });

  it('refuses AUTH_REQUIRED without a key source', () => {
    expect(() => loadConfig({ AUTH_REQUIRED: 'true' })).toThrow(
      /AUTH_REQUIRED=true needs AUTH_JWT_SECRET or AUTH_JWKS_URL/,
    );
  });

  describe('CORS_ORIGINS and ALLOWED_HOSTS', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };

    it('default to no other origin and to the built-in host list', () => {
      const c = loadConfig({});
      expect(c.corsOrigins).toEqual([]);
      expect(c.allowedHosts).toBeUndefined();
    });

    it('read exact origins and host names, normalized', () => {
      const c = loadConfig({
        CORS_ORIGINS: ' https://App.example.com , http://localhost:8080/,https://x.example:443',
        ALLOWED_HOSTS: 'Qunest.example.com, 10.0.0.5, ::1, [fe80::1], lab.',
      });
      expect(c.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:8080', 'https://x.example']);
      expect(c.allowedHosts).toEqual(['qunest.example.com', '10.0.0.5', '[::1]', '[fe80::1]', 'lab']);
    });

    it('name an entry that is not an origin or a host', () => {
      expect(
        problems({
          CORS_ORIGINS: 'https://a.example/path,app.example.com,ftp://f.example,null',
          ALLOWED_HOSTS: 'x.example:3000,http://y',
        }),
      ).toEqual([
        "CORS_ORIGINS: 'https://a.example/path' is not an origin such as https://app.example.com or http://localhost:8080",
        "CORS_ORIGINS: 'app.example.com' is not an origin such as https://app.example.com or http://localhost:8080",
        "CORS_ORIGINS: 'ftp://f.example' is not an origin such as https://app.example.com or http://localhost:8080",
        "CORS_ORIGINS: 'null' is not an origin such as https://app.example.com or http://localhost:8080",
        "ALLOWED_HOSTS: 'x.example:3000' is not a host name or IP address (leave out scheme and port)",
        "ALLOWED_HOSTS: 'http://y' is not a host name or IP address (leave out scheme and port)",
      ]);
      expect(problems({ ALLOWED_HOSTS: ' , ' })).toEqual(['ALLOWED_HOSTS is empty; leave it unset for the defaults']);
    });

    it('take * alone, and CORS_ORIGINS=* only with a key source', () => {
      expect(problems({ CORS_ORIGINS: '*' })).toEqual([
        'CORS_ORIGINS=* needs AUTH_JWT_SECRET or AUTH_JWKS_URL: in open mode it would let every website use the API as admin',
      ]);
      expect(loadConfig({ CORS_ORIGINS: '*', AUTH_JWKS_URL: 'https://idp.example/jwks' }).corsOrigins).toEqual(['*']);
      expect(loadConfig({ ALLOWED_HOSTS: '*' }).allowedHosts).toEqual(['*']);
      expect(
        problems({ CORS_ORIGINS: '*,https://a.example', ALLOWED_HOSTS: 'a,*', AUTH_JWKS_URL: 'https://i/j' }),
      ).toEqual([
        "CORS_ORIGINS: '*' admits every origin and stands alone, got '*,https://a.example'",
        "ALLOWED_HOSTS: '*' admits every host and stands alone, got 'a,*'",
      ]);
    });
  });
});
