export const JOB_STATES = ['READY', 'RUNNING', 'FINISHED', 'BLOCKED', 'ERROR', 'CANCELED'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['FINISHED', 'ERROR', 'CANCELED']);

export const JOB_TYPES = ['RUNNER', 'SAMPLER', 'ESTIMATOR'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/**
 * qunicorn-core's error mitigation methods, plus `none`, `debiasing` (IonQ's symmetrization and
 * aggregation, applied on IonQ's side) and `twirled_readout_error_extinction` (TREX, applied by the
 * noisy local device with `readout_mitigation`, `zne`, `pec` and `dd`: docs/noise.md). A method a device does not
 * apply is refused at submission.
 */
export const ERROR_MITIGATIONS = [
  'none',
  'readout_mitigation',
  'twirled_readout_error_extinction',
  'zne',
  'pec',
  'dd',
  'debiasing',
] as const;
export type ErrorMitigation = (typeof ERROR_MITIGATIONS)[number];

export const RESULT_TYPES = [
  'COUNTS',
  'PROBABILITIES',
  'QUASI_DIST',
  'VALUE_AND_VARIANCE',
  'ERROR',
  'UPLOAD_SUCCESSFUL',
] as const;
export type ResultType = (typeof RESULT_TYPES)[number];

/** Which transitions a job may make. Terminal states have none. */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  READY: ['RUNNING', 'BLOCKED', 'CANCELED', 'ERROR', 'FINISHED'],
  BLOCKED: ['READY', 'CANCELED', 'ERROR'],
  RUNNING: ['READY', 'FINISHED', 'ERROR', 'CANCELED'],
  FINISHED: [],
  ERROR: [],
  CANCELED: [],
};
