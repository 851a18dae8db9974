import { HttpException, HttpStatus, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { Unprocessable } from '../common/errors';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MAX_CIRCUIT_LENGTH } from '../deployments/dto/deployment.dto';
import { UPLOAD_LANGUAGES } from '../deployments/languages';
import { requestPool, UserTurns } from '../deployments/program-validator';
import {
  canParse,
  CircuitError,
  EMITTED_LANGUAGES,
  ParseTimeoutError,
  SimulationLimitError,
  SimulationWorkerError,
  TranslationError,
  UnsupportedLanguageError,
  type SimulatorPool,
  type Translation,
} from '../quantum';

/** Translations of one user done at once (one runs, the others wait their turn); more answer 429. */
export const TRANSLATIONS_PER_USER = 4;

/** Longest translated program answered (characters): 8 times the longest program an upload takes. */
export const MAX_TRANSLATION_LENGTH = 8 * MAX_CIRCUIT_LENGTH;

/** 429: the user has TRANSLATIONS_PER_USER translations under way already. */
export class TooManyTranslations extends HttpException {
  constructor() {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `${TRANSLATIONS_PER_USER} translations of yours are under way already; send this one when one of them has been answered`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

export interface TranslationRequest {
  quantumCircuit: string;
  from: string;
  to: string;
}

export interface TranslationLanguages {
  /** Every language the API knows (UPLOAD_LANGUAGES). */
  languages: string[];
  /** Those the engine reads (valid `from`). */
  read: string[];
  /** Those the engine writes (valid `to`). */
  write: string[];
}

/**
 * Translates programs from one language to another through the engine (parse into the circuit IR,
 * emit in the target language), in a small pool of engine threads of its own, never on the event
 * loop. Bounded as upload validation is: PARSE_TIMEOUT_SECONDS for the whole translation (the thread
 * is terminated), ENGINE_THREAD_HEAP_MB per thread, MAX_CIRCUIT_OPERATIONS for the program's
 * expansion, MAX_TRANSLATION_LENGTH for the answer; one translation of a user at a time, at most
 * TRANSLATIONS_PER_USER waiting (then 429). Every refusal is a 422 that names the field at fault.
 */
@Injectable()
export class TranslationsService implements OnApplicationShutdown {
  private pool?: SimulatorPool;
  private readonly turns = new UserTurns(TRANSLATIONS_PER_USER, () => new TooManyTranslations());
  /** Longest translated program answered (MAX_TRANSLATION_LENGTH; tests lower it). */
  maxTranslationLength = MAX_TRANSLATION_LENGTH;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The languages of the API, in its order, and which of them the engine reads and writes. */
  languages(): TranslationLanguages {
    const writes = new Set(EMITTED_LANGUAGES);
    return {
      languages: [...UPLOAD_LANGUAGES],
      read: UPLOAD_LANGUAGES.filter((l) => canParse(l)),
      write: UPLOAD_LANGUAGES.filter((l) => writes.has(l)),
    };
  }

  async translate(req: TranslationRequest, user: Principal): Promise<Translation> {
    const known = this.languages();
    if (!known.read.includes(req.from)) throw this.unsupported('from', req.from, 'read', known.read);
    if (!known.write.includes(req.to)) throw this.unsupported('to', req.to, 'write', known.write);
    const done = await this.turns.turnOf(user.userId ?? '');
    try {
      return await this.threads().translate(
        {
          language: req.from,
          to: req.to,
          source: req.quantumCircuit,
          maxOperations: this.config.maxCircuitOperations,
          maxLength: this.maxTranslationLength,
        },
        { timeoutMs: this.config.parseTimeoutSeconds * 1000 },
      );
    } catch (err) {
      throw this.refusal(err, known);
    } finally {
      done();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }

  private unsupported(field: 'from' | 'to', language: string, role: 'read' | 'write', can: string[]): Unprocessable {
    const which = can.length ? can.join(', ') : 'none of them';
    const message =
      role === 'read'
        ? `from: the engine cannot read ${language} programs yet; it reads ${which}`
        : `to: the engine cannot write ${language} programs yet; it writes ${which}`;
    return new Unprocessable(message, { field, language, [role === 'read' ? 'read' : 'write']: can });
  }

  private refusal(err: unknown, known: TranslationLanguages): unknown {
    if (err instanceof CircuitError) {
      return new Unprocessable(`quantumCircuit: ${err.message}`, {
        field: 'quantumCircuit',
        line: err.line,
        column: err.column,
        reason: err.reason,
      });
    }
    if (err instanceof TranslationError) {
      return new Unprocessable(`to: ${err.message}`, {
        field: 'to',
        language: err.language,
        construct: err.construct,
      });
    }
    if (err instanceof UnsupportedLanguageError) {
      return err.role === 'read'
        ? this.unsupported('from', err.language, 'read', known.read)
        : this.unsupported('to', err.language, 'write', known.write);
    }
    if (err instanceof ParseTimeoutError) {
      const reason = `took too long to translate: more than ${this.config.parseTimeoutSeconds} s (PARSE_TIMEOUT_SECONDS)`;
      return new Unprocessable(`quantumCircuit: ${reason}`, {
        field: 'quantumCircuit',
        reason,
        limit: 'PARSE_TIMEOUT_SECONDS',
      });
    }
    if (err instanceof SimulationWorkerError && err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const reason = `needs more memory to translate than the ${this.config.engineThreadHeapMb} MB an engine thread may use (ENGINE_THREAD_HEAP_MB)`;
      return new Unprocessable(`quantumCircuit: ${reason}`, {
        field: 'quantumCircuit',
        reason,
        limit: 'ENGINE_THREAD_HEAP_MB',
      });
    }
    if (err instanceof SimulationLimitError) {
      return new Unprocessable(`quantumCircuit: ${err.message}`, {
        field: 'quantumCircuit',
        reason: err.message,
        limit: 'MAX_TRANSLATION_LENGTH',
      });
    }
    return err;
  }

  private threads(): SimulatorPool {
    this.pool ??= requestPool(this.config);
    return this.pool;
  }
}
