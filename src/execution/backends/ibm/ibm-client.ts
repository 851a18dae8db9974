import { providerJson } from '../remote/http';
import { CredentialsRefused } from '../remote/remote-errors';
import type { IamTokens } from './iam';
import { IBM_API_VERSION, type components, type paths } from './openapi/qiskit-runtime';

type Schemas = components['schemas'];

/** Who calls: an IBM Cloud API key and the CRN of the Qiskit Runtime instance it works in. */
export interface IbmAccount {
  apiKey: string;
  instance: string;
}

export interface IbmClientOptions {
  /** IBM_QUANTUM_API_URL: the API up to and without /v1. */
  apiUrl: string;
  iam: IamTokens;
  timeoutMs: number;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

/**
 * The Qiskit Runtime REST API, typed by openapi/qiskit-runtime.ts. Every call carries
 * `Authorization: Bearer <IAM token>`, `Service-CRN: <instance>` and `IBM-API-Version`; its errors are
 * those of remote/http.ts (RemoteUnavailable, CredentialsRefused, ProviderHttpError with IBM's
 * `errors[].message`). A 401 drops the cached bearer and is tried once more with a fresh one (a
 * token revoked or expired early), then is CredentialsRefused.
 */
export class IbmRuntimeClient {
  constructor(private readonly opts: IbmClientOptions) {}

  createJob(account: IbmAccount, body: Schemas['CreateJobRequest']): Promise<paths['/v1/jobs']['post']['response']> {
    return this.call(account, 'POST', '/v1/jobs', { body });
  }

  listJobs(account: IbmAccount, query: paths['/v1/jobs']['get']['query']): Promise<Schemas['JobsResponse']> {
    return this.call(account, 'GET', '/v1/jobs', { query });
  }

  getJob(account: IbmAccount, id: string): Promise<Schemas['JobResponse']> {
    return this.call(account, 'GET', `/v1/jobs/${enc(id)}`, { query: { exclude_params: true } });
  }

  jobResults(account: IbmAccount, id: string): Promise<paths['/v1/jobs/{id}/results']['get']['response']> {
    return this.call(account, 'GET', `/v1/jobs/${enc(id)}/results`);
  }

  jobMetrics(account: IbmAccount, id: string): Promise<Schemas['JobMetrics']> {
    return this.call(account, 'GET', `/v1/jobs/${enc(id)}/metrics`);
  }

  cancelJob(account: IbmAccount, id: string): Promise<void> {
    return this.call(account, 'POST', `/v1/jobs/${enc(id)}/cancel`);
  }

  listBackends(account: IbmAccount): Promise<Schemas['BackendsResponseV2']> {
    return this.call(account, 'GET', '/v1/backends');
  }

  backendStatus(account: IbmAccount, backend: string): Promise<Schemas['BackendStatusResponse']> {
    return this.call(account, 'GET', `/v1/backends/${enc(backend)}/status`);
  }

  backendProperties(account: IbmAccount, backend: string): Promise<Schemas['BackendProperties']> {
    return this.call(account, 'GET', `/v1/backends/${enc(backend)}/properties`);
  }

  backendConfiguration(account: IbmAccount, backend: string): Promise<Schemas['BackendConfiguration']> {
    return this.call(account, 'GET', `/v1/backends/${enc(backend)}/configuration`);
  }

  private async call<T>(
    account: IbmAccount,
    method: 'GET' | 'POST',
    path: string,
    req: { query?: Record<string, unknown>; body?: unknown } = {},
  ): Promise<T> {
    const url = this.opts.apiUrl + path + queryString(req.query);
    for (let attempt = 0; ; attempt++) {
      const bearer = await this.opts.iam.bearer(account.apiKey);
      const headers: Record<string, string> = {
        Authorization: `Bearer ${bearer}`,
        'Service-CRN': account.instance,
        'IBM-API-Version': IBM_API_VERSION,
        Accept: 'application/json',
      };
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      try {
        return await providerJson<T>(
          url,
          { method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) },
          { provider: 'IBM', timeoutMs: this.opts.timeoutMs, fetch: this.opts.fetch },
        );
      } catch (err) {
        if (err instanceof CredentialsRefused && err.status === 401 && attempt === 0) {
          this.opts.iam.forget(account.apiKey);
          continue;
        }
        throw err;
      }
    }
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** `?a=1&tags=x&tags=y`: arrays as repeated parameters (as IBM's clients send them). */
function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}
