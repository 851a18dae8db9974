/**
 * Syntax tree produced by the parser and walked by the lowering pass. Every node carries the
 * 1-based line and column of the token that errors about it should point at.
 */

export interface Pos {
  line: number;
  col: number;
}

export type Expr =
  | (Pos & { k: 'num'; value: number; isInt: boolean; depth: number })
  | (Pos & { k: 'id'; name: string; depth: number })
  | (Pos & { k: 'unary'; op: '-' | '+' | '!'; arg: Expr; depth: number })
  | (Pos & { k: 'binary'; op: string; left: Expr; right: Expr; depth: number })
  | (Pos & { k: 'call'; fn: string; args: Expr[]; depth: number })
  | (Pos & { k: 'cast'; type: string; arg: Expr; depth: number })
  /** `c[i]` inside an expression: only meaningful in if conditions. */
  | (Pos & { k: 'index'; name: string; namePos: Pos; index: IndexSpec; depth: number });

/** What is inside the brackets of `q[...]`. */
export type IndexSpec =
  | (Pos & { k: 'single'; expr: Expr })
  | (Pos & { k: 'range'; start?: Expr; step?: Expr; end?: Expr })
  | (Pos & { k: 'set'; items: Expr[] });

/** A qubit or bit operand: `q`, `q[1]`, `q[0:2]`, `q[{0, 2}]`. */
export interface Operand extends Pos {
  name: string;
  index?: IndexSpec;
}

export interface Modifier extends Pos {
  kind: 'ctrl' | 'negctrl' | 'inv' | 'pow';
  /** Control count for ctrl/negctrl (default 1), exponent for pow. */
  arg?: Expr;
}

export interface GateCall extends Pos {
  k: 'call';
  modifiers: Modifier[];
  name: string;
  namePos: Pos;
  args: Expr[];
  operands: Operand[];
}

export interface Barrier extends Pos {
  k: 'barrier';
  operands: Operand[];
}

/** A statement of a gate body. `local` and `def` are filled in when the definition is checked. */
export type GateBodyStmt = GateCall | Barrier;

export interface GateDefStmt extends Pos {
  k: 'gatedef';
  name: string;
  params: (Pos & { name: string })[];
  qubits: (Pos & { name: string })[];
  body: GateBodyStmt[];
}

export type ClassicalType = 'int' | 'uint' | 'float' | 'angle';

export type Stmt =
  | (Pos & { k: 'include'; file: string })
  | (Pos & {
      k: 'qreg' | 'creg';
      name: string;
      /** Undefined for a single `qubit q;` / `bit c;`. */
      size?: Expr;
      /** `bit c = measure q;` */
      init?: Operand;
    })
  | (Pos & { k: 'const'; type: ClassicalType; width?: Expr; name: string; value: Expr })
  | GateDefStmt
  | GateCall
  | Barrier
  | (Pos & { k: 'measure'; qubits: Operand; bits: Operand })
  | (Pos & { k: 'reset'; operands: Operand[] })
  | (Pos & { k: 'if'; cond: Expr; then: Stmt[]; else?: Stmt[]; qasm2: boolean })
  | (Pos & {
      k: 'for';
      type?: ClassicalType;
      varName: string;
      varPos: Pos;
      range: IndexSpec;
      body: Stmt[];
    })
  | (Pos & { k: 'block'; body: Stmt[] });

export interface Program {
  version: 2 | 3;
  statements: Stmt[];
}
