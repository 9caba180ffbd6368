// `kvmfp explore` and `kvmfp equiv`.

import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Counterexample, ExploreResult, keepShortest, violationKind } from '../explore.js';
import { KnownFindings, KnownMatch, loadKnownFindings, matchKnown, splitKnown } from '../known.js';
import { prestartWorkers, startEquiv, startExplore } from '../parallel.js';
import { knownKeyOf } from '../signature.js';
import { ExploreReport, mergeShards, ShardResult } from '../report.js';
import { fullAlphabet, loadExploreConfig } from '../explore-config.js';
import { taskSymmetry, type TaskSymmetry } from '../symmetry.js';
import { describeEvent } from '../run.js';
import { resolveTable, REVISION_NAMES } from '../revisions.js';
import { checkCompleteSet, readReportFile, runId, writeReportFiles } from '../report-file.js';
import { describeValue, fieldError, InputError } from '../input/errors.js';
import { COMMAND_LINE } from '../input/flags.js';
import type { Io } from './commands.js';
import { progressMode, progressView } from './progress.js';
import { stopOnSignals } from './stop.js';

function parseShard(s: unknown): [number, number] | undefined {
  if (s === undefined) return undefined;
  const text = typeof s === 'string' ? s : JSON.stringify(s);
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) >= Number(m[2]))
    throw new InputError(`kvmfp: --shard: expected i/n with i < n, found '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

function counterexampleScenario(
  cfgFile: string,
  cfg: ReturnType<typeof loadExploreConfig>,
  rev: string,
  mutant: string | null,
  c: Counterexample,
) {
  return {
    title: `counterexample: ${c.invariant} at depth ${c.depth}`,
    claim: `found by kvmfp explore ${cfgFile}: ${c.detail}. Events: ${c.events.map(describeEvent).join('; ')}`,
    revision: rev,
    mutant,
    machine: cfg.machine,
    tasks: cfg.tasks,
    vcpus: cfg.vcpus ?? [],
    events: c.events,
    expect: { violations: [{ invariant: c.invariant }] },
  };
}

/**
 * How states are explored and keyed, as the report says it (reports of different modes do not
 * merge): which of the tasks and CPUs symmetry interchanges is part of it.
 */
function modeOf(
  o: { atomicPaths?: boolean; freeSteps?: boolean; sleepSets?: boolean },
  sym: TaskSymmetry | null,
): string {
  const paths = o.atomicPaths ? 'whole paths' : o.freeSteps ? 'points, free steps' : 'points';
  const base = o.sleepSets === false ? paths : `${paths}, sleep sets`;
  if (!sym) return base;
  const what = [sym.classes.length ? 'task' : '', sym.cpus ? 'CPU' : ''].filter(Boolean).join(' and ');
  return `${base}, ${what} symmetry`;
}

function printReport(r: ExploreReport, io: Io, json: boolean, out: OutSummary, seconds: number): void {
  if (json) return io.out(JSON.stringify({ ...r, counterexamples: out.written, out: out.dir }, null, 2));
  const rate = Math.round(r.distinct / Math.max(seconds, 1e-3));
  const partial = r.stoppedBy
    ? ` (stopped: ${r.stoppedBy}; ${r.levelsCompleted} levels complete)`
    : r.complete
      ? ''
      : ' (incomplete)';
  const bound = r.depth === null ? 'to exhaustion' : `to depth ${r.depth}`;
  const outcome = r.exhausted
    ? `state space exhausted: ${r.distinct} states, diameter ${r.diameter}`
    : `${r.distinct} distinct states, depth reached ${r.diameter}${partial}`;
  io.out(
    `explore ${r.config} (${r.revision}${r.mutant ? ` mutant ${r.mutant}` : ''}; ${r.mode}) ${bound}: ${outcome}, ${r.transitions} transitions; ${seconds.toFixed(1)} s, ${rate} states/s`,
  );
  for (const v of r.violations)
    io.out(`  violation ${v.invariant} at depth ${v.depth}: ${v.detail}${firedText(v)}`);
  for (const k of r.known ?? [])
    io.out(
      `  known finding ${k.finding}${k.symptomOnly ? ' (by symptom only: none of them goes through every kernel entry this counterexample does)' : ''}: ${k.invariant} at depth ${k.depth}${firedText(k)}`,
    );
  for (const p of out.written) io.out(`  counterexample: ${p}`);
  if (out.dir !== undefined)
    io.out(
      out.written.length
        ? `counterexamples written to ${out.dir}`
        : `no counterexamples written (${out.dir})`,
    );
}

function firedText(c: Counterexample): string {
  return c.fired && c.fired !== '-' ? ` (in ${c.fired})` : '';
}

interface OutSummary {
  dir?: string;
  written: string[];
}

/** The options of `kvmfp explore` after commander (see commands.ts for their meaning). */
interface ExploreFlags {
  rev?: string;
  mutant?: string;
  depth?: number;
  workers?: number;
  shard?: unknown;
  maxStates?: number;
  maxMem?: number;
  atomicPaths?: boolean;
  freeSteps?: boolean;
  expandViolations?: boolean;
  known?: string | false;
  out?: string;
  report?: string;
  json?: boolean;
  progress?: boolean;
  timeLimit?: number;
  symmetry?: boolean;
  sleepSets?: boolean;
}

export async function exploreCommand(file: string, o: ExploreFlags, io: Io): Promise<number> {
  const cfg = loadExploreConfig(file);
  const rev = o.rev ?? cfg.revision ?? 'v6.4';
  const mutant = o.mutant ?? cfg.mutant ?? null;
  const depth = o.depth ?? cfg.depth ?? null;
  const workers = o.workers ?? 1;
  const shard = parseShard(o.shard);
  if (shard && workers > 1)
    throw fieldError(
      COMMAND_LINE,
      '--workers',
      '1 with --shard (a shard runs in one process)',
      String(workers),
    );
  resolveTable(rev, mutant);
  const outDir = o.out ?? defaultOutDir(file);
  checkWritable('--out', outDir);
  // The workers load the port while the main thread learns the known findings (about a second
  // each): neither waits for the other.
  prestartWorkers(workers);
  // Last of the checks: learning the known signatures runs every finding scenario.
  const known = o.known === false ? new KnownFindings() : loadKnownFindings(o.known ?? defaultKnownDir());
  const options = {
    depth: depth ?? undefined,
    maxStates: o.maxStates,
    maxBytes: (o.maxMem ?? 1024) * 2 ** 20,
    shard,
    atomicPaths: Boolean(o.atomicPaths),
    freeSteps: Boolean(o.freeSteps),
    expandViolations: Boolean(o.expandViolations),
    knownKeys: [...known.keys()],
    symmetry: o.symmetry !== false,
    sleepSets: o.sleepSets !== false,
  };
  const symmetric = options.symmetry ? taskSymmetry(cfg.world, fullAlphabet(cfg.alphabet)) : null;
  const meta = { config: file, revision: rev, mutant, depth, mode: modeOf(o, symmetric) };
  const t0 = Date.now();
  const view = progressView(progressMode(o.progress !== false, process.stderr), process.stderr, 'explore');
  const sink = new CounterexampleSink(outDir, known, (c) =>
    counterexampleScenario(file, cfg, rev, mutant, c),
  );
  const run = startExplore({ configFile: file, rev, mutant, options }, workers, {
    onProgress: (i, p) => view.update(i, p),
    onLevel: (i, lv, done) => view.level(i, lv, done),
    onViolation: (c) => {
      const note = sink.add(c);
      if (note) view.note(note);
    },
  });
  const stop = stopRunOnSignals(view, run, o.timeLimit);
  let shards: ShardResult[];
  try {
    shards = await run.done;
  } finally {
    stop.dispose();
    view.stop();
  }
  const merged = mergeShards(meta, shards);
  if (stop.reason) merged.stoppedBy = stop.reason;
  const { fresh, known: matches } = splitKnown(merged.violations, known);
  const report: ExploreReport = { ...merged, violations: fresh, known: matches };
  if (o.report) {
    const run = runId({ ...meta, config: configContent(cfg), maxStates: options.maxStates });
    const identity = { run, shard: { index: shard?.[0] ?? 0, count: shard?.[1] ?? 1 } };
    writeReportFiles(
      o.report,
      { ...report, ...identity },
      shards.map((s) => s.visited),
    );
  }
  const out = { dir: sink.dir, written: sink.filesFor([...fresh, ...matches.filter((k) => k.symptomOnly)]) };
  printReport(report, io, Boolean(o.json), out, (Date.now() - t0) / 1000);
  return stop.exitStatus ?? (toTriage(report) ? 1 : 0);
}

/**
 * Writes each new counterexample as a scenario when it is found, one file per signature (a shorter
 * one found later replaces it). Matches to known findings are announced, not written.
 */
class CounterexampleSink {
  private readonly best = new Map<string, Counterexample>();
  private readonly files = new Map<string, string>();
  private readonly knownSeen = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly known: KnownFindings,
    private readonly scenario: (c: Counterexample) => object,
  ) {}

  /** Records `c`; returns a line to show when something new was found. */
  add(c: Counterexample): string | null {
    const kind = violationKind(c);
    const key = knownKeyOf(kind);
    const match = matchKnown(c, this.known);
    // A match by symptom only is written out like a new violation: it is to be triaged.
    if (match && !match.symptomOnly) {
      if (this.knownSeen.has(key)) return null;
      this.knownSeen.add(key);
      return `known finding ${match.finding}: ${c.invariant} at depth ${c.depth}`;
    }
    if (!keepShortest(this.best, c)) return null;
    const fresh = !this.files.has(kind);
    const path = join(this.dir, `${c.invariant}-${shortHash(kind)}.yaml`);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(path, `# depth ${c.depth}; ${kind}\n` + stringify(this.scenario(c)));
    this.files.set(kind, path);
    return fresh ? `counterexample: ${c.invariant} at depth ${c.depth}${firedText(c)}: ${path}` : null;
  }

  filesFor(cs: Counterexample[]): string[] {
    return cs.map((c) => this.files.get(violationKind(c))).filter((p): p is string => p !== undefined);
  }
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

/** The repository this CLI runs from (its source lives in packages/sim/src/cli). */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

function defaultKnownDir(): string {
  return join(repoRoot, 'fixtures/findings');
}

/**
 * Where counterexamples go without --out: reports/out/ of the repository (git-ignored), or the
 * system temp directory when that is not this repository's; one folder per run.
 */
export function defaultOutDir(configFile: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const name = `${basename(configFile).replace(/\.(ya?ml|json)$/, '')}-${stamp}-${process.pid}`;
  const ignored = ignoresReportsOut(join(repoRoot, '.gitignore'));
  return join(ignored ? join(repoRoot, 'reports/out') : join(tmpdir(), 'kvmfp'), 'counterexamples', name);
}

/**
 * Counterexamples are written while the search runs, so a folder that cannot be made is found out
 * before it starts: the nearest existing ancestor must be a writable directory.
 */
function checkWritable(flag: string, dir: string): void {
  let p = resolve(dir);
  while (!existsSync(p)) p = dirname(p);
  const ok = statSync(p).isDirectory() && canWrite(p);
  if (!ok)
    throw new InputError(
      `kvmfp: ${flag}: expected a directory this user can write (or create), found '${dir}'`,
    );
}

function canWrite(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function ignoresReportsOut(gitignore: string): boolean {
  try {
    return readFileSync(gitignore, 'utf8')
      .split('\n')
      .some((l) => l.trim() === 'reports/out');
  } catch {
    return false;
  }
}

/** `kvmfp merge`: a complete set of shard reports (written with --report) into the report of the whole run. */
export function mergeCommand(files: string[], o: { report?: string; json?: boolean }, io: Io): number {
  const parts = files.map((file) => ({ file, ...readReportFile(file) }));
  checkCompleteSet(parts);
  // Matches to known findings were split off in each shard; merge them with the rest, split again.
  const known = new KnownFindings();
  for (const p of parts)
    for (const k of p.report.known ?? []) known.set(knownKeyOf(violationKind(k)), k.finding);
  const shards = parts.map((p) => ({
    result: {
      violations: [...p.report.violations, ...(p.report.known ?? []).map(withoutFinding)],
      transitions: p.report.transitions,
      complete: p.report.complete,
      exhausted: p.report.exhausted,
      depthReached: p.report.levelsCompleted ?? (p.report.complete ? (p.report.depth ?? 0) : 0),
      stoppedBy: null,
    } as unknown as ExploreResult,
    visited: p.visited,
  }));
  const { config, revision, mutant, depth, mode, run } = parts[0].report;
  const merged = mergeShards({ config, revision, mutant, depth, mode }, shards);
  merged.stoppedBy = parts.find((p) => p.report.stoppedBy)?.report.stoppedBy ?? null;
  const { fresh, known: matches } = splitKnown(merged.violations, known);
  const report: ExploreReport = { ...merged, violations: fresh, known: matches };
  if (o.report)
    writeReportFiles(
      o.report,
      { ...report, run, shard: { index: 0, count: 1 } },
      parts.map((p) => p.visited),
    );
  printReport(report, io, Boolean(o.json), { written: [] }, 0);
  return toTriage(report) ? 1 : 0;
}

/** Whether a report has something to triage: a new violation, or a match by symptom only. */
function toTriage(r: ExploreReport): boolean {
  return r.violations.length > 0 || (r.known ?? []).some((k) => k.symptomOnly);
}

/** What of a configuration determines a run's result: everything but the derived world and the title. */
function configContent(cfg: ReturnType<typeof loadExploreConfig>): unknown {
  const { world: _world, title: _title, ...content } = cfg;
  return content;
}

/**
 * The two sides of `kvmfp equiv`: each name is a revision or a mutant. The names override the
 * configuration's revision, except that a mutant runs on it (v6.4 if none); a configuration that
 * names a mutant itself is refused, since the command compares the two names it is given.
 */
function equivSides(file: string, cfg: ReturnType<typeof loadExploreConfig>, names: [string, string]) {
  if (cfg.mutant)
    throw fieldError(
      file,
      'mutant',
      'null for kvmfp equiv (it compares the two names it is given: name the mutant as A or B)',
      describeValue(cfg.mutant),
    );
  const base = cfg.revision ?? 'v6.4';
  return names.map((name) => {
    const isRevision = REVISION_NAMES.includes(name);
    const revision = isRevision ? name : base;
    const mutant = isRevision ? null : name;
    return { name, revision, mutant, table: resolveTable(revision, mutant) };
  });
}

/** A match back as a counterexample; whether it matched by symptom only stays with it (a merge has no scenarios to tell). */
function withoutFinding(k: KnownMatch): Counterexample {
  const { finding: _f, ...c } = k;
  return c;
}

interface EquivFlags {
  depth?: number;
  moves?: boolean;
  json?: boolean;
  progress?: boolean;
  timeLimit?: number;
}

export async function equivCommand(
  a: string,
  b: string,
  file: string,
  o: EquivFlags,
  io: Io,
): Promise<number> {
  const cfg = loadExploreConfig(file);
  const depth = o.depth ?? cfg.depth ?? undefined;
  const [sa, sb] = equivSides(file, cfg, [a, b]);
  const label = (x: typeof sa) => (x.mutant ? `${x.name} (a mutant of ${x.revision})` : x.name);
  const sides = [sa, sb].map(({ name, revision, mutant }) => ({ name, revision, mutant }));
  const view = progressView(progressMode(o.progress !== false, process.stderr), process.stderr, 'equiv');
  const run = startEquiv(
    { configFile: file, a, b, depth, moves: Boolean(o.moves) },
    { onProgress: (i, p) => view.update(i, p) },
  );
  const stop = stopRunOnSignals(view, run, o.timeLimit);
  let r: Awaited<typeof run.done>;
  try {
    r = await run.done;
  } finally {
    stop.dispose();
    view.stop();
  }
  const stoppedBy = stop.reason ?? r.stoppedBy;
  if (o.json)
    io.out(JSON.stringify({ a, b, sides, config: file, depth: depth ?? null, ...r, stoppedBy }, null, 2));
  else if (r.equivalent && stoppedBy)
    io.out(
      `equiv ${label(sa)} ${label(sb)} on ${file}: stopped (${stoppedBy}) with no observable difference so far: ${r.depthReached} levels complete (${r.distinct} state pairs, ${r.transitions} transitions)`,
    );
  else if (r.equivalent)
    io.out(
      `equiv ${label(sa)} ${label(sb)} on ${file}: no observable difference ${r.exhausted ? 'in the whole state space (exhausted)' : `within depth ${depth ?? r.depthReached}`} (${r.distinct} state pairs, ${r.transitions} transitions)`,
    );
  else {
    io.out(
      `equiv ${label(sa)} ${label(sb)} on ${file}: DIFFERENCE after ${r.difference!.events.length} events`,
    );
    io.out(`  events: ${r.difference!.events.map(describeEvent).join('; ')}`);
    io.out(`  ${a}:\n    ${r.difference!.a.replaceAll('\n', '\n    ')}`);
    io.out(`  ${b}:\n    ${r.difference!.b.replaceAll('\n', '\n    ')}`);
  }
  if (!r.equivalent) return 1;
  return stop.exitStatus ?? 0;
}

/** Signals and the time limit ask `run` to stop between transitions; `view` shows it. */
function stopRunOnSignals(
  view: ReturnType<typeof progressView>,
  run: { stop: () => void },
  timeLimit: number | undefined,
): ReturnType<typeof stopOnSignals> {
  return stopOnSignals(
    () => {
      view.stopping();
      run.stop();
    },
    (l) => view.note(l),
    timeLimit,
  );
}
