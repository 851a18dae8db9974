import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { canParse, CircuitError, parseProgram } from '../quantum';
import { Unprocessable } from '../common/errors';
import type { ProgramInputDto } from './dto/deployment.dto';

/**
 * Parses, through the engine's front ends, every program of a deployment whose language the engine
 * reads, before it is stored: a bad program is refused with 422 and {programIndex, line, column,
 * message}. Programs in other languages are stored as they are and refused when a job tries to run them.
 */
@Injectable()
export class ProgramValidator {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  validate(programs: ProgramInputDto[]): void {
    programs.forEach((program, programIndex) => {
      if (!canParse(program.assemblerLanguage)) return;
      try {
        parseProgram(program.assemblerLanguage, program.quantumCircuit, {
          maxOperations: this.config.maxCircuitOperations,
        });
      } catch (err) {
        if (err instanceof CircuitError) {
          throw new Unprocessable(`programs[${programIndex}]: ${err.message}`, {
            programIndex,
            line: err.line,
            column: err.column,
            reason: err.reason,
          });
        }
        throw err;
      }
    });
  }
}
