/** The syntax tree of a Quil program, as the parser builds it (positions are 1-based). */

export interface Pos {
  line: number;
  col: number;
}

export type Expr =
  | { k: 'num'; re: number; im: number; pos: Pos }
  /** `pi` */
  | { k: 'pi'; pos: Pos }
  /** `%name`, a gate or circuit parameter. */
  | { k: 'param'; name: string; pos: Pos }
  /** `name[index]` (or `name`, index 0): a memory reference. */
  | { k: 'mem'; ref: MemRef; pos: Pos }
  | { k: 'neg'; a: Expr; pos: Pos }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '^'; a: Expr; b: Expr; pos: Pos }
  | { k: 'call'; fn: string; arg: Expr; pos: Pos };

export interface MemRef {
  name: string;
  index: number;
  pos: Pos;
}

/** A qubit operand: an index, or a formal qubit of a DEFCIRCUIT. */
export type QubitArg = { k: 'index'; index: number; pos: Pos } | { k: 'formal'; name: string; pos: Pos };

/** A classical operand: a memory reference or an immediate number. */
export type Operand = { k: 'mem'; ref: MemRef; pos: Pos } | { k: 'imm'; value: number; integer: boolean; pos: Pos };

export type Modifier = 'CONTROLLED' | 'DAGGER' | 'FORKED';

export type MemoryType = 'BIT' | 'OCTET' | 'INTEGER' | 'REAL';

export interface Declare {
  k: 'declare';
  name: string;
  type: MemoryType;
  length: number;
  pos: Pos;
}

export type Instr =
  | {
      k: 'gate';
      mods: { mod: Modifier; pos: Pos }[];
      name: string;
      params: Expr[];
      qubits: QubitArg[];
      pos: Pos;
    }
  | { k: 'measure'; qubit: QubitArg; target?: MemRef; pos: Pos }
  | { k: 'reset'; qubit?: QubitArg; pos: Pos }
  | { k: 'halt'; pos: Pos }
  | { k: 'nop'; pos: Pos }
  | { k: 'wait'; pos: Pos }
  | { k: 'pragma'; pos: Pos }
  | { k: 'fence'; qubits: QubitArg[]; pos: Pos }
  | { k: 'delay'; pos: Pos }
  | { k: 'label'; name: string; pos: Pos }
  | { k: 'jump'; label: string; pos: Pos }
  | { k: 'jump-when' | 'jump-unless'; label: string; cond: MemRef; pos: Pos }
  | { k: 'move' | 'exchange' | 'convert'; a: MemRef; b: Operand; pos: Pos }
  | { k: 'unary'; op: 'NEG' | 'NOT'; a: MemRef; pos: Pos }
  | {
      k: 'arith';
      op: 'AND' | 'IOR' | 'XOR' | 'ADD' | 'SUB' | 'MUL' | 'DIV';
      a: MemRef;
      b: Operand;
      pos: Pos;
    }
  | { k: 'compare'; op: 'EQ' | 'GT' | 'GE' | 'LT' | 'LE'; r: MemRef; a: MemRef; b: Operand; pos: Pos }
  | { k: 'load'; a: MemRef; region: string; index: MemRef; pos: Pos }
  | { k: 'store'; region: string; index: MemRef; b: Operand; pos: Pos }
  | Declare;

export interface DefGate {
  name: string;
  params: string[];
  kind: 'MATRIX' | 'PERMUTATION' | 'PAULI-SUM';
  /** MATRIX: rows of entries; PERMUTATION: one row of integers. */
  rows: Expr[][];
  /** PAULI-SUM: the gate's qubit names and its terms (the gate is exp(-i sum coef * word)). */
  qubits: string[];
  terms: PauliTerm[];
  pos: Pos;
}

export interface PauliTerm {
  word: string;
  coef: Expr;
  /** For each letter of the word, the index of the gate's qubit it acts on. */
  qubits: number[];
  pos: Pos;
}

export interface DefCircuit {
  name: string;
  params: string[];
  qubits: string[];
  body: Instr[];
  pos: Pos;
}

export interface Program {
  instrs: Instr[];
  gates: Map<string, DefGate>;
  circuits: Map<string, DefCircuit>;
}
