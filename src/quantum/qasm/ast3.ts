/**
 * Syntax tree of the OpenQASM 3 front end (parser3.ts), walked by lower3.ts. Every node carries
 * the 1-based line and column errors about it point at.
 */
import type { Pos } from './ast';

export type { Pos };

export type ScalarTypeName = 'bit' | 'bool' | 'int' | 'uint' | 'float' | 'angle' | 'complex' | 'duration' | 'stretch';

export interface TypeSpec extends Pos {
  name: ScalarTypeName | 'array' | 'qubit';
  /** `int[8]`, `bit[3]`, `angle[n]`, `qubit[3]`; for complex, the width of its float parts. */
  width?: Expr;
  /** Arrays: element type and dimensions. */
  elem?: TypeSpec;
  dims?: Expr[];
  /** Array parameters: `readonly` / `mutable`, and `#dim = n` (refused). */
  access?: 'readonly' | 'mutable';
}

export type Expr =
  | (Pos & { k: 'num'; value: number; isInt: boolean })
  | (Pos & { k: 'imag'; value: number })
  | (Pos & { k: 'duration'; value: number; unit: string })
  | (Pos & { k: 'bitstring'; text: string })
  | (Pos & { k: 'bool'; value: boolean })
  | (Pos & { k: 'id'; name: string })
  | (Pos & { k: 'phys'; index: number })
  | (Pos & { k: 'unary'; op: '-' | '+' | '!' | '~'; arg: Expr })
  | (Pos & { k: 'binary'; op: string; left: Expr; right: Expr })
  | (Pos & { k: 'call'; fn: string; args: Expr[] })
  | (Pos & { k: 'cast'; type: TypeSpec; arg: Expr })
  | (Pos & { k: 'index'; base: Expr; index: IndexSpec[] })
  | (Pos & { k: 'measure'; operand: Expr })
  | (Pos & { k: 'array'; items: Expr[] })
  | (Pos & { k: 'set'; items: Expr[] })
  | (Pos & { k: 'range'; start?: Expr; step?: Expr; end?: Expr })
  | (Pos & { k: 'durationof'; body: Stmt[] });

/** One comma-separated entry inside brackets: an expression, a range or a set. */
export type IndexSpec = Expr;

export interface Modifier extends Pos {
  kind: 'ctrl' | 'negctrl' | 'inv' | 'pow';
  arg?: Expr;
}

export interface GateCall extends Pos {
  k: 'gatecall';
  modifiers: Modifier[];
  name: string;
  namePos: Pos;
  args: Expr[];
  operands: Expr[];
}

export interface Param extends Pos {
  name: string;
  type?: TypeSpec;
}

export type Stmt =
  | (Pos & { k: 'include'; file: string })
  | (Pos & { k: 'qubit'; name: string; size?: Expr })
  | (Pos & {
      k: 'decl';
      type: TypeSpec;
      name: string;
      namePos: Pos;
      init?: Expr;
      isConst: boolean;
      io?: 'input' | 'output';
    })
  | (Pos & { k: 'gatedef'; name: string; params: Param[]; qubits: Param[]; body: Stmt[] })
  | (Pos & { k: 'def'; name: string; params: Param[]; returns?: TypeSpec; body: Stmt[] })
  | GateCall
  | (Pos & { k: 'expr'; expr: Expr })
  | (Pos & { k: 'assign'; target: Expr; op: string; value: Expr })
  | (Pos & { k: 'measurearrow'; qubits: Expr; bits?: Expr })
  | (Pos & { k: 'reset'; operand: Expr })
  | (Pos & { k: 'barrier'; operands: Expr[] })
  | (Pos & { k: 'delay'; duration?: Expr; operands: Expr[] })
  | (Pos & { k: 'box'; body: Stmt[] })
  | (Pos & { k: 'if'; cond: Expr; then: Stmt[]; else?: Stmt[] })
  | (Pos & { k: 'for'; type?: TypeSpec; varName: string; varPos: Pos; iter: Expr; body: Stmt[] })
  | (Pos & { k: 'while'; cond: Expr; body: Stmt[] })
  | (Pos & { k: 'break' | 'continue' | 'end' })
  | (Pos & { k: 'return'; value?: Expr })
  | (Pos & { k: 'switch'; subject: Expr; cases: { values: Expr[]; body: Stmt[]; pos: Pos }[]; default?: Stmt[] })
  | (Pos & { k: 'alias'; name: string; value: Expr })
  | (Pos & { k: 'block'; body: Stmt[] })
  | (Pos & { k: 'nop' });

export interface Program3 {
  statements: Stmt[];
}
