// Which fixtures exercise a function: fixture files that name it (a scenario's expected functions,
// a mutant's replaced entry, a comment), and scenario traces (`kvmfp run --json`) whose steps ran it.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

export interface NamedIn {
  /** Path relative to the workspace root. */
  file: string;
  /** 1-based lines that mention the name. */
  lines: number[];
}

export interface RanIn {
  /** The scenario's title. */
  scenario: string;
  /** Where the trace came from: a trace file, or the fixture file that was run. */
  source: string;
  /** Step numbers that ran the function. */
  steps: number[];
}

export interface FixtureUses {
  named: NamedIn[];
  ran: RanIn[];
}

const SKIP_DIRS = new Set(['node_modules', 'test-output', 'dist', 'out-tsc', 'schema', '.cache']);
const FIXTURE_FILE = /\.(ya?ml|json)$/;
const NOT_FIXTURES = /^(package|tsconfig.*|project)\.json$/;

/** Every fixture file (YAML, or JSON that is not project configuration) under `dir`, sorted. */
export function fixtureFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
      } else if (FIXTURE_FILE.test(e.name) && !NOT_FIXTURES.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The lines of each file that mention each of `names` as a whole word. */
export function grepNames(
  files: readonly string[],
  names: ReadonlySet<string>,
  root: string,
): Map<string, NamedIn[]> {
  const out = new Map<string, NamedIn[]>();
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const hits = new Map<string, number[]>();
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/[A-Za-z_]\w*/g)) {
        if (!names.has(m[0])) continue;
        const list = hits.get(m[0]) ?? [];
        if (!list.includes(i + 1)) list.push(i + 1);
        hits.set(m[0], list);
      }
    });
    for (const [name, lineNos] of hits) {
      const list = out.get(name) ?? [];
      list.push({ file: relative(root, file), lines: lineNos });
      out.set(name, list);
    }
  }
  return out;
}

/** The part of a `kvmfp run --json` result the reader uses. */
export interface TraceLike {
  title: string;
  steps: { n: number; functions: string[] }[];
}

function isTrace(x: unknown): x is TraceLike {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as { title?: unknown; steps?: unknown };
  return (
    typeof r.title === 'string' &&
    Array.isArray(r.steps) &&
    r.steps.every(
      (s: unknown) =>
        typeof s === 'object' && s !== null && Array.isArray((s as { functions?: unknown }).functions),
    )
  );
}

/** Traces from files or directories of `kvmfp run --json` output (one result, or an array of them). */
export function loadTraces(paths: readonly string[]): { source: string; trace: TraceLike }[] {
  const files = paths.flatMap((p) =>
    existsSync(p) && statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
  const out: { source: string; trace: TraceLike }[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(
        `${file}: expected the JSON of kvmfp run --json (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    const list = Array.isArray(json) ? (json as unknown[]) : [json];
    for (const t of list) {
      if (!isTrace(t)) throw new Error(`${file}: expected a run result with title and steps[].functions`);
      out.push({ source: basename(file), trace: t });
    }
  }
  return out;
}

/** For each function name, the traces that ran it and in which steps. */
export function tracesByFunction(
  traces: readonly { source: string; trace: TraceLike }[],
): Map<string, RanIn[]> {
  const out = new Map<string, RanIn[]>();
  for (const { source, trace } of traces) {
    const steps = new Map<string, number[]>();
    for (const s of trace.steps) for (const f of s.functions) steps.set(f, [...(steps.get(f) ?? []), s.n]);
    for (const [f, ns] of steps) {
      const list = out.get(f) ?? [];
      list.push({ scenario: trace.title, source, steps: ns });
      out.set(f, list);
    }
  }
  return out;
}

interface SimApi {
  loadScenario(file: string): unknown;
  runScenario(s: unknown): unknown;
}

/**
 * Runs each fixture scenario with the sim (in this process) and returns the traces that ran. A
 * file that is not a scenario, or a scenario the sim cannot run, is left out and noted.
 */
export async function runFixtureScenarios(
  files: readonly string[],
  root: string,
  note: (line: string) => void,
): Promise<{ source: string; trace: TraceLike }[]> {
  let sim: SimApi;
  try {
    sim = await import('@kvmfp/sim');
  } catch (err) {
    note(
      `fixtures not run: the sim did not load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
    );
    return [];
  }
  const out: { source: string; trace: TraceLike }[] = [];
  let failed = 0;
  for (const file of files) {
    try {
      const result = sim.runScenario(sim.loadScenario(file));
      if (isTrace(result)) out.push({ source: relative(root, file), trace: result });
    } catch {
      failed++;
    }
  }
  if (failed) note(`${failed} fixture files were not runnable scenarios (left out of "ran in")`);
  return out;
}
