/**
 * Types of the operations of IBM's Qiskit Runtime REST API (now "IBM Quantum Compute Service API")
 * that Qunest uses, written by hand in the shape openapi-typescript gives (`paths`, `components`).
 *
 * The machine-readable OpenAPI document is served only from IBM's site (not reachable from where this
 * was written), so these follow, for IBM-API-Version 2026-04-15:
 * - the API reference, https://quantum.cloud.ibm.com/docs/api/qiskit-runtime-rest (operations
 *   createJob, getJob, listJobs, getJobResults, getJobMetrics, cancelJob, listBackends,
 *   getBackendStatus, getBackendProperties, getBackendConfiguration);
 * - the client generated from that document by openapi-generator 7.12.0 (OpenAPI document version
 *   0.21.2) in github.com/qiskit-community/qrmi, dependencies/quantum_compute_client (models
 *   JobResponse, JobState, JobsResponse, CreateJobRequest, CreateJob200Response, JobMetrics,
 *   BackendsResponseV2, BackendStatusResponse, ListJobs400Response);
 * - qiskit-ibm-runtime 0.48 (qiskit_ibm_runtime/api/rest/*.py), which sends IBM-API-Version 2026-04-15;
 * - IBM's guides "Sampler with the REST API" and "Estimator with the REST API" for the primitives'
 *   PUBs and result JSON (Sampler V2: per register `samples` as hex strings and `num_bits`;
 *   Estimator V2: `evs` and `stds`).
 * Fields Qunest does not read are left out or typed loosely. If IBM's document becomes available,
 * `openapi-typescript <openapi.json>` produces a superset of these names.
 */

/** The IBM-API-Version header Qunest sends (the version these types follow). */
export const IBM_API_VERSION = '2026-04-15';

export interface components {
  schemas: {
    /** Every error answer of the API: `{errors: [{code, message, more_info}], trace}`. */
    ErrorResponse: {
      trace?: string;
      errors?: { code?: string; message?: string; more_info?: string }[];
    };
    CreateJobRequest: {
      /** The primitive: `sampler` or `estimator`. */
      program_id: 'sampler' | 'estimator';
      /** Name of the backend (QPU) to run on. */
      backend: string;
      /** The primitive's input: `{pubs, version: 2, options?}`. */
      params: components['schemas']['PrimitiveParams'];
      /** Tags to find the job by (GET /v1/jobs?tags=...). */
      tags?: string[];
      session_id?: string;
      log_level?: string;
      /** Maximum execution time in seconds. */
      cost?: number;
    };
    PrimitiveParams: {
      pubs: (components['schemas']['SamplerPub'] | components['schemas']['EstimatorPub'])[];
      version: 2;
      options?: Record<string, unknown>;
    };
    /** Sampler V2 PUB: [circuit (OpenQASM 3), parameter values, shots]. */
    SamplerPub: [circuit: string, parameterValues: null | unknown[], shots: number | null];
    /**
     * Estimator V2 PUB: [circuit, observables, parameter values, precision]. Observables: one object
     * `{pauli: coefficient}` (a sum), or an array of them (one expectation value each).
     */
    EstimatorPub: [
      circuit: string,
      observables: Record<string, number> | Record<string, number>[],
      parameterValues: null | unknown[],
      precision: number | null,
    ];
    CreateJobResponse: {
      id: string;
      backend: string;
      session_id?: string | null;
    };
    JobState: {
      status: components['schemas']['JobStatus'];
      reason?: string;
      reason_code?: number;
      reason_solution?: string;
    };
    /**
     * The statuses of a job. A job the service stopped because it ran longer than allowed is
     * `Cancelled` with reason_code 1305 ("Cancelled - Ran too long" in older versions).
     */
    JobStatus: 'Queued' | 'Running' | 'Completed' | 'Cancelled' | 'Failed';
    JobResponse: {
      id: string;
      backend?: string;
      state: components['schemas']['JobState'];
      /** Same as state.status (kept by IBM for older clients). */
      status: string;
      params?: Record<string, unknown>;
      program: { id: string };
      created: string;
      cost?: number;
      tags?: string[];
      session_id?: string | null;
      user_id?: string;
      usage?: { seconds?: number };
    };
    JobsResponse: {
      jobs?: components['schemas']['JobResponse'][];
      count?: number;
      offset: number;
      limit: number;
    };
    JobMetrics: {
      timestamps?: { created?: string; finished?: string; running?: string };
      usage?: {
        quantum_seconds?: number;
        seconds?: number;
        qpu_charge_time_seconds?: number;
        status?: string;
      };
      executions?: number;
      num_circuits?: number;
      num_qubits?: number[];
      circuit_depths?: number[];
      qiskit_version?: string;
      estimated_start_time?: string;
      estimated_completion_time?: string;
      position_in_queue?: number;
      position_in_provider?: number;
    };
    /** GET /v1/jobs/{id}/results of a Sampler V2 job. */
    SamplerV2Result: {
      results: {
        /** One entry per classical register of the circuit, by the register's name. */
        data: Record<string, { samples: string[]; num_bits: number }>;
        metadata?: Record<string, unknown>;
      }[];
      metadata?: components['schemas']['PrimitiveResultMetadata'];
    };
    /** GET /v1/jobs/{id}/results of an Estimator V2 job. */
    EstimatorV2Result: {
      results: {
        data: {
          evs: number | number[];
          stds: number | number[];
          ensemble_standard_error?: number | number[];
        };
        metadata?: { shots?: number; target_precision?: number } & Record<string, unknown>;
      }[];
      metadata?: components['schemas']['PrimitiveResultMetadata'];
    };
    PrimitiveResultMetadata: {
      execution?: { execution_spans?: unknown } & Record<string, unknown>;
      version?: number;
    } & Record<string, unknown>;
    /** GET /v1/backends with IBM-API-Version 2025-01-01 or later. */
    BackendsResponseV2: {
      devices?: {
        name: string;
        status: { name: string; reason?: string };
        is_simulator?: boolean;
        qubits?: number;
        queue_length: number;
        processor_type?: { family?: string; revision?: string };
        clops?: Record<string, unknown>;
        performance_metrics?: Record<string, unknown>;
      }[];
    };
    BackendStatusResponse: {
      /** Whether the backend is operational. */
      state?: boolean;
      /** e.g. `active`, `internal`, `maintenance`. */
      status?: string;
      message?: string;
      length_queue: number;
      backend_version?: string;
    };
    /** Calibration data: qubits' T1/T2/readout errors, gates' errors and lengths. */
    BackendProperties: Record<string, unknown>;
    BackendConfiguration: {
      backend_name?: string;
      n_qubits?: number;
      simulator?: boolean;
      basis_gates?: string[];
      max_shots?: number;
    } & Record<string, unknown>;
  };
}

type Schemas = components['schemas'];

/** The operations Qunest calls, by path and method: what they take and answer. */
export interface paths {
  '/v1/jobs': {
    post: { body: Schemas['CreateJobRequest']; response: Schemas['CreateJobResponse'] };
    get: {
      query: {
        tags?: string[];
        backend?: string;
        limit?: number;
        offset?: number;
        sort?: 'ASC' | 'DESC';
        pending?: boolean;
        exclude_params?: boolean;
      };
      response: Schemas['JobsResponse'];
    };
  };
  '/v1/jobs/{id}': { get: { query: { exclude_params?: boolean }; response: Schemas['JobResponse'] } };
  '/v1/jobs/{id}/results': { get: { response: Schemas['SamplerV2Result'] | Schemas['EstimatorV2Result'] } };
  '/v1/jobs/{id}/metrics': { get: { response: Schemas['JobMetrics'] } };
  /** 204 when accepted; 409 (or 400) when the job has already ended. */
  '/v1/jobs/{id}/cancel': { post: { response: void } };
  '/v1/backends': { get: { response: Schemas['BackendsResponseV2'] } };
  '/v1/backends/{id}/status': { get: { response: Schemas['BackendStatusResponse'] } };
  '/v1/backends/{id}/properties': { get: { response: Schemas['BackendProperties'] } };
  '/v1/backends/{id}/configuration': { get: { response: Schemas['BackendConfiguration'] } };
}
