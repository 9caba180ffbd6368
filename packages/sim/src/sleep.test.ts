// Soundness of the sleep sets (sleep.ts): every pair of events the relation calls independent, met
// on random states of the configurations, is checked against the ground truth (the history
// replayed on a fresh world with live kernel paths, as `kvmfp run` does): both orders are enabled,
// give the same violations and the same world with the paths at the same points, and every event
// enabled after them behaves the same after either order (so no local a path holds differs). And
// explorations with and without sleep sets find the same violations at the same depths.

import { describe, expect, it } from 'vitest';
import { worldFingerprint } from './canon.js';
import { applyEvent, type Event, EventError } from './events.js';
import { Explorer, historyOf, type Node } from './explore.js';
import { checkInvariants } from './invariants.js';
import { resolveTable } from './revisions.js';
import { Runtime } from './runtime.js';
import { independent, pathsTouchRunQueue } from './sleep.js';
import { replayed, sampleNodes, v64Explorer } from './test-walks.js';

/** What a sequence of events does from the initial world, replayed with live paths. */
interface Replayed {
  enabled: boolean;
  violations: string[];
  world: string;
  points: string;
  rt?: Runtime;
}

function replay(ex: Explorer, events: Event[], tail: Event[]): Replayed {
  const rt = replayed(ex, events);
  const world = rt.world;
  const before = world.violations.length;
  for (const e of tail) {
    try {
      applyEvent(rt, e);
    } catch (err) {
      if (err instanceof EventError) return { enabled: false, violations: [], world: '', points: '' };
      throw err;
    }
    checkInvariants(world);
    if (rt.dead) break;
  }
  const violations = world.violations
    .slice(before)
    .map((v) => `${v.invariant}: ${v.detail}`)
    .sort();
  if (rt.dead)
    return { enabled: true, violations: [...violations, `dead: ${rt.dead}`], world: 'dead', points: '' };
  const points = rt
    .inFlight()
    .map((pid) => `${pid}@${JSON.stringify(rt.stops.get(pid))}`)
    .join(' ');
  return { enabled: true, violations, world: worldFingerprint(world).join(','), points, rt };
}

/** The pairs of events that sleep sets treat as independent at a state (each pair once). */
function independentPairs(ex: Explorer, n: Node): { step: Event; other: Event }[] {
  const cands = ex.candidatesOf(n, false);
  const out: { step: Event; other: Event }[] = [];
  cands.forEach((step, i) => {
    for (const other of cands.slice(i + 1))
      if (independent(n.world, step, other, pathsTouchRunQueue(ex.alphabet))) out.push({ step, other });
  });
  // Pairs with a step first: the ones every state with two paths in flight has.
  return out.sort((a, b) => Number(b.step.do === 'step') - Number(a.step.do === 'step'));
}

interface Checked {
  pairs: number;
  /** Of them, pairs of two choices (neither a step). */
  choices: number;
  after: number;
}

/** Checks every independent pair met on `walks` random walks, with every event enabled after them. */
function checkCommuting(file: string, walks: number, length: number, maxPairs: number): Checked {
  const ex = v64Explorer(file, { symmetry: false });
  let pairs = 0;
  let choices = 0;
  let after = 0;
  for (const n of sampleNodes(ex, walks, length, 11)) {
    const history = historyOf(n);
    for (const { step, other } of independentPairs(ex, n)) {
      // Up to maxPairs of each kind: with a step, and of two choices.
      const isChoices = step.do !== 'step' && other.do !== 'step';
      if (isChoices ? choices >= maxPairs : pairs - choices >= maxPairs) continue;
      if (isChoices) choices++;
      const a = replay(ex, history, [other, step]);
      const b = replay(ex, history, [step, other]);
      const what = `${file}: after ${JSON.stringify(history)}, ${JSON.stringify(other)} and ${JSON.stringify(step)}`;
      const { rt: rtA, ...restA } = a;
      const { rt: _rtB, ...restB } = b;
      expect(restA, what).toEqual(restB);
      pairs++;
      if (!a.enabled || a.world === 'dead' || !rtA) continue;
      // Every event enabled after the pair behaves alike after either order.
      const child = ex.step(ex.step(n, other).child!, step).child;
      for (const e of child ? ex.candidatesOf(child, false) : []) {
        const ea = replay(ex, history, [other, step, e]);
        const eb = replay(ex, history, [step, other, e]);
        const { rt: _a, ...ra } = ea;
        const { rt: _b, ...rb } = eb;
        expect(ra, `${what}, then ${JSON.stringify(e)}`).toEqual(rb);
        after++;
      }
    }
  }
  return { pairs, choices, after };
}

describe('sleep sets: the independence relation', () => {
  // Configurations of every alphabet: scheduling, KVM, signals, ptrace (preemption dependent),
  // fork and exec, prctl, SME.
  for (const [file, walks] of [
    ['sched-sve.yaml', 12],
    ['ref.yaml', 10],
    ['races-kvm-nvhe.yaml', 8],
    ['signals.yaml', 10],
    ['ptrace.yaml', 10],
    ['races-host.yaml', 10],
    ['vl-change.yaml', 8],
    ['kernel-neon.yaml', 10],
    ['sme2.yaml', 8],
  ] as const)
    it(`${file}: independent events commute and behave alike after either order`, () => {
      const { pairs, choices, after } = checkCommuting(file, walks, 10, 100);
      expect(pairs, 'independent pairs met').toBeGreaterThan(5);
      expect(choices, 'independent pairs of two choices met').toBeGreaterThan(0);
      expect(after, 'events checked after a pair').toBeGreaterThan(pairs);
    });

  it('preemption is dependent on steps when a path can stop or wake a task', () => {
    expect(pathsTouchRunQueue({ ptrace: true, fork: false, exec: false })).toBe(true);
    expect(pathsTouchRunQueue({ ptrace: false, fork: false, exec: false })).toBe(false);
    const ex = v64Explorer('ptrace.yaml', { symmetry: false });
    const n = ex.initial();
    const preempt: Event = { do: 'preempt', cpu: 0, idle: true };
    const step: Event = { do: 'step', cpu: 1 };
    expect(independent(n.world, preempt, step, pathsTouchRunQueue(ex.alphabet))).toBe(false);
    expect(independent(n.world, preempt, step, false)).toBe(true);
    expect(independent(n.world, preempt, { do: 'preempt', cpu: 1, idle: true }, false)).toBe(false);
    expect(independent(n.world, preempt, { do: 'step', cpu: 0 }, false)).toBe(false);
  });
});

describe('sleep sets: explorations find the same violations', () => {
  const signatures = (ex: Explorer, depth: number, sleepSets: boolean) => {
    const r = ex.explore({ depth, sleepSets, expandViolations: true });
    return { r, found: r.violations.map((v) => `${v.depth}: ${v.signature}`).sort() };
  };
  // Larger runs (ref, signals, ptrace, host-only, kernel-neon to depth 2): npm run bench:sleep.
  for (const [file, depth, mutant] of [
    ['sched-sve.yaml', 6, 'thread-switch-ignores-cpu'],
    ['sched-sme-traps.yaml', 6, null],
  ] as const)
    it(`${file} to depth ${depth}${mutant ? ` with ${mutant}` : ''}: with and without`, () => {
      const make = () => {
        const base = v64Explorer(file);
        return mutant
          ? new Explorer(base.config, resolveTable('v6.4', mutant), base.alphabet, 'v6.4', mutant)
          : base;
      };
      const off = signatures(make(), depth, false);
      const on = signatures(make(), depth, true);
      expect(on.found.length, 'violations to compare').toBeGreaterThan(0);
      expect(on.found).toEqual(off.found);
      expect(on.r.distinct).toBeLessThanOrEqual(off.r.distinct);
      expect(on.r.slept, 'transitions slept').toBeGreaterThan(0);
      expect(on.r.transitions).toBeLessThan(off.r.transitions);
    }, 120_000);
});
