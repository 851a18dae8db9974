import type { Circuit } from '../circuit/circuit';
import { TranslationError, type Emitted } from '../languages';

export function emit(circuit: Circuit): Emitted {
  void circuit;
  throw new TranslationError('circuits', 'QUIL', 'the Quil emitter is not written yet');
}
