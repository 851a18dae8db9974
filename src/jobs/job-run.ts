import type { NoiseModel } from '../quantum';
import type { Observable } from './job.entity';
import type { ErrorMitigation, JobType } from './job.enums';

/**
 * A started job as the worker needs it to execute: plain data, read in the unit of work that started
 * it. JobsService.start answers it; the backends receive it as it is.
 */
export interface JobRun {
  jobId: string;
  /** How many times a worker has started it, this time included. */
  attempts: number;
  device: TargetDevice;
  /**
   * The programs the job was submitted with, in order (its deployment's revision then), whatever
   * became of the deployment since; empty only for a job whose deployment was deleted before
   * programs were kept for their jobs (docs/decisions/0006-immutable-programs.md).
   */
  programs: ProgramSource[];
  settings: RunSettings;
}

/** The device a job runs on. */
export interface TargetDevice {
  id: string;
  providerName: string;
  name: string;
  numQubits: number;
  /** The provider's supportedLanguages (what jobs were admitted with). */
  acceptedLanguages: readonly string[];
  /** Runs on this service's engine; else at its provider (a remote backend). */
  isLocal: boolean;
  /** A remote device's id at its provider (Braket ARN, IBM backend name); null for local devices. */
  providerDeviceId: string | null;
  /** A noisy local device's noise model: its programs run on the noisy engine. Null or absent otherwise. */
  noiseModel?: NoiseModel | null;
}

/** One program of a job, in the language it was stored in. */
export interface ProgramSource {
  id: string;
  position: number;
  language: string;
  source: string;
}

export interface RunSettings {
  shots: number;
  seed: number | null;
  type: JobType;
  observables: Observable[] | null;
  /** `none`, or a method the device's backend applies (admitted only then: see RemoteBackend.errorMitigations). */
  errorMitigation: ErrorMitigation;
  /**
   * Circuit cutting: programs wider than this run as recombined fragments of at most this many
   * qubits (admitted on ideal local devices only). Null or absent: uncut.
   */
  cutToWidth?: number | null;
}
