import { CredentialsMissing, CredentialsRefused } from '../remote/remote-errors';
import type { RemoteCredentials } from '../quantum-backend';
import type { IbmAccount } from './ibm-client';

/** The settings of IBM (ProvidersConfig['ibm']) that credentials come from. */
export interface IbmCredentialSettings {
  token?: string;
  instance?: string;
}

const NO_TOKEN =
  'IBM jobs need credentials: give the job a token (an IBM Cloud API key), or set IBM_QUANTUM_TOKEN on the server';
const NO_INSTANCE =
  'IBM jobs need the CRN of a Qiskit Runtime instance: set IBM_QUANTUM_INSTANCE on the server, or give the job a token of the form {"apiKey": "...", "instance": "crn:v1:..."}';

/**
 * Who a call to IBM is made for. A job's token is either an IBM Cloud API key (used with the
 * server's instance, IBM_QUANTUM_INSTANCE) or JSON `{"apiKey": "...", "instance": "crn:..."}`
 * naming its own instance; without a job token, the server's IBM_QUANTUM_TOKEN and
 * IBM_QUANTUM_INSTANCE. Throws CredentialsMissing when a part is missing, CredentialsRefused for a
 * token that is JSON but not of that form.
 */
export function ibmAccount(settings: IbmCredentialSettings, creds: RemoteCredentials): IbmAccount {
  const token = creds.token?.trim() || null;
  if (token === null) {
    if (!settings.token) throw new CredentialsMissing(NO_TOKEN, 'token');
    if (!settings.instance) throw new CredentialsMissing(NO_INSTANCE, 'IBM_QUANTUM_INSTANCE');
    return { apiKey: settings.token, instance: settings.instance };
  }
  if (token.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(token);
    } catch {
      parsed = null;
    }
    const o = parsed as { apiKey?: unknown; instance?: unknown } | null;
    const apiKey = typeof o?.apiKey === 'string' ? o.apiKey.trim() : '';
    const instance = typeof o?.instance === 'string' ? o.instance.trim() : '';
    if (!apiKey || (o?.instance !== undefined && !instance)) {
      throw new CredentialsRefused(
        'the token was refused by IBM (a token given as JSON must be {"apiKey": "<IBM Cloud API key>", "instance": "<CRN>"})',
        'IBM',
      );
    }
    if (instance) return { apiKey, instance };
    if (!settings.instance) throw new CredentialsMissing(NO_INSTANCE, 'token');
    return { apiKey, instance: settings.instance };
  }
  if (!settings.instance) throw new CredentialsMissing(NO_INSTANCE, 'token');
  return { apiKey: token, instance: settings.instance };
}

/**
 * Why a job cannot be accepted for want of credentials, answered from the settings alone: no job
 * token and no server token; or no job token and no server instance. (A job token may carry its own
 * instance, which is only known when it is opened, at call time.)
 */
export function ibmCredentialsProblem(
  settings: IbmCredentialSettings,
  hasToken: boolean,
): { field: string; message: string } | null {
  if (hasToken) return null;
  if (!settings.token) return { field: 'token', message: NO_TOKEN };
  if (!settings.instance) return { field: 'token', message: NO_INSTANCE };
  return null;
}
