// `kvmfp explore` and `kvmfp equiv`.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { equivalence } from '../equiv.js';
import { Counterexample, Explorer, ExploreResult } from '../explore.js';
import { exploreInWorkers } from '../parallel.js';
import { ExploreReport, mergeShards, ShardResult } from '../report.js';
import { fullAlphabet, loadExploreConfig } from '../explore-config.js';
import { describeEvent } from '../run.js';
import { resolveTable, REVISION_NAMES } from '../revisions.js';
import { InputError } from '../scenario.js';
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

function writeReport(file: string, report: ExploreReport, visited: ShardResult['visited'][]): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  const total = visited.reduce((n, v) => n + v.hi.length, 0);
  const buf = Buffer.alloc(4 + total * 9);
  buf.writeUInt32LE(total, 0);
  let off = 4;
  for (const v of visited)
    for (let i = 0; i < v.hi.length; i++, off += 9) {
      buf.writeUInt32LE(v.hi[i], off);
      buf.writeUInt32LE(v.lo[i], off + 4);
      buf.writeUInt8(v.depth[i], off + 8);
    }
  writeFileSync(`${file}.fps`, buf);
}

function readVisited(file: string): ShardResult['visited'] {
  let buf: Buffer;
  try {
    buf = readFileSync(`${file}.fps`);
  } catch {
    throw new InputError(`${file}.fps: missing (a shard report is written with --report FILE)`);
  }
  const n = buf.readUInt32LE(0);
  if (buf.length !== 4 + n * 9)
    throw new InputError(`${file}.fps: expected ${4 + n * 9} bytes, found ${buf.length}`);
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const depth = new Uint8Array(n);
  for (let i = 0, off = 4; i < n; i++, off += 9) {
    hi[i] = buf.readUInt32LE(off);
    lo[i] = buf.readUInt32LE(off + 4);
    depth[i] = buf.readUInt8(off + 8);
  }
  return { hi, lo, depth };
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
    throw new InputError('--workers: expected 1 with --shard (a shard runs in one process)');
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
  if (o.report)
    writeReport(
      o.report as string,
      report,
      shards.map((s) => s.visited),
    );
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

/** `kvmfp merge`: shard reports (written with --report) into the report of the whole run. */
export function mergeCommand(files: string[], o: Record<string, unknown>, io: Io): number {
  const parts = files.map((f) => {
    let r: ExploreReport;
    try {
      r = JSON.parse(readFileSync(f, 'utf8')) as ExploreReport;
    } catch {
      throw new InputError(`${f}: not a readable exploration report`);
    }
    return { r, visited: readVisited(f) };
  });
  const first = parts[0].r;
  for (const p of parts)
    if (
      p.r.config !== first.config ||
      p.r.revision !== first.revision ||
      p.r.depth !== first.depth ||
      p.r.mode !== first.mode ||
      p.r.mutant !== first.mutant
    )
      throw new InputError(`merge: reports differ in config, revision, mutant, depth or mode`);
  const shards = parts.map((p) => ({
    result: {
      violations: p.r.violations,
      transitions: p.r.transitions,
      complete: p.r.complete,
      exhausted: p.r.exhausted,
    } as ExploreResult,
    visited: p.visited,
  }));
  const { config, revision, mutant, depth, mode } = first;
  const report = mergeShards({ config, revision, mutant, depth, mode }, shards);
  if (o.report)
    writeReport(
      o.report as string,
      report,
      parts.map((p) => p.visited),
    );
  printReport(report, io, Boolean(o.json), [], 0);
  return report.violations.length ? 1 : 0;
}

export function equivCommand(a: string, b: string, file: string, o: Record<string, unknown>, io: Io): number {
  const cfg = loadExploreConfig(file);
  const depth = (o.depth as number | undefined) ?? cfg.depth ?? undefined;
  const side = (name: string) => {
    const rev = REVISION_NAMES.includes(name) ? name : (cfg.revision ?? 'v6.4');
    const mutant = REVISION_NAMES.includes(name) ? null : name;
    return { name, table: resolveTable(rev, mutant), mutant };
  };
  const r = equivalence(cfg.world, side(a), side(b), fullAlphabet(cfg.alphabet), depth, Boolean(o.moves));
  if (o.json) io.out(JSON.stringify({ a, b, config: file, depth, ...r }, null, 2));
  else if (r.equivalent)
    io.out(
      `equiv ${a} ${b} on ${file}: no observable difference ${r.exhausted ? 'in the whole state space (exhausted)' : `within depth ${depth}`} (${r.distinct} state pairs, ${r.transitions} transitions)`,
    );
  else {
    io.out(`equiv ${a} ${b} on ${file}: DIFFERENCE after ${r.difference!.events.length} events`);
    io.out(`  events: ${r.difference!.events.map(describeEvent).join('; ')}`);
    io.out(`  ${a}:\n    ${r.difference!.a.replaceAll('\n', '\n    ')}`);
    io.out(`  ${b}:\n    ${r.difference!.b.replaceAll('\n', '\n    ')}`);
  }
  return r.equivalent ? 0 : 1;
}
