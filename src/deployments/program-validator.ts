import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CircuitError } from '../execution/circuit/circuit';
import { parseQasm } from '../execution/qasm';
import { Unprocessable } from '../common/errors';
import type { ProgramInputDto } from './dto/deployment.dto';

/**
 * Parses every OpenQASM program of a deployment before it is stored: a bad program is refused with
 * 422 and {programIndex, line, column, message}. Other languages are stored as they are; they are
 * refused when a job tries to run them.
 */
@Injectable()
export class ProgramValidator {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  validate(programs: ProgramInputDto[]): void {
    programs.forEach((program, programIndex) => {
      if (program.assemblerLanguage !== 'QASM2' && program.assemblerLanguage !== 'QASM3') return;
      try {
        parseQasm(program.quantumCircuit, program.assemblerLanguage, {
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
