// `kvmfp explore` and `kvmfp equiv`.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { equivalence } from '../equiv.js';
import { Counterexample, Explorer, ExploreResult } from '../explore.js';
import { exploreInWorkers } from '../parallel.js';
import { ExploreReport, mergeShards, ShardResult } from '../report.js';
import { checkCompleteSet, readReportFile, runId, writeReportFiles } from '../report-file.js';
import { fullAlphabet, loadExploreConfig } from '../explore-config.js';
import { describeEvent } from '../run.js';
import { resolveTable, REVISION_NAMES } from '../revisions.js';
import { describeValue, fieldError, InputError } from '../input/errors.js';
import { COMMAND_LINE } from '../input/flags.js';
import type { Io } from './commands.js';

function parseShard(s: unknown): [number, number] | undefined {
  if (s === undefined) return undefined;
  const text = typeof s === 'string' ? s : JSON.stringify(s);
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) >= Number(m[2]))
    throw new InputError(`--shard: expected i/n with i < n, found '${text}'`);
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

function modeOf(o: Record<string, unknown>): string {
  return o.atomicPaths ? 'whole paths' : o.freeSteps ? 'points, free steps' : 'points';
}

function printReport(r: ExploreReport, io: Io, json: boolean, written: string[], seconds: number): void {
  if (json) return io.out(JSON.stringify({ ...r, counterexamples: written }, null, 2));
  const rate = Math.round(r.distinct / Math.max(seconds, 1e-3));
  const bound = r.depth === null ? 'to exhaustion' : `to depth ${r.depth}`;
  const outcome = r.exhausted
    ? `state space exhausted: ${r.distinct} states, diameter ${r.diameter}`
    : `${r.distinct} distinct states, depth reached ${r.diameter}${r.complete ? '' : ' (incomplete)'}`;
  io.out(
    `explore ${r.config} (${r.revision}${r.mutant ? ` mutant ${r.mutant}` : ''}; ${r.mode}) ${bound}: ${outcome}, ${r.transitions} transitions; ${seconds.toFixed(1)} s, ${rate} states/s`,
  );
  for (const v of r.violations) io.out(`  violation ${v.invariant} at depth ${v.depth}: ${v.detail}`);
  for (const p of written) io.out(`  counterexample: ${p}`);
}

export async function exploreCommand(file: string, o: Record<string, unknown>, io: Io): Promise<number> {
  const cfg = loadExploreConfig(file);
  const rev = (o.rev as string | undefined) ?? cfg.revision ?? 'v6.4';
  const mutant = (o.mutant as string | undefined) ?? cfg.mutant ?? null;
  const depth = (o.depth as number | undefined) ?? cfg.depth ?? null;
  const workers = (o.workers as number | undefined) ?? 1;
  const shard = parseShard(o.shard);
  if (shard && workers > 1)
    throw fieldError(
      COMMAND_LINE,
      '--workers',
      '1 with --shard (a shard runs in one process)',
      String(workers),
    );
  const table = resolveTable(rev, mutant);
  const options = {
    depth: depth ?? undefined,
    maxStates: o.maxStates as number | undefined,
    maxBytes: ((o.maxMem as number | undefined) ?? 1024) * 2 ** 20,
    shard,
    atomicPaths: Boolean(o.atomicPaths),
    freeSteps: Boolean(o.freeSteps),
  };
  const meta = { config: file, revision: rev, mutant, depth, mode: modeOf(o) };
  const t0 = Date.now();
  let shards: ShardResult[];
  if (workers > 1) {
    shards = await exploreInWorkers({ configFile: file, rev, mutant, options }, workers);
  } else {
    let interrupted = false;
    const onSigint = () => (interrupted = true);
    process.once('SIGINT', onSigint);
    const progress = process.stderr.isTTY && !o.json;
    const explorer = new Explorer(cfg.world, table, fullAlphabet(cfg.alphabet), rev, mutant);
    const result = explorer.explore({
      ...options,
      keepVisited: true,
      shouldStop: () => interrupted,
      onLevel: (lv) => {
        if (progress) {
          const mem = Math.round(process.memoryUsage().rss / 2 ** 20);
          const rate = Math.round(lv.distinct / ((Date.now() - t0) / 1000 + 1e-9));
          process.stderr.write(
            `depth ${lv.depth}: ${lv.distinct} states, ${lv.transitions} transitions, ${rate} states/s, ${mem} MiB\n`,
          );
        }
      },
    });
    process.removeListener('SIGINT', onSigint);
    if (result.stoppedBy === 'interrupted')
      io.err(`interrupted: covered depth ${result.depthReached}, ${result.distinct} states`);
    shards = [{ result, visited: result.visited! }];
  }
  const report = mergeShards(meta, shards);
  const written = writeCounterexamples(file, cfg, rev, mutant, report.violations, o.out as string);
  if (o.report) {
    const run = runId({ ...meta, config: configContent(cfg), maxStates: options.maxStates });
    const identity = { run, shard: { index: shard?.[0] ?? 0, count: shard?.[1] ?? 1 } };
    writeReportFiles(
      o.report as string,
      { ...report, ...identity },
      shards.map((s) => s.visited),
    );
  }
  printReport(report, io, Boolean(o.json), written, (Date.now() - t0) / 1000);
  return report.violations.length ? 1 : 0;
}

function writeCounterexamples(
  file: string,
  cfg: ReturnType<typeof loadExploreConfig>,
  rev: string,
  mutant: string | null,
  violations: Counterexample[],
  out: string,
): string[] {
  if (!violations.length) return [];
  mkdirSync(out, { recursive: true });
  return violations.map((c, i) => {
    const p = join(out, `${c.invariant}-${i + 1}.yaml`);
    writeFileSync(
      p,
      `# depth ${c.depth}; ${c.invariant}\n` + stringify(counterexampleScenario(file, cfg, rev, mutant, c)),
    );
    return p;
  });
}

/** `kvmfp merge`: a complete set of shard reports (written with --report) into the report of the whole run. */
export function mergeCommand(files: string[], o: Record<string, unknown>, io: Io): number {
  const parts = files.map((file) => ({ file, ...readReportFile(file) }));
  checkCompleteSet(parts);
  const shards = parts.map((p) => ({
    result: {
      violations: p.report.violations,
      transitions: p.report.transitions,
      complete: p.report.complete,
      exhausted: p.report.exhausted,
    } as ExploreResult,
    visited: p.visited,
  }));
  const { config, revision, mutant, depth, mode, run } = parts[0].report;
  const report = mergeShards({ config, revision, mutant, depth, mode }, shards);
  if (o.report)
    writeReportFiles(
      o.report as string,
      { ...report, run, shard: { index: 0, count: 1 } },
      parts.map((p) => p.visited),
    );
  printReport(report, io, Boolean(o.json), [], 0);
  return report.violations.length ? 1 : 0;
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

export function equivCommand(a: string, b: string, file: string, o: Record<string, unknown>, io: Io): number {
  const cfg = loadExploreConfig(file);
  const depth = (o.depth as number | undefined) ?? cfg.depth ?? undefined;
  const [sa, sb] = equivSides(file, cfg, [a, b]);
  const label = (x: typeof sa) => (x.mutant ? `${x.name} (a mutant of ${x.revision})` : x.name);
  const r = equivalence(cfg.world, sa, sb, fullAlphabet(cfg.alphabet), depth, Boolean(o.moves));
  const sides = [sa, sb].map(({ name, revision, mutant }) => ({ name, revision, mutant }));
  if (o.json) io.out(JSON.stringify({ a, b, sides, config: file, depth: depth ?? null, ...r }, null, 2));
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
  return r.equivalent ? 0 : 1;
}
