import { parseQasm } from '.';
import { libraryGates } from './library';
import { fromRows, unitaryDistance, unitaryOf } from './testing';

/**
 * The built-in gates are lowered natively; these tests run the textual definitions of the
 * libraries (the gate definitions of OpenQASM 2's qelib1.inc and OpenQASM 3's stdgates.inc,
 * restated here) through the same parser as user gates, and check that both give the same
 * unitary, global phase included.
 */

// qelib1.inc (OpenQASM 2), definitions only, in file order.
const QELIB1 = `
gate u3(theta,phi,lambda) q { U(theta,phi,lambda) q; }
gate u2(phi,lambda) q { U(pi/2,phi,lambda) q; }
gate u1(lambda) q { U(0,0,lambda) q; }
gate cx c,t { CX c,t; }
gate id a { U(0,0,0) a; }
gate u0(gamma) q { U(0,0,0) q; }
gate u(theta,phi,lambda) q { U(theta,phi,lambda) q; }
gate p(lambda) q { U(0,0,lambda) q; }
gate x a { u3(pi,0,pi) a; }
gate y a { u3(pi,pi/2,pi/2) a; }
gate z a { u1(pi) a; }
gate h a { u2(0,pi) a; }
gate s a { u1(pi/2) a; }
gate sdg a { u1(-pi/2) a; }
gate t a { u1(pi/4) a; }
gate tdg a { u1(-pi/4) a; }
gate rx(theta) a { u3(theta, -pi/2, pi/2) a; }
gate ry(theta) a { u3(theta, 0, 0) a; }
gate rz(phi) a { u1(phi) a; }
gate sx a { sdg a; h a; sdg a; }
gate sxdg a { s a; h a; s a; }
gate cz a,b { h b; cx a,b; h b; }
gate cy a,b { sdg b; cx a,b; s b; }
gate swap a,b { cx a,b; cx b,a; cx a,b; }
gate ch a,b { h b; sdg b; cx a,b; h b; t b; cx a,b; t b; h b; s b; x b; s a; }
gate ccx a,b,c {
  h c; cx b,c; tdg c; cx a,c; t c; cx b,c; tdg c; cx a,c; t b; t c; h c; cx a,b; t a; tdg b; cx a,b;
}
gate cswap a,b,c { cx c,b; ccx a,b,c; cx c,b; }
gate crx(lambda) a,b { u1(pi/2) b; cx a,b; u3(-lambda/2,0,0) b; cx a,b; u3(lambda/2,-pi/2,0) b; }
gate cry(lambda) a,b { u3(lambda/2,0,0) b; cx a,b; u3(-lambda/2,0,0) b; cx a,b; }
gate crz(lambda) a,b { u1(lambda/2) b; cx a,b; u1(-lambda/2) b; cx a,b; }
gate cu1(lambda) a,b { u1(lambda/2) a; cx a,b; u1(-lambda/2) b; cx a,b; u1(lambda/2) b; }
gate cp(lambda) a,b { p(lambda/2) a; cx a,b; p(-lambda/2) b; cx a,b; p(lambda/2) b; }
gate cu3(theta,phi,lambda) c,t {
  u1((lambda+phi)/2) c; u1((lambda-phi)/2) t; cx c,t; u3(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u3(theta/2,phi,0) t;
}
gate csx a,b { h b; cu1(pi/2) a,b; h b; }
gate cu(theta,phi,lambda,gamma) c,t {
  p(gamma) c; p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c,t; u(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u(theta/2,phi,0) t;
}
gate rxx(theta) a,b { u3(pi/2, theta, 0) a; h b; cx a,b; u1(-theta) b; cx a,b; h b; u2(-pi, pi-theta) a; }
gate rzz(theta) a,b { cx a,b; u1(theta) b; cx a,b; }
gate rccx a,b,c {
  u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c; cx b,c; u1(-pi/4) c; u2(0,pi) c;
}
gate rc3x a,b,c,d {
  u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d;
  cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d;
}
gate c3x a,b,c,d {
  h d; cu1(-pi/4) a,d; h d; cx a,b; h d; cu1(pi/4) b,d; h d; cx a,b; h d; cu1(-pi/4) b,d; h d;
  cx b,c; h d; cu1(pi/4) c,d; h d; cx a,c; h d; cu1(-pi/4) c,d; h d; cx b,c; h d; cu1(pi/4) c,d; h d;
  cx a,c; h d; cu1(-pi/4) c,d; h d;
}
gate c3sqrtx a,b,c,d {
  h d; cu1(-pi/8) a,d; h d; cx a,b; h d; cu1(pi/8) b,d; h d; cx a,b; h d; cu1(-pi/8) b,d; h d;
  cx b,c; h d; cu1(pi/8) c,d; h d; cx a,c; h d; cu1(-pi/8) c,d; h d; cx b,c; h d; cu1(pi/8) c,d; h d;
  cx a,c; h d; cu1(-pi/8) c,d; h d;
}
gate c4x a,b,c,d,e {
  h e; cu1(-pi/2) d,e; h e; c3x a,b,c,d; h d; cu1(pi/4) d,e; h d; c3x a,b,c,d; c3sqrtx a,b,c,e;
}
`;

// stdgates.inc (OpenQASM 3) except s, sdg, t, tdg and sx, whose definitions use pow(1/2), which
// this front end rejects; those are checked against their matrices below.
const STDGATES = `
gate p(λ) a { ctrl @ gphase(λ) a; }
gate x a { U(π, 0, π) a; }
gate y a { U(π, π/2, π/2) a; }
gate z a { p(π) a; }
gate h a { U(π/2, 0, π) a; }
gate rx(θ) a { U(θ, -π/2, π/2) a; }
gate ry(θ) a { U(θ, 0, 0) a; }
gate rz(λ) a { gphase(-λ/2); U(0, 0, λ) a; }
gate cx a, b { ctrl @ x a, b; }
gate cy a, b { ctrl @ y a, b; }
gate cz a, b { ctrl @ z a, b; }
gate cp(λ) a, b { ctrl @ p(λ) a, b; }
gate crx(θ) a, b { ctrl @ rx(θ) a, b; }
gate cry(θ) a, b { ctrl @ ry(θ) a, b; }
gate crz(θ) a, b { ctrl @ rz(θ) a, b; }
gate ch a, b { ctrl @ h a, b; }
gate swap a, b { cx a, b; cx b, a; cx a, b; }
gate ccx a, b, c { ctrl @ ctrl @ x a, b, c; }
gate cswap a, b, c { ctrl @ swap a, b, c; }
gate cu(θ, φ, λ, γ) a, b { p(γ) a; ctrl @ U(θ, φ, λ) a, b; }
gate CX a, b { ctrl @ U(π, 0, π) a, b; }
gate phase(λ) q { U(0, 0, λ) q; }
gate cphase(λ) a, b { ctrl @ phase(λ) a, b; }
gate id a { U(0, 0, 0) a; }
gate u1(λ) q { U(0, 0, λ) q; }
gate u2(φ, λ) q { gphase(-(φ+λ)/2); U(π/2, φ, λ) q; }
gate u3(θ, φ, λ) q { gphase(-(φ+λ)/2); U(θ, φ, λ) q; }
`;

const PARAMS = [0.7, -1.3, 2.1, 0.4];

function call(name: string, numParams: number, numQubits: number, offset = 0): string {
  const params = numParams ? `(${PARAMS.slice(0, numParams).join(', ')})` : '';
  const qubits = Array.from({ length: numQubits }, (_, i) => `q[${i + offset}]`).join(', ');
  return `${name}${params} ${qubits};`;
}

describe('qelib1.inc gates lowered natively', () => {
  const lib = libraryGates('qelib1.inc', 2)!;

  it('defines every qelib1 gate', () => {
    expect([...lib.keys()].sort()).toEqual(
      (
        'u3 u2 u1 cx id u0 u p x y z h s sdg t tdg rx ry rz sx sxdg cz cy ch swap ccx cswap crx cry crz cu1 cp ' +
        'cu3 csx cu rxx rzz rccx rc3x c3x c3sqrtx c4x'
      )
        .split(' ')
        .sort(),
    );
  });

  const exact = [...lib.entries()].filter(([name]) => name !== 'c3sqrtx' && name !== 'c4x');
  it.each(exact.map(([name, g]) => [name, g.numParams, g.numQubits] as const))(
    '%s equals its qelib1 definition exactly, global phase included',
    (name, numParams, numQubits) => {
      // Apply it to shuffled qubits of a register one larger than needed, after a layer of
      // rotations so the comparison does not rely on a particular input.
      const n = numQubits + 1;
      const prep = Array.from({ length: n }, (_, i) => `U(0.3, ${0.2 * i}, 0.1) q[${i}];`).join(' ');
      const body = `qreg q[${n}]; ${prep} ${call(name, numParams, numQubits, 1)} ${call(name, numParams, numQubits, 0)}`;
      const native = parseQasm(`OPENQASM 2.0; include "qelib1.inc"; ${body}`);
      const textual = parseQasm(`OPENQASM 2.0; ${QELIB1} ${body}`);
      expect(unitaryDistance(unitaryOf(native), unitaryOf(textual))).toBeLessThan(1e-12);
    },
  );

  it('c3sqrtx is the 3-controlled sqrt(X), where the qelib1 text gives the 3-controlled sqrt(X)^dagger', () => {
    const body = 'qreg q[4]; c3sqrtx q[0], q[1], q[2], q[3];';
    const native = parseQasm(`OPENQASM 2.0; include "qelib1.inc"; ${body}`);
    const textual = parseQasm(`OPENQASM 2.0; ${QELIB1} ${body}`);
    const expected = parseQasm(`OPENQASM 3; include "stdgates.inc"; qubit[4] q; ctrl(3) @ sx q[0], q[1], q[2], q[3];`);
    const adjointText = parseQasm(
      `OPENQASM 3; include "stdgates.inc"; qubit[4] q; ctrl(3) @ inv @ sx q[0], q[1], q[2], q[3];`,
    );
    expect(unitaryDistance(unitaryOf(native), unitaryOf(expected))).toBeLessThan(1e-12);
    expect(unitaryDistance(unitaryOf(textual), unitaryOf(adjointText))).toBeLessThan(1e-12);
  });

  it('c4x is the 4-controlled X (the qelib1 text is not)', () => {
    const body = 'qreg q[5]; c4x q[0], q[1], q[2], q[3], q[4];';
    const native = unitaryOf(parseQasm(`OPENQASM 2.0; include "qelib1.inc"; ${body}`));
    for (let k = 0; k < 32; k++) {
      const image = k >= 15 && (k & 15) === 15 ? k ^ 16 : k;
      native[k].re.forEach((v, i) => expect(v).toBeCloseTo(i === image ? 1 : 0, 12));
    }
    const textual = unitaryOf(parseQasm(`OPENQASM 2.0; ${QELIB1} ${body}`));
    expect(unitaryDistance(native, textual)).toBeGreaterThan(0.1);
  });
});

describe('stdgates.inc gates lowered natively', () => {
  const lib = libraryGates('stdgates.inc', 3)!;

  it('defines every stdgates gate', () => {
    expect([...lib.keys()].sort()).toEqual(
      'p x y z h s sdg t tdg sx rx ry rz cx cy cz cp crx cry crz ch swap ccx cswap cu CX phase cphase id u1 u2 u3'
        .split(' ')
        .sort(),
    );
  });

  const textual = [...lib.entries()].filter(([name]) => !['s', 'sdg', 't', 'tdg', 'sx'].includes(name));
  it.each(textual.map(([name, g]) => [name, g.numParams, g.numQubits] as const))(
    '%s equals its stdgates definition exactly, also under ctrl @ (which exposes global phase)',
    (name, numParams, numQubits) => {
      const n = numQubits + 2;
      const prep = Array.from({ length: n }, (_, i) => `U(0.3, ${0.2 * i}, 0.1) q[${i}];`).join(' ');
      const plain = call(name, numParams, numQubits, 1);
      const controlled = `ctrl @ ${call(name, numParams, numQubits + 1, 0)}`;
      const negControlled = `negctrl @ ${call(name, numParams, numQubits + 1, 1)}`;
      const inverse = `inv @ ${call(name, numParams, numQubits, 0)}`;
      const body = `qubit[${n}] q; ${prep} ${plain} ${controlled} ${negControlled} ${inverse}`;
      const native = parseQasm(`OPENQASM 3.0; include "stdgates.inc"; ${body}`);
      const text = parseQasm(`OPENQASM 3.0; ${STDGATES} ${body}`);
      expect(unitaryDistance(unitaryOf(native), unitaryOf(text))).toBeLessThan(1e-12);
    },
  );

  it('s, sdg, t, tdg and sx are the principal square roots their definitions name', () => {
    const R = Math.SQRT1_2;
    const cases: [string, [number, number][][]][] = [
      [
        's',
        [
          [
            [1, 0],
            [0, 0],
          ],
          [
            [0, 0],
            [0, 1],
          ],
        ],
      ],
      [
        'sdg',
        [
          [
            [1, 0],
            [0, 0],
          ],
          [
            [0, 0],
            [0, -1],
          ],
        ],
      ],
      [
        't',
        [
          [
            [1, 0],
            [0, 0],
          ],
          [
            [0, 0],
            [R, R],
          ],
        ],
      ],
      [
        'tdg',
        [
          [
            [1, 0],
            [0, 0],
          ],
          [
            [0, 0],
            [R, -R],
          ],
        ],
      ],
      [
        'sx',
        [
          [
            [0.5, 0.5],
            [0.5, -0.5],
          ],
          [
            [0.5, -0.5],
            [0.5, 0.5],
          ],
        ],
      ],
    ];
    for (const [name, rows] of cases) {
      const c = parseQasm(`OPENQASM 3; include "stdgates.inc"; qubit q; ${name} q;`);
      expect(unitaryDistance(unitaryOf(c), fromRows(rows))).toBeLessThan(1e-15);
    }
    const squares: [string, string][] = [
      ['pow(2) @ s', 'z'],
      ['pow(2) @ sdg', 'z'],
      ['pow(2) @ t', 's'],
      ['pow(2) @ tdg', 'sdg'],
      ['pow(2) @ sx', 'x'],
    ];
    for (const [a, b] of squares) {
      const ua = unitaryOf(parseQasm(`OPENQASM 3; include "stdgates.inc"; qubit[2] q; ctrl @ ${a} q[0], q[1];`));
      const ub = unitaryOf(parseQasm(`OPENQASM 3; include "stdgates.inc"; qubit[2] q; ctrl @ ${b} q[0], q[1];`));
      expect(unitaryDistance(ua, ub)).toBeLessThan(1e-12);
    }
  });
});
