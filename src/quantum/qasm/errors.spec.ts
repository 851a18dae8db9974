import { CircuitError } from '../circuit/circuit';
import { parseQasm, type QasmLanguage } from '.';

function errorOf(src: string, language?: QasmLanguage): CircuitError {
  try {
    parseQasm(src, language);
  } catch (err) {
    expect(err).toBeInstanceOf(CircuitError);
    return err as CircuitError;
  }
  throw new Error('expected a CircuitError');
}

const V2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const V3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n';

// [source, message, line, column, language?]; line 3 is the first line after the header and include.
type Case = [string, string, number, number, QasmLanguage?];
// Rows of equal length: jest passes a done callback in place of a missing last argument.
const withLanguage = (c: Case) => [c[0], c[1], c[2], c[3], c[4] ?? null] as const;

describe('OpenQASM 2 errors', () => {
  const cases: Case[] = [
    // syntax
    [V2 + 'qreg q[2];\nh q[0]\nh q[1];', "expected ';' but found 'h'", 5, 1],
    [V2 + 'qreg q[2]', "expected ';' but found end of input", 3, 10],
    [V2 + 'qreg q[2];\ncx q[0] q[1];', "expected ';' but found 'q'", 4, 9],
    [V2 + 'qreg q[2];\nh q[0.5];', "expected an integer index but found '0.5'", 4, 5],
    [V2 + 'qreg q[2];\nrx(pi/) q[0];', "expected an expression but found ')'", 4, 7],
    [V2 + 'qreg q[2];\nh q[0]; `', "unexpected character '`'", 4, 9],
    [V2 + 'qreg q[2];\nh q[0]; %', "expected a statement but found '%'", 4, 9],
    [V2 + 'qreg q[2];\nh q;\n/* never closed', 'unterminated block comment', 5, 1],
    [V2 + 'qreg q[2];\nrx(2**2) q[0];', "expected ')' but found '**'", 4, 5],
    [V2 + 'qreg q[1];\nh q[0x1];', "invalid number '0x1'", 4, 5],
    ['qreg q[1];', "expected 'OPENQASM 2.0;' at the start of the program but found 'qreg'", 1, 1, 'QASM2'],
    ['OPENQASM 2.0;\nOPENQASM 2.0;', "'OPENQASM' must be the first statement of the program", 2, 1],
    // header and includes
    ['OPENQASM 2.1;\nqreg q[1];', "unsupported OpenQASM version '2.1'", 1, 10],
    ['OPENQASM 4;', "unsupported OpenQASM version '4'", 1, 10],
    ['// version\nOPENQASM\n  4.0;', "unsupported OpenQASM version '4.0'", 3, 3],
    // Without a header (and without a language) a program is OpenQASM 3 (unless it starts with
    // include "qelib1.inc"), where stdgates names resolve without an include.
    ['qreg q[1];\nfoo q[0];', "unknown gate 'foo'", 2, 1],
    [
      'OPENQASM 2.0;\ninclude "stdgates.inc";',
      'cannot include "stdgates.inc": the only include file available is "qelib1.inc"',
      2,
      9,
    ],
    [V2 + 'include "qelib1.inc";', '"qelib1.inc" is already included', 3, 9],
    [
      'OPENQASM 2.0;\ngate h a { U(pi/2, 0, pi) a; }\ninclude "qelib1.inc";',
      'gate \'h\' of "qelib1.inc" is already defined',
      3,
      9,
    ],
    // names
    [V2 + 'qreg q[1];\nfoo q[0];', "unknown gate 'foo'", 4, 1],
    [
      'OPENQASM 2.0;\nqreg q[1];\nh q[0];',
      'unknown gate \'h\' (it is defined in "qelib1.inc": add \'include "qelib1.inc";\')',
      3,
      1,
    ],
    [V2 + 'qreg q[1];\nh r[0];', "unknown qubit register 'r'", 4, 3],
    [V2 + 'qreg q[1];\ncreg c[1];\nh c[0];', "'c' is a classical register, not a qubit register", 5, 3],
    [V2 + 'qreg q[1];\ncreg c[1];\nmeasure q[0] -> q[0];', "'q' is a qubit register, not a classical register", 5, 17],
    [V2 + 'qreg q[1];\nrx(theta) q[0];', "unknown identifier 'theta'", 4, 4],
    [V2 + 'qreg q[1];\nrx(foo(1)) q[0];', "unknown function 'foo'", 4, 4],
    [V2 + 'qreg q[1];\nrx(sin(1, 2)) q[0];', "function 'sin' takes 1 argument but 2 were given", 4, 4],
    [V2 + 'qreg q[1];\ncreg c[1];\nrx(c) q[0];', "classical register 'c' cannot be used in an expression", 5, 4],
    [V2 + 'opaque magic(a) q;', "opaque gate 'magic' is not supported", 3, 8],
    // declarations
    [V2 + 'qreg q[2];\ncreg q[2];', "'q' is already declared as a qubit register", 4, 6],
    [V2 + 'qreg q[2];\nqreg q[1];', "'q' is already declared as a qubit register", 4, 6],
    [V2 + 'qreg h[2];', "'h' is already declared as a gate", 3, 6],
    [V2 + 'qreg q[0];', 'register size must be at least 1, not 0', 3, 8],
    [V2 + 'gate h a { x a; }', 'gate \'h\' is already defined (by "qelib1.inc")', 3, 6],
    [V2 + 'gate g a { x a; }\ngate g b { y b; }', "gate 'g' is already defined", 4, 6],
    [V2 + 'gate g(a, a) b { rx(a) b; }', "duplicate parameter 'a' in gate 'g'", 3, 11],
    [V2 + 'gate g a, a { x a; }', "duplicate name 'a' in the arguments of gate 'g'", 3, 11],
    [
      V2 + 'gate g a { x b; }',
      "unknown qubit 'b' in gate 'g' (a gate body can use only the gate's own qubit arguments)",
      3,
      14,
    ],
    [
      V2 + 'qreg q[1];\ngate g a { x q; }',
      "unknown qubit 'q' in gate 'g' (a gate body can use only the gate's own qubit arguments)",
      4,
      14,
    ],
    [V2 + 'gate g a { x a[0]; }', 'qubit arguments cannot be indexed inside a gate definition', 3, 15],
    [V2 + 'gate g a { g a; }', "gate 'g' cannot call itself", 3, 12],
    [V2 + 'gate g a { foo a; }', "unknown gate 'foo'", 3, 12],
    [V2 + 'gate g(t) a { rx(s) a; }', "unknown identifier 's'", 3, 18],
    [V2 + 'gate g a, b { cx a, a; }', "qubit 'a' is used more than once in 'cx'", 3, 21],
    [V2 + 'gate g a { measure a -> c[0]; }', "'measure' is not allowed inside a gate definition", 3, 12],
    [V2 + 'gate g a { reset a; }', "'reset' is not allowed inside a gate definition", 3, 12],
    // arity and indices
    [V2 + 'qreg q[2];\ncx q[0];', "'cx' takes 2 qubits but 1 was given", 4, 1],
    [V2 + 'qreg q[3];\nh q[0], q[1];', "'h' takes 1 qubit but 2 were given", 4, 1],
    [V2 + 'qreg q[1];\nrx q[0];', "gate 'rx' takes 1 parameter but 0 were given", 4, 1],
    [V2 + 'qreg q[1];\nh(0.1) q[0];', "gate 'h' takes 0 parameters but 1 was given", 4, 1],
    [V2 + 'qreg q[1];\nu3(1, 2) q[0];', "gate 'u3' takes 3 parameters but 2 were given", 4, 1],
    [V2 + 'qreg q[3];\nh q[5];', "qubit index 5 out of range for register 'q' of size 3", 4, 5],
    [
      V2 + 'qreg q[3];\ncreg c[2];\nmeasure q[0] -> c[2];',
      "bit index 2 out of range for register 'c' of size 2",
      5,
      19,
    ],
    [V2 + 'qreg q[2];\ncx q[0], q[0];', "qubit q[0] is used more than once in 'cx'", 4, 10],
    [V2 + 'qreg q[3];\nccx q[0], q[1], q[1];', "qubit q[1] is used more than once in 'ccx'", 4, 17],
    [V2 + 'qreg q[2];\ncx q, q[1];', "qubit q[1] is used more than once in 'cx'", 4, 7],
    [
      V2 + 'qreg a[2];\nqreg b[3];\ncx a, b;',
      "register sizes do not match in 'cx': 'a' has 2 qubits but 'b' has 3",
      5,
      7,
    ],
    [V2 + 'qreg q[2];\ncreg c[3];\nmeasure q -> c;', "cannot measure 2 qubits ('q') into 3 bits ('c')", 5, 14],
    [V2 + 'qreg q[2];\ncreg c[2];\nmeasure q[0] -> c;', "cannot measure 1 qubit ('q[0]') into 2 bits ('c')", 5, 17],
    // expressions
    [V2 + 'qreg q[1];\nrx(1/0) q[0];', 'division by zero', 4, 5],
    [V2 + 'qreg q[1];\nrx(ln(0)) q[0];', 'ln(0) is not a finite real number', 4, 4],
    [V2 + 'qreg q[1];\nrx(sqrt(-1)) q[0];', 'sqrt(-1) is not a finite real number', 4, 4],
    [V2 + 'qreg q[1];\nrx(10^1000) q[0];', '10 ^ 1000 is not a finite real number', 4, 6],
    [V2 + 'qreg q[1];\ngate g(a) x { rx(1/a) x; }\ng(0) q[0];', 'division by zero', 4, 19],
    // if
    [V2 + 'qreg q[1];\ncreg c[1];\nif (q == 1) x q[0];', "'q' is a qubit register, not a classical register", 5, 5],
    [
      V2 + 'qreg q[1];\ncreg c[1];\nif (c == 1) barrier q;',
      "expected a gate, 'measure' or 'reset' after 'if (...)' but found 'barrier'",
      5,
      13,
    ],
    [V2 + 'qreg q[1];\ncreg c[1];\nif (c = 1) x q[0];', "expected '==' but found '='", 5, 7],
    [V2 + 'qreg q[1];\ncreg c[1];\nif (c == -1) x q[0];', "expected an integer but found '-'", 5, 10],
    // OpenQASM 3 syntax in an OpenQASM 2 program
    [V2 + 'qubit q;', "unknown gate 'qubit'", 3, 1],
    ['OPENQASM 3;\nqreg q[1];', 'the program declares OpenQASM 3 but was submitted as QASM2', 1, 10],
  ];
  it.each(cases.map(withLanguage))('%j', (src, message, line, column, language) => {
    const err = errorOf(src, language ?? (src.startsWith('OPENQASM 3') ? 'QASM2' : undefined));
    expect({ message: err.reason, line: err.line, column: err.column }).toEqual({ message, line, column });
    expect(err.message).toBe(`${message} (line ${line}, column ${column})`);
  });
});

describe('OpenQASM 3 errors', () => {
  const cases: Case[] = [
    // Features that need a control system or the host are refused at parse, naming the feature;
    // the rest of OpenQASM 3 is accepted (see qasm3-classical.spec.ts); these are mistakes.
    [V3 + 'input float theta;', "OpenQASM 3 feature 'input' is not supported", 3, 1],
    [V3 + 'extern f(int) -> int;', "OpenQASM 3 feature 'extern' is not supported", 3, 1],
    [V3 + 'cal { }', "OpenQASM 3 feature 'cal' is not supported", 3, 1],
    [V3 + 'defcal x $0 { }', "OpenQASM 3 feature 'defcal' is not supported", 3, 1],
    [V3 + 'defcalgrammar "openpulse";', "OpenQASM 3 feature 'defcalgrammar' is not supported", 3, 1],
    [V3 + 'int x = 5;', "'x' is already declared as a gate", 3, 5],
    [V3 + 'float[64] x;', "'x' is already declared as a gate", 3, 11],
    [V3 + 'complex z;', "'z' is already declared as a gate", 3, 9],
    [V3 + 'stretch s;', "'s' is already declared as a gate", 3, 9],
    [V3 + 'bit[2] c;\nc++;', "expected an expression but found ';'", 4, 4],
    [V3 + 'qubit q;\nx $0;', 'a program cannot declare qubits and also use physical qubits', 4, 3],
    [V3 + 'qubit q;\nreturn;', "'return' outside a subroutine", 4, 1],
    [V3 + 'qubit q;\nrx(1.0im) q;', 'a gate parameter must be real', 4, 4],
    [V3 + 'qubit[2] q;\nx q[0][1];', 'a single qubit cannot be indexed', 4, 7],
    [V3 + 'gate g(angle[32]:t) q { }', "expected a parameter name but found ':'", 3, 17],
    [V3 + 'qubit q;\nh q\nx q;', "expected ';' but found 'x'", 5, 1],
    [V3 + 'qubit q;\nctrl @ @ x q;', "expected a gate name but found '@'", 4, 8],
    [V3 + 'qubit q;\ninv(2) @ x q;', "'inv' takes no argument", 4, 4],
    [V3 + 'qubit q;\nif (true) { x q;', "expected '}' but found end of input", 4, 17],
    [V3 + 'qubit q;\nelse { x q; }', "'else' without a matching 'if'", 4, 1],
    [V3 + 'qubit q;\nfor i in [0:] { x q; }', 'a for loop range needs a start and an end', 4, 11],
    [V3 + 'qubit q;\nfor i in [0:0:2] { x q; }', 'range step cannot be zero', 4, 13],
    [V3 + 'qubit[2] q;\nx q[0:0:1];', 'range step must be a non-zero integer', 4, 7],
    [V3 + 'qubit q;\nfor i in [0:1] { qubit r; }', 'qubits can only be declared at global scope', 4, 24],
    [V3 + 'qubit q;\nif (true) { gate g a { x a; } }', 'gate definitions are only allowed at global scope', 4, 18],
    [V3 + 'qubit q;\nfor i in [0:1] { include "stdgates.inc"; }', 'includes are only allowed at global scope', 4, 26],
    [
      'OPENQASM 3;\ninclude "qelib1.inc";',
      'cannot include "qelib1.inc": the only include file available is "stdgates.inc"',
      2,
      9,
    ],
    [V3 + 'qubit q;\ncu3(1, 2, 3) q;', "unknown gate 'cu3'", 4, 1],
    [V3 + 'qubit q;\nx r;', "unknown qubit or register 'r'", 4, 3],
    [V3 + 'qubit q;\nrx(\u03b8) q;', "unknown identifier '\u03b8'", 4, 4],
    [V3 + 'qubit q;\nx q[0];', 'a single qubit cannot be indexed', 4, 4],
    [V3 + 'qubit[2] q;\nx q[2];', 'qubit index 2 out of range for a register of size 2', 4, 5],
    [V3 + 'qubit[2] q;\nx q[-3];', 'qubit index -3 out of range for a register of size 2', 4, 5],
    [V3 + 'qubit[3] q;\nfor i in [0:3] { x q[i]; }', 'qubit index 3 out of range for a register of size 3', 4, 22],
    [V3 + 'qubit[3] q;\nx q[1.5];', 'qubit index must be an integer, but is 1.5', 4, 5],
    [V3 + 'const int n = 5;\nconst int n = 6;', "'n' is already declared in this scope", 4, 11],
    [V3 + 'const int n = 2.5;', "constant 'n' is declared int but its value 2.5 is not an integer", 3, 15],
    [V3 + 'const uint n = -1;', "constant 'n' is declared uint but its value -1 is negative", 3, 16],
    [V3 + 'const int[8] n = 200;', "constant 'n': value 200 does not fit in int[8]", 3, 18],
    [V3 + 'const int pi = 3;', "'pi' is a reserved word and cannot be used as a variable name", 3, 11],
    [V3 + 'qubit x;', "'x' is already declared as a gate", 3, 7],
    [V3 + 'qubit[2] q;\nbit[2] q;', "'q' is already declared in this scope", 4, 8],
    [V3 + 'const int n = 0;\nqubit[n] q;', 'register size must be at least 1, not 0', 4, 7],
    [V3 + 'qubit[2] q;\nctrl @ x q[0];', "'ctrl @ x' takes 2 qubits but 1 was given", 4, 8],
    [V3 + 'qubit[3] q;\nctrl(2) @ x q[0], q[1];', "'ctrl(\u2026) @ x' takes 3 qubits but 2 were given", 4, 11],
    [V3 + 'qubit[3] q;\nctrl(0) @ x q[0];', 'control count must be at least 1, not 0', 4, 6],
    [V3 + 'qubit[2] q;\nctrl @ x q[1], q[1];', "qubit q[1] is used more than once in 'ctrl @ x'", 4, 17],
    [V3 + 'qubit q;\ngphase(1) q;', "'gphase' takes 0 qubits but 1 was given", 4, 1],
    [V3 + 'qubit q;\nx;', "'x' takes 1 qubit but 0 were given", 4, 1],
    [V3 + 'gate g a { U(0, 0, 0) a; }\ngate g a { }', "gate 'g' is already defined", 4, 6],
    [V3 + 'qubit[2] q;\nbit[3] c;\nc = measure q;', 'cannot measure 2 qubits into 3 bits', 5, 1],
    [V3 + 'qubit[2] q;\nbit[2] c;\nc[0] = measure q;', 'cannot measure 2 qubits into 1 bit', 5, 2],
    [V3 + 'qubit[2] q;\nbit c;\nif (c[0]) x q[0];', 'a value of type bit cannot be indexed', 5, 6],
    [V3 + 'qubit[2] q;\nif (q[0]) x q[0];', 'qubits cannot be used as a classical value', 4, 6],
    [V3 + 'qubit[2] q;\nif (q) x q[0];', 'qubits cannot be used as a classical value', 4, 5],
    [V3 + 'qubit q;\nrx(1 / (2 - 2)) q;', 'division by zero', 4, 6],
    [V3 + 'qubit q;\nrx(1 % 0) q;', 'modulo by zero', 4, 6],
    [
      V3 + 'qubit q;\nfor uint i in [-1:1] { x q; }',
      "loop variable 'i' is declared uint but its value -1 is negative",
      4,
      16,
    ],
    ['OPENQASM 2.0;\nqubit q;', 'the program declares OpenQASM 2.0 but was submitted as QASM3', 1, 10],
    ['OPENQASM 3.5;', "unsupported OpenQASM version '3.5'", 1, 10],
  ];
  it.each(cases.map(withLanguage))('%j', (src, message, line, column, language) => {
    const err = errorOf(src, language ?? (src.startsWith('OPENQASM 2') ? 'QASM3' : undefined));
    expect({ message: err.reason, line: err.line, column: err.column }).toEqual({ message, line, column });
  });
});

describe('robustness', () => {
  it('never throws anything but CircuitError, whatever the input', () => {
    const inputs: unknown[] = [
      undefined,
      null,
      42,
      {},
      '',
      'OPENQASM',
      'OPENQASM 3',
      'OPENQASM 3;',
      'OPENQASM 2.0;',
      'OPENQASM 3; qubit[2] q; x q[',
      'OPENQASM 3; gate g(',
      'OPENQASM 3; if (',
      'OPENQASM 3; for int i in {',
      'OPENQASM 3; const int constructor = 1; qubit q; rx(constructor) q; toString q;',
      'OPENQASM 2.0; qreg __proto__[1]; h __proto__[0];',
      'OPENQASM 3; qubit q; hasOwnProperty q;',
      '\u0000\u0001',
      'OPENQASM 3; qubit q; x q; \uD800',
    ];
    for (const input of inputs) {
      try {
        parseQasm(input as string);
      } catch (err) {
        expect(err).toBeInstanceOf(CircuitError);
      }
    }
  });

  it('fuzzed prefixes and mutations of valid programs fail only with CircuitError', () => {
    const programs = [
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\ngate g(a) x, y { rx(a*2) x; cx x, y; }\ng(pi/2) q[0], q[1];\nh q;\nmeasure q -> c;\nif (c == 3) x q[2];\n',
      'OPENQASM 3;\ninclude "stdgates.inc";\nconst int n = 3;\nqubit[n] q;\nbit[n] c;\nfor uint i in [0:n-1] { ctrl @ inv @ pow(2) @ s q[i], q[(i+1) % n]; }\nc = measure q;\nif (c[0]) { x q[1]; } else if (c == 5) { h q; }\n',
    ];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const alphabet = ' ;,()[]{}@+-*/^%!=<>:"qcxh0123456789.e\n';
    for (const p of programs) {
      for (let i = 0; i <= p.length; i++) {
        for (const s of [
          p.slice(0, i),
          p.slice(0, i) + alphabet[rand(alphabet.length)] + p.slice(i + 1),
          p.slice(0, i) + p.slice(i + 1),
        ]) {
          try {
            parseQasm(s);
          } catch (err) {
            if (!(err instanceof CircuitError)) throw new Error(`non-CircuitError for ${JSON.stringify(s)}: ${err}`);
            expect(err.line).toBeGreaterThanOrEqual(1);
            expect(err.column).toBeGreaterThanOrEqual(1);
          }
        }
      }
    }
  });
});
