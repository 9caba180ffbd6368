// The signature of a counterexample: which bug it shows, independent of the path that reached it.
// Two violations are the same bug when they break the same invariant in the same words once the
// incidental names are renamed (symbolic values, program names, CPU numbers) and the same kernel
// function fired. The explorer keeps the shortest counterexample per signature, so a shallow bug
// no longer hides a deeper, different one of the same invariant, and a known finding (a scenario
// kept in fixtures/findings/) is recognised on any configuration by its signature.

import type { EntryTable } from '@kvmfp/fpsimd';
import type { WorldConfig } from './config.js';
import { applyEvent, bootstrap, Event, EventError } from './events.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { Runtime } from './runtime.js';
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

/**
 * The kernel function that fired: the last ported function the violating event ran, found by
 * replaying the path with tracing on. The last, not the first, because an event stopped at a
 * preemption point and continued by `step` events ends the same way as the same event run whole,
 * while it starts differently. '-' when that event ran no kernel code (a user or guest
 * instruction that saw what earlier steps left).
 */
export function firedFunction(ctx: ReplayContext, events: readonly Event[]): string {
  const world = createWorld(ctx.config, ctx.rev, ctx.mutant);
  const rt = new Runtime(world, ctx.table, true);
  attachVcpus(rt, ctx.config);
  bootstrap(rt);
  let functions: string[] = [];
  for (const ev of events) {
    rt.record = { event: '', functions: [], moves: [] };
    try {
      applyEvent(rt, ev);
    } catch (e) {
      if (!(e instanceof EventError)) throw e;
    }
    checkInvariants(world);
    functions = rt.record.functions;
    if (rt.dead) break;
  }
  rt.record = null;
  return functions[functions.length - 1] ?? '-';
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

export function signatureOf(
  invariant: string,
  detail: string,
  names: readonly string[],
  fired: string,
): string {
  return `${invariant}: ${renameDetail(detail, names)} @ ${fired}`;
}
