import fc from 'fast-check';
import { adjoint, H, multiply, rx, ry, rz, scale, u3, X, I, Y, Z, S, T, SX, zyz } from './gates';

function close(a: readonly number[], b: readonly number[]) {
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
}

describe('gates', () => {
  it('u3(pi, 0, pi) is X and u3(pi/2, 0, pi) is H', () => {
    close(u3(Math.PI, 0, Math.PI), X);
    close(u3(Math.PI / 2, 0, Math.PI), H);
  });
  it('rx(theta) times its adjoint is the identity', () => {
    const m = rx(0.7);
    close(multiply(m, adjoint(m)), I);
  });
  it('zyz gives angles that rebuild the matrix, global phase included', () => {
    const rebuild = (m: Parameters<typeof zyz>[0]) => {
      const { theta, phi, lambda, phase } = zyz(m);
      expect(theta).toBeGreaterThanOrEqual(0);
      expect(theta).toBeLessThanOrEqual(Math.PI + 1e-12);
      close(scale(u3(theta, phi, lambda), phase), m);
    };
    for (const m of [I, X, Y, Z, H, S, T, SX, rz(0.3), rx(2), ry(-1)]) rebuild(m);
    fc.assert(
      fc.property(
        fc.double({ min: -7, max: 7, noNaN: true }),
        fc.double({ min: -7, max: 7, noNaN: true }),
        fc.double({ min: -7, max: 7, noNaN: true }),
        fc.double({ min: -7, max: 7, noNaN: true }),
        (a, b, c, d) => rebuild(scale(multiply(rz(a), multiply(ry(b), rz(c))), d)),
      ),
    );
  });
});
