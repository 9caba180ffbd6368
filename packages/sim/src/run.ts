// Running a scenario: build the world for a revision (or a mutant of one), apply the events with
// the invariants checked after each, record a trace, and check the scenario's expectations.

import { formatVal } from '@kvmfp/machine';
import type { EntryTable } from '@kvmfp/fpsimd';
import { applyEvent, bootstrap, Event, EventError } from './events.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { resolveTable } from './revisions.js';
import { Runtime } from './runtime.js';
import { Expectations, Scenario, worldConfig } from './scenario.js';
import { createWorld, MoveCounts, Violation, World } from './world.js';

export interface TraceStep {
  n: number;
  event: string;
  functions: string[];
  moves: string[];
  violations: string[];
  cpus: string[];
  /** Why the event could not run here (the world is unchanged by it), when it was not enabled. */
  notEnabled?: string;
}

export interface RunResult {
  title: string;
  revision: string;
  mutant: string | null;
  steps: TraceStep[];
  totals: MoveCounts;
  violations: Violation[];
  findings: string[];
  failures: string[];
  passed: boolean;
  /** The scenario states no expectations: the run only shows the trace. */
  observeOnly: boolean;
  /** Events that were not enabled and that the scenario does not expect to be (input errors). */
  unexpectedlyDisabled: { n: number; event: string; reason: string }[];
}

export function describeEvent(e: Event): string {
  const { do: kind, ...rest } = e;
  return [kind, ...Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`)].join(' ');
}

function cpuSummary(w: World): string[] {
  return w.machine.cpus.map((c, i) => {
    const p = w.kernel.percpu[i];
    const u = w.users.find((x) => x.pid === p.current.pid);
    const where = u ? `${u.name}:${u.mode}${u.kpath ? `@${u.kpath}` : ''}` : p.current.comm;
    const last = p.fpsimd_last_state.st;
    const owner = last
      ? (w.kernel.tasks.find((t) => t.thread.uw.fpsimd_state === last)?.comm ?? 'vcpu')
      : '-';
    const foreign = p.current.flags & 8 ? ' FOREIGN' : '';
    const vcpu = w.kvm.vcpus.find((v) => v.cpu === i);
    const fpState = vcpu ? ` fp_state=${['FREE', 'HOST_OWNED', 'GUEST_OWNED'][vcpu.arch.fp_state]}` : '';
    return `cpu${i} ${where} EL${c.el}/${c.world} SVCR=${c.sys.svcr} last=${owner}${foreign}${fpState} V=${formatVal(c.regs.V, w.writers)}`;
  });
}

export interface RunOptions {
  revision?: string;
  mutant?: string | null;
  tracing?: boolean;
}

export function runScenario(s: Scenario, opts: RunOptions = {}): RunResult {
  const revision = opts.revision ?? s.revision ?? 'v6.4';
  const mutant = opts.mutant !== undefined ? opts.mutant : (s.mutant ?? null);
  const table: EntryTable = resolveTable(revision, mutant);
  const world = createWorld(worldConfig(s), revision, mutant);
  const rt = new Runtime(world, table, opts.tracing ?? true);
  attachVcpus(rt, worldConfig(s));
  bootstrap(rt);
  const steps: TraceStep[] = [];
  for (const ev of s.events) {
    if (rt.dead) break;
    rt.record = { event: describeEvent(ev), functions: [], moves: [] };
    const before = world.violations.length;
    let notEnabled: string | undefined;
    try {
      applyEvent(rt, ev);
    } catch (e) {
      if (!(e instanceof EventError)) throw e;
      notEnabled = e.message;
    }
    checkInvariants(world);
    steps.push({
      n: steps.length + 1,
      event: rt.record.event,
      functions: rt.record.functions,
      moves: rt.record.moves,
      violations: world.violations.slice(before).map((v) => `${v.invariant}: ${v.detail}`),
      cpus: cpuSummary(world),
      ...(notEnabled === undefined ? {} : { notEnabled }),
    });
  }
  rt.record = null;
  const expected = new Set(s.expect?.disabled ?? []);
  const unexpectedlyDisabled = steps
    .filter((st) => st.notEnabled !== undefined && !expected.has(st.n))
    .map((st) => ({ n: st.n, event: st.event, reason: st.notEnabled! }));
  const failures = [
    ...unexpectedlyDisabled.map((d) => `event ${d.n} (${d.event}) is not enabled: ${d.reason}`),
    ...(s.expect ? checkExpectations(s.expect, world, steps, rt.dead) : []),
  ];
  return {
    title: s.title,
    revision,
    mutant,
    steps,
    totals: { ...world.moves },
    violations: world.violations,
    findings: world.kernel.findings.map((f) => `${f.kind} ${f.where}: ${f.detail}`),
    failures,
    passed: failures.length === 0,
    observeOnly: s.expect === undefined,
    unexpectedlyDisabled,
  };
}

function checkExpectations(x: Expectations, w: World, steps: TraceStep[], dead: string | null): string[] {
  const out: string[] = [];
  if (dead && !(x.dies && dead.includes(x.dies))) out.push(`the world died: ${dead}`);
  if (x.dies && !dead) out.push(`the world did not die with '${x.dies}'`);
  const got = [...new Set(w.violations.map((v) => v.invariant))].sort();
  const want = [...new Set(x.violations.map((v) => v.invariant))].sort();
  if (JSON.stringify(got) !== JSON.stringify(want))
    out.push(`violations: expected [${want.join(', ')}], got [${got.join(', ')}]`);
  for (const v of x.violations)
    if (v.detail && !w.violations.some((g) => g.invariant === v.invariant && g.detail.includes(v.detail!)))
      out.push(`violation ${v.invariant} with '${v.detail}' did not occur`);
  for (const [k, n] of Object.entries(x.moves ?? {}))
    if (w.moves[k as keyof MoveCounts] !== n)
      out.push(`moves.${k}: expected ${n}, got ${w.moves[k as keyof MoveCounts]}`);
  const ran = new Set(steps.flatMap((s) => s.functions));
  for (const f of x.functions ?? []) if (!ran.has(f)) out.push(`function ${f} did not run`);
  for (const f of x.notFunctions ?? []) if (ran.has(f)) out.push(`function ${f} ran`);
  const findings = w.kernel.findings.map((f) => `${f.kind} ${f.where}`);
  for (const f of x.findings ?? [])
    if (!findings.some((g) => g.includes(f))) out.push(`finding '${f}' not recorded`);
  for (const n of x.disabled ?? [])
    if (steps[n - 1] && steps[n - 1].notEnabled === undefined)
      out.push(`event ${n} (${steps[n - 1].event}) ran, expected it not to be enabled`);
  for (const [k, v] of Object.entries(x.final ?? {})) {
    const actual = finalFact(w, k);
    if (actual !== v) out.push(`final ${k}: expected ${String(v)}, got ${String(actual)}`);
  }
  return out;
}

/**
 * Final facts a scenario can name: cpuN.svcr, cpuN.el, cpuN.<bank>, <task>.flags.<TIF>, <task>.stop,
 * vcpu fields and <vcpu>.exit_reason (run->exit_reason).
 */
export function finalFact(w: World, key: string): number | string | boolean | undefined {
  const [head, ...rest] = key.split('.');
  const cpuMatch = /^cpu(\d+)$/.exec(head ?? '');
  if (cpuMatch) {
    const c = w.machine.cpus[Number(cpuMatch[1])];
    if (!c) return undefined;
    const field = rest.join('.');
    if (field in c.regs) return formatVal(c.regs[field as keyof typeof c.regs], w.writers);
    if (field in c.sys) return c.sys[field as keyof typeof c.sys];
    if (field === 'el') return c.el;
    if (field === 'world') return c.world;
    return undefined;
  }
  const u = w.users.find((x) => x.name === head);
  if (u) {
    const t = w.kernel.tasks.find((x) => x.pid === u.pid)!;
    if (rest[0] === 'mode') return u.mode;
    if (rest[0] === 'stop') return u.stop;
    if (rest[0] === 'flags') return (t.flags >> Number(rest[1])) & 1 ? true : false;
    if (rest[0] === 'fp_type') return t.thread.fp_type;
    if (rest[0] === 'svcr') return t.thread.svcr;
  }
  const vi = w.guests.findIndex((g) => g.name === head);
  if (vi >= 0) {
    const v = w.kvm.vcpus[vi] as unknown as { arch: Record<string, unknown> };
    const g = w.guests[vi];
    if (rest[0] === 'undefs') return g.undefs;
    if (rest[0] === 'exit_reason') return w.kvm.vcpus[vi].run.exit_reason;
    if (rest[0] === 'zcr_el1') return w.kvm.vcpus[vi].arch.ctxt.sys_regs.ZCR_EL1;
    const val = v.arch[rest[0] ?? ''];
    return typeof val === 'number' || typeof val === 'string' || typeof val === 'boolean' ? val : undefined;
  }
  return undefined;
}
