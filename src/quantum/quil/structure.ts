import { CircuitError, type ClassicalExpr, type Op } from '../circuit/circuit';
import type { Pos } from './ast';

/**
 * Quil's LABEL / JUMP / JUMP-WHEN / JUMP-UNLESS turned into the IR's structured control flow.
 *
 * The usual shapes are recognised first: a forward conditional jump over a block is an `if`
 * (`branch`), `JUMP-WHEN @T c; A; JUMP @E; LABEL @T; B; LABEL @E` an if/else, a backward jump to a
 * label a loop (`while (1) { body; if (!c) break }`), jumps to a loop's head or exit inside it
 * `continue` / `break`. Anything else (jumps into blocks, jumps out of two loops, ...) goes through
 * the block dispatcher, which is correct for every program: the instructions are cut into basic
 * blocks at labels and after jumps, a program-counter variable says which block runs next, and
 * `while (pc != end) { if (pc == 0) {block 0; pc = ...} if (pc == 1) {...} ... }` runs them.
 */

export type Item =
  | { k: 'op'; op: Op }
  | { k: 'label'; name: string; pos: Pos }
  /** A jump; `cond` (per shot, non-zero = jump) is omitted for an unconditional JUMP. */
  | { k: 'jump'; label: string; cond?: ClassicalExpr; pos: Pos };

export interface StructureHooks {
  /** A new integer variable (the dispatcher's program counter). */
  newVar(name: string): number;
  /** Counts operations created (for maxOperations). */
  count(n: number, pos: Pos): void;
}

class Unstructured extends Error {}

interface Loop {
  head: number;
  /** First item after the loop's back jump. */
  exit: number;
}

const TRUE: ClassicalExpr = { k: 'num', v: 1 };

function not(c: ClassicalExpr): ClassicalExpr {
  if (c.k === 'unary' && c.op === '!') return { k: 'cast', to: 'bool', a: c.a };
  return { k: 'unary', op: '!', a: c };
}

export function structure(items: Item[], hooks: StructureHooks): Op[] {
  const labels = new Map<string, number>();
  const sources = new Map<string, number[]>();
  let jumps = false;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.k === 'label') {
      if (labels.has(it.name)) throw new CircuitError(`label @${it.name} is defined twice`, it.pos.line, it.pos.col);
      labels.set(it.name, i);
    } else if (it.k === 'jump') {
      jumps = true;
      const list = sources.get(it.label) ?? [];
      list.push(i);
      sources.set(it.label, list);
    }
  }
  for (const it of items) {
    if (it.k === 'jump' && !labels.has(it.label)) {
      throw new CircuitError(`jump to undefined label @${it.label}`, it.pos.line, it.pos.col);
    }
  }
  if (!jumps) return items.flatMap((it) => (it.k === 'op' ? [it.op] : []));
  try {
    return new Structurer(items, labels, sources, hooks).run();
  } catch (e) {
    if (!(e instanceof Unstructured)) throw e;
    return dispatcher(items, labels, hooks);
  }
}

class Structurer {
  constructor(
    private readonly items: Item[],
    private readonly labels: Map<string, number>,
    private readonly sources: Map<string, number[]>,
    private readonly hooks: StructureHooks,
  ) {}

  run(): Op[] {
    return this.range(0, this.items.length, []);
  }

  /** Every jump to a label in [lo, hi) comes from [lo, hi). */
  private closed(lo: number, hi: number): void {
    for (let i = lo; i < hi; i++) {
      const it = this.items[i];
      if (it.k !== 'label') continue;
      for (const s of this.sources.get(it.name) ?? []) if (s < lo || s >= hi) throw new Unstructured();
    }
  }

  /** Whether position t is the exit of `loop` (the first item after it, or a label right after). */
  private isExit(t: number, loop: Loop): boolean {
    for (let k = loop.exit; k <= t; k++) {
      if (k === t) return true;
      if (this.items[k]?.k !== 'label') return false;
    }
    return false;
  }

  private range(lo: number, hi: number, loops: Loop[]): Op[] {
    this.closed(lo, hi);
    const out: Op[] = [];
    let i = lo;
    while (i < hi) {
      const it = this.items[i];
      if (it.k === 'op') {
        out.push(it.op);
        i++;
        continue;
      }
      if (it.k === 'label') {
        // A loop head: the last backward jump to it within the range closes the loop.
        const back = (this.sources.get(it.name) ?? []).filter((s) => s > i && s < hi);
        if (back.length === 0) {
          i++;
          continue;
        }
        const j = Math.max(...back);
        const jump = this.items[j] as Extract<Item, { k: 'jump' }>;
        const loop: Loop = { head: i, exit: j + 1 };
        const body = this.range(i + 1, j, [...loops, loop]);
        if (jump.cond) body.push({ kind: 'branch', cond: not(jump.cond), then: [{ kind: 'break' }], otherwise: [] });
        this.hooks.count(2, jump.pos);
        out.push({ kind: 'while', cond: TRUE, body });
        i = j + 1;
        continue;
      }
      const t = this.labels.get(it.label) as number;
      const inner = loops[loops.length - 1];
      const jumpOp = (op: Op): Op => (it.cond ? { kind: 'branch', cond: it.cond, then: [op], otherwise: [] } : op);
      if (inner && t === inner.head) {
        this.hooks.count(1, it.pos);
        out.push(jumpOp({ kind: 'continue' }));
        i++;
        continue;
      }
      if (inner && t >= hi && this.isExit(t, inner)) {
        this.hooks.count(1, it.pos);
        out.push(jumpOp({ kind: 'break' }));
        i++;
        continue;
      }
      if (t <= i || t > hi) throw new Unstructured();
      if (!it.cond) {
        // Unconditional forward jump: what lies between is dead code.
        this.closed(i + 1, t);
        i = t;
        continue;
      }
      const last = this.items[t - 1];
      if (last.k === 'jump' && !last.cond && t - 1 > i) {
        const e = this.labels.get(last.label) as number;
        const thenLabel = this.items[t] as Extract<Item, { k: 'label' }>;
        const loopHead = (this.sources.get(thenLabel.name) ?? []).some((s) => s > t);
        if (e > t && e <= hi && !loopHead) {
          // JUMP-WHEN @T c; A; JUMP @E; LABEL @T; B; LABEL @E
          const thenOps = this.range(t + 1, e, loops);
          const elseOps = this.range(i + 1, t - 1, loops);
          this.hooks.count(1, it.pos);
          out.push({ kind: 'branch', cond: it.cond, then: thenOps, otherwise: elseOps });
          i = e;
          continue;
        }
      }
      const body = this.range(i + 1, t, loops);
      this.hooks.count(1, it.pos);
      out.push({ kind: 'branch', cond: not(it.cond), then: body, otherwise: [] });
      i = t;
    }
    return out;
  }
}

function dispatcher(items: Item[], labels: Map<string, number>, hooks: StructureHooks): Op[] {
  // Basic blocks: a new one at every label and after every jump.
  const starts: number[] = [0];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.k === 'label' && i !== starts[starts.length - 1]) starts.push(i);
    if (it.k === 'jump' && i + 1 < items.length) starts.push(i + 1);
  }
  const unique = [...new Set(starts)].sort((a, b) => a - b);
  const blockAt = new Map<number, number>();
  unique.forEach((s, b) => blockAt.set(s, b));
  const end = unique.length;
  const pc = hooks.newVar('__pc');
  const pcExpr: ClassicalExpr = { k: 'var', index: pc };
  const blockOf = (label: string) => blockAt.get(labels.get(label) as number) as number;
  const setPc = (v: ClassicalExpr): Op => ({ kind: 'set', target: { var: pc }, value: v });
  const branches: Op[] = [];
  for (let b = 0; b < unique.length; b++) {
    const from = unique[b];
    const to = b + 1 < unique.length ? unique[b + 1] : items.length;
    const ops: Op[] = [];
    let next: ClassicalExpr = { k: 'num', v: b + 1 };
    for (let i = from; i < to; i++) {
      const it = items[i];
      if (it.k === 'op') ops.push(it.op);
      else if (it.k === 'jump') {
        const target: ClassicalExpr = { k: 'num', v: blockOf(it.label) };
        next = it.cond ? { k: 'cond', test: it.cond, a: target, b: next } : target;
        hooks.count(1, it.pos);
      }
    }
    ops.push(setPc(next));
    branches.push({
      kind: 'branch',
      cond: { k: 'binary', op: '==', a: pcExpr, b: { k: 'num', v: b } },
      then: ops,
      otherwise: [],
    });
  }
  hooks.count(branches.length * 2 + 2, { line: 1, col: 1 });
  return [
    setPc({ k: 'num', v: 0 }),
    { kind: 'while', cond: { k: 'binary', op: '!=', a: pcExpr, b: { k: 'num', v: end } }, body: branches },
  ];
}
