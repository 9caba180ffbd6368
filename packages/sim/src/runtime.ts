// The runtime drives a world: it binds the world and a CPU before any kernel code runs, keeps the
// kernel paths that are suspended at preemption points (generators, so not world data), and runs
// them step by step. Everything it does to the world goes through a revision's entry table.

import { setMoveSink, setProbe } from '@kvmfp/machine';
import { bindKernel, EntryTable, installEntries, KernelBug, KernelPath, Yielded } from '@kvmfp/fpsimd';
import type { World } from './world.js';

export interface StepRecord {
  event: string;
  functions: string[];
  moves: string[];
}

/** How a kernel path stopped: at a preemption point, at guest entry, or finished. */
export type PathStop =
  | { kind: 'point'; label: string; locals?: Readonly<Record<string, number | boolean | null>> }
  | { kind: 'guest'; vcpuId: number; cpu?: number }
  | { kind: 'done' };

/**
 * A suspended path that is not materialised in this runtime (the explorer rebuilds it on demand,
 * see explore.ts): resuming it first is a request to the explorer, never a silent fresh start.
 */
export class PathNotMaterialised extends Error {
  constructor(readonly pid: number) {
    super(`kernel path of pid ${pid} is not materialised`);
  }
}

export class Runtime {
  /** Suspended kernel paths by pid. */
  readonly paths = new Map<number, KernelPath<unknown>>();
  /** What started each suspended path (a tag naming its kind and the values it closed over). */
  readonly tags = new Map<number, string>();
  /** Where each suspended path stands. */
  readonly stops = new Map<number, PathStop>();
  /** Paths known to be suspended but not materialised here (the explorer's lazy paths). */
  readonly lazy = new Set<number>();
  /** Pids whose path was started or resumed since the explorer last cleared this. */
  readonly touched = new Set<number>();
  /** The step being recorded, when tracing. */
  record: StepRecord | null = null;
  dead: string | null = null;

  constructor(
    readonly world: World,
    readonly table: EntryTable,
    readonly tracing: boolean,
  ) {}

  /** Makes `cpu` the CPU that kernel code runs on, with this world's entry table in force. */
  bind(cpu: number): void {
    installEntries(this.table);
    bindKernel(this.world.kernel, this.world.machine, cpu);
    setMoveSink((kind, what) => {
      this.world.moves[kind]++;
      this.record?.moves.push(`${kind} ${what}`);
    });
    setProbe(this.tracing ? () => this.noteCaller() : undefined);
  }

  /** Whether `pid` has a suspended kernel path (materialised or not). */
  hasPath(pid: number): boolean {
    return this.paths.has(pid) || this.lazy.has(pid);
  }

  /** The pids with a suspended kernel path, in pid order. */
  inFlight(): number[] {
    const out: number[] = [];
    for (const pid of this.paths.keys()) insertSorted(out, pid);
    for (const pid of this.lazy) if (!this.paths.has(pid)) insertSorted(out, pid);
    return out;
  }

  /**
   * Starts a kernel path for `pid` on `cpu` and runs it to its first stop. `tag` names the path and
   * every value its closures hold that the world does not (part of a state's identity).
   */
  start(pid: number, cpu: number, path: KernelPath<unknown>, tag: string): PathStop {
    // A task has one kernel path at a time: starting another over a suspended one (materialised or
    // not) would drop it silently, which is a model error.
    if (this.hasPath(pid)) throw new Error(`pid ${pid} already has a suspended kernel path`);
    this.paths.set(pid, path);
    this.tags.set(pid, tag);
    return this.resume(pid, cpu, undefined);
  }

  /** Resumes the suspended path of `pid` on `cpu` (with a value for a guest exit) to its next stop. */
  resume(pid: number, cpu: number, value: unknown): PathStop {
    const path = this.paths.get(pid);
    if (!path) {
      if (this.lazy.has(pid)) throw new PathNotMaterialised(pid);
      throw new Error(`no kernel path for pid ${pid}`);
    }
    this.touched.add(pid);
    this.bind(cpu);
    let r: IteratorResult<Yielded, unknown>;
    try {
      r = path.next(value);
    } catch (e) {
      if (e instanceof KernelBug) {
        this.forget(pid);
        this.dead = e.message;
        return { kind: 'done' };
      }
      throw e;
    }
    if (r.done) {
      this.forget(pid);
      return { kind: 'done' };
    }
    // A guest stop records the CPU it entered on: on nVHE the hyp frames under the entry hold that
    // CPU's host context, so the same vcpu entered on another CPU is another suspended path.
    const stop: PathStop =
      r.value.kind === 'point'
        ? { kind: 'point', label: r.value.label, locals: r.value.locals }
        : { ...r.value, cpu };
    this.stops.set(pid, stop);
    return stop;
  }

  private forget(pid: number): void {
    this.paths.delete(pid);
    this.tags.delete(pid);
    this.stops.delete(pid);
  }

  /** Runs a plain (non-yielding) piece of kernel code on `cpu`. */
  atomic<R>(cpu: number, body: () => R): R | undefined {
    this.bind(cpu);
    try {
      return body();
    } catch (e) {
      if (!(e instanceof KernelBug)) throw e;
      this.dead = e.message;
      return undefined;
    }
  }

  // Which kernel functions ran: the port files' frames on the stack at each probe (every register
  // access, kernel helper and preemption point), so also the functions that touch no register.
  private noteCaller(): void {
    const rec = this.record;
    if (!rec) return;
    for (const f of portFrames(40).reverse()) if (!rec.functions.includes(f)) rec.functions.push(f);
  }
}

/** The port functions on the current call stack (within `depth` frames), innermost first. */
export function portFrames(depth: number): string[] {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = depth;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    // A function called through a table shows as `Object.zt_set [as set]`: the name is the port's.
    const m =
      /at (?:Generator\.|Object\.)?([\w$]+)(?: \[as [\w$]+\])? \(.*\/src\/v6\.[^/]+\/([\w.-]+)\.ts/.exec(
        line,
      );
    if (m && m[2] !== 'linux') frames.push(m[1]);
  }
  return frames;
}

/** Inserts `x` into the ascending list `xs` (a runtime has a path or two: no sort's work array). */
function insertSorted(xs: number[], x: number): void {
  let j = xs.length;
  for (; j > 0 && xs[j - 1] > x; j--) xs[j] = xs[j - 1];
  xs[j] = x;
}
