/**
 * Syntax tree of the OpenQASM 2 front end (parser.ts), walked by lower.ts. Every node carries the
 * 1-based line and column of the token that errors about it should point at.
 */

export interface Pos {
  line: number;
  col: number;
}

/** `^` is OpenQASM 2's power operator. */
export type BinaryOp = '+' | '-' | '*' | '/' | '^';

export type Expr =
  | (Pos & { k: 'num'; value: number; depth: number })
  | (Pos & { k: 'id'; name: string; depth: number })
  | (Pos & { k: 'unary'; op: '-' | '+'; arg: Expr; depth: number })
  | (Pos & { k: 'binary'; op: BinaryOp; left: Expr; right: Expr; depth: number })
  | (Pos & { k: 'call'; fn: string; args: Expr[]; depth: number });

/** An integer literal (register size, index, if value), at its token. */
export type IntLit = Pos & { value: number };

/** A qubit or bit operand: `q` or `q[1]`. */
export interface Operand extends Pos {
  name: string;
  /** The index, at its number; `bracket` is where its `[` is. */
  index?: IntLit & { bracket: Pos };
}

/** A gate call; its position is its name's. */
export interface GateCall extends Pos {
  k: 'call';
  name: string;
  args: Expr[];
  operands: Operand[];
}

export interface Barrier extends Pos {
  k: 'barrier';
  operands: Operand[];
}

export type Measure = Pos & { k: 'measure'; qubits: Operand; bits: Operand };
export type Reset = Pos & { k: 'reset'; operand: Operand };

export type GateBodyStmt = GateCall | Barrier;

export interface GateDefStmt extends Pos {
  k: 'gatedef';
  name: string;
  params: (Pos & { name: string })[];
  qubits: (Pos & { name: string })[];
  body: GateBodyStmt[];
}

export type Stmt =
  | (Pos & { k: 'include'; file: string })
  | (Pos & { k: 'qreg' | 'creg'; name: string; size: IntLit })
  | GateDefStmt
  | GateCall
  | Barrier
  | Measure
  | Reset
  /** `if (c == 3) body;` or `if (c[0] == 1) body;`: the body runs when the bits read `value`. */
  | (Pos & { k: 'if'; creg: Operand; value: number; body: GateCall | Measure | Reset });

export interface Program {
  statements: Stmt[];
}
