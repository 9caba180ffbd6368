// `kvmfp explore` and `kvmfp equiv`.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { equivalence } from '../equiv.js';
import { Counterexample, Explorer } from '../explore.js';
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

export function exploreCommand(file: string, o: Record<string, unknown>, io: Io): number {
  const cfg = loadExploreConfig(file);
  const rev = (o.rev as string | undefined) ?? cfg.revision ?? 'v6.4';
  const mutant = (o.mutant as string | undefined) ?? cfg.mutant ?? null;
  const depth = (o.depth as number | undefined) ?? cfg.depth ?? 6;
  const table = resolveTable(rev, mutant);
  const explorer = new Explorer(cfg.world, table, fullAlphabet(cfg.alphabet), rev, mutant);
  let interrupted = false;
  const onSigint = () => (interrupted = true);
  process.once('SIGINT', onSigint);
  const t0 = Date.now();
  const progress = process.stderr.isTTY && !o.json;
  const r = explorer.explore({
    depth,
    maxStates: o.maxStates as number | undefined,
    maxBytes: ((o.maxMem as number | undefined) ?? 1024) * 2 ** 20,
    shard: parseShard(o.shard),
    atomicPaths: Boolean(o.atomicPaths),
    freeSteps: Boolean(o.freeSteps),
    shouldStop: () => interrupted,
    onLevel: (lv) => {
      if (progress)
        process.stderr.write(
          `depth ${lv.depth}: ${lv.distinct} states, ${lv.transitions} transitions, ${Math.round(lv.distinct / ((Date.now() - t0) / 1000 + 1e-9))} states/s\n`,
        );
    },
  });
  process.removeListener('SIGINT', onSigint);
  const written: string[] = [];
  if (r.violations.length) {
    mkdirSync(o.out as string, { recursive: true });
    r.violations.forEach((c, i) => {
      const p = join(o.out as string, `${c.invariant}-${i + 1}.yaml`);
      writeFileSync(
        p,
        `# depth ${c.depth}; ${c.invariant}\n` + stringify(counterexampleScenario(file, cfg, rev, mutant, c)),
      );
      written.push(p);
    });
  }
  const report = {
    config: file,
    revision: rev,
    mutant,
    depth,
    ...r,
    levels: r.levels,
    counterexamples: written,
    violations: r.violations.map((v) => ({ invariant: v.invariant, depth: v.depth, detail: v.detail })),
  };
  if (o.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(
      `explore ${file} (${rev}${mutant ? ` mutant ${mutant}` : ''}) to depth ${depth}: ${r.distinct} distinct states, ${r.transitions} transitions, depth reached ${r.depthReached}${r.complete ? '' : ` (stopped: ${r.stoppedBy})`}`,
    );
    for (const v of report.violations) io.out(`  violation ${v.invariant} at depth ${v.depth}: ${v.detail}`);
    for (const p of written) io.out(`  counterexample: ${p}`);
  }
  return r.violations.length ? 1 : 0;
}

export function equivCommand(a: string, b: string, file: string, o: Record<string, unknown>, io: Io): number {
  const cfg = loadExploreConfig(file);
  const depth = (o.depth as number | undefined) ?? cfg.depth ?? 6;
  const side = (name: string) => {
    const rev = REVISION_NAMES.includes(name) ? name : (cfg.revision ?? 'v6.4');
    const mutant = REVISION_NAMES.includes(name) ? null : name;
    return { name, table: resolveTable(rev, mutant) };
  };
  const r = equivalence(cfg.world, side(a), side(b), fullAlphabet(cfg.alphabet), depth, Boolean(o.moves));
  if (o.json) io.out(JSON.stringify({ a, b, config: file, depth, ...r }, null, 2));
  else if (r.equivalent)
    io.out(
      `equiv ${a} ${b} on ${file}: no observable difference within depth ${depth} (${r.distinct} state pairs, ${r.transitions} transitions)`,
    );
  else {
    io.out(`equiv ${a} ${b} on ${file}: DIFFERENCE after ${r.difference!.events.length} events`);
    io.out(`  events: ${r.difference!.events.map(describeEvent).join('; ')}`);
    io.out(`  ${a}:\n    ${r.difference!.a.replaceAll('\n', '\n    ')}`);
    io.out(`  ${b}:\n    ${r.difference!.b.replaceAll('\n', '\n    ')}`);
  }
  return r.equivalent ? 0 : 1;
}
