import { adjoint, H, multiply, rx, u3, X, I } from './gates';

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
});
