// The signature of a counterexample: which bug it shows, independent of the path that reached it.
// Two violations are the same bug when they break the same invariant in the same words once the
// incidental names are renamed (symbolic values, program names, CPU numbers) and the same kernel
// function fired. The explorer keeps the shortest counterexample per signature, so a shallow bug
// no longer hides a deeper, different one of the same invariant, and a known finding (a scenario
// kept in fixtures/findings/) is recognised on any configuration by its signature.

import type { EntryTable } from '@kvmfp/fpsimd';
import { setProbe } from '@kvmfp/machine';
import type { WorldConfig } from './config.js';
import { applyEvent, bootstrap, Event, EventError } from './events.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { portFrames, Runtime } from './runtime.js';
import { createWorld } from './world.js';

/** What replaying a path needs: the explorer's world configuration and entry table. */
export interface ReplayContext {
  readonly config: WorldConfig;
  readonly table: EntryTable;
  readonly rev: string;
  readonly mutant: string | null;
}

/** The program names of a world configuration, longest first so that 'vmm2' is not read as 'vmm'. */
export function programNames(config: WorldConfig): string[] {
  return [...config.tasks.map((t) => t.name), ...config.vcpus.map((v) => v.name)].sort(
    (a, b) => b.length - a.length,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The detail with its incidental parts renamed in order of appearance: symbolic values
 * (`vmm#3` -> `v1`), program names (-> `P1`) and CPU numbers (-> `CPU _`). Facts (bank names,
 * PSTATE bits, `zero`, `unknown`) stay.
 */
export function renameDetail(detail: string, names: readonly string[]): string {
  const values = new Map<string, string>();
  let out = detail.replace(/[\w-]+#\d+/g, (v) => {
    if (!values.has(v)) values.set(v, `v${values.size + 1}`);
    return values.get(v)!;
  });
  out = out.replace(/\bCPU \d+/g, 'CPU _');
  if (!names.length) return out;
  const programs = new Map<string, string>();
  const pattern = new RegExp(`(?<![\\w-])(${names.map(escapeRegExp).join('|')})(?![\\w-])`, 'g');
  return out.replace(pattern, (n) => {
    if (!programs.has(n)) programs.set(n, `P${programs.size + 1}`);
    return programs.get(n)!;
  });
}

/** A runtime that knows which port function ran last, at every probe (not a trace: one name). */
class FiredRuntime extends Runtime {
  running = '-';

  override bind(cpu: number): void {
    super.bind(cpu);
    setProbe(() => {
      this.running = portFrames(12)[0] ?? this.running;
    });
  }
}

/** A violation of a replay with the kernel function that fired it. */
export interface FiredViolation {
  invariant: string;
  detail: string;
  /** Which event (0-based) recorded it. */
  event: number;
  fired: string;
  /** Recorded inside the event (a check of what the kernel returned), not by the invariants after it. */
  during: boolean;
}

/**
 * Replays `events` and names, for each violation, the kernel function that fired: the port
 * function that ran last when the violation was recorded. A check inside an event (a tracer's
 * read) names the function that produced the data; an invariant checked after an event names the
 * last function the event ran. '-' when no kernel code ran before it.
 */
export function firedViolations(ctx: ReplayContext, events: readonly Event[]): FiredViolation[] {
  const world = createWorld(ctx.config, ctx.rev, ctx.mutant);
  const rt = new FiredRuntime(world, ctx.table, false);
  attachVcpus(rt, ctx.config);
  bootstrap(rt);
  const out: FiredViolation[] = [];
  let event = -1;
  let during = false;
  const push = world.violations.push.bind(world.violations);
  world.violations.push = (...vs) => {
    for (const v of vs)
      out.push({ invariant: v.invariant, detail: v.detail, event, fired: rt.running, during });
    return push(...vs);
  };
  for (const [i, ev] of events.entries()) {
    event = i;
    during = true;
    rt.running = '-';
    try {
      applyEvent(rt, ev);
    } catch (e) {
      if (!(e instanceof EventError)) throw e;
    }
    during = false;
    checkInvariants(world);
    if (rt.dead) break;
  }
  setProbe(undefined);
  return out;
}

/** The fired function of the violation (`invariant`, `detail`) the last of `events` recorded. */
export function firedFunction(
  ctx: ReplayContext,
  events: readonly Event[],
  invariant: string,
  detail: string,
): Pick<FiredViolation, 'fired' | 'during'> {
  const last = firedViolations(ctx, events).filter((v) => v.event === events.length - 1);
  const v = last.find((x) => x.invariant === invariant && x.detail === detail) ?? last[last.length - 1];
  return v ?? { fired: '-', during: false };
}

/**
 * The violation with its last event, names renamed: the same shape runs the same kernel entry, so
 * the explorer replays one path per shape to name the fired function.
 */
export function shapeOf(
  invariant: string,
  detail: string,
  names: readonly string[],
  last: Event | undefined,
): string {
  return `${invariant}: ${renameDetail(detail, names)} after ${renameDetail(JSON.stringify(last ?? null), names)}`;
}

/**
 * The signature: `invariant: detail (in f)` for a violation a check inside an event recorded
 * while f ran, `invariant: detail @ f` for one the invariants found after an event whose last
 * function was f.
 */
export function signatureOf(
  invariant: string,
  detail: string,
  names: readonly string[],
  { fired, during }: Pick<FiredViolation, 'fired' | 'during'>,
): string {
  const what = `${invariant}: ${renameDetail(detail, names)}`;
  return during ? `${what} (in ${fired})` : `${what} @ ${fired}`;
}

/**
 * What a known finding is matched by: the invariant and the renamed detail, not the function. A
 * finding scenario and the explorer reach the same symptom through different kernel paths (another
 * mode, another vector length, a path stopped at a point rather than run whole), so the function
 * that fired differs where the bug does not; within one run the signature keeps them apart.
 */
export function knownKeyOf(signature: string): string {
  return signature.replace(/(?: @ [\w$-]+| \(in [\w$-]+\))$/, '');
}
