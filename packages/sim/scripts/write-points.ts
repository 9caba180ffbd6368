// Writes the list of preemption points: packages/sim/src/points-list.ts and the README table.
// Labels come from the sources (every `point('...')` outside tests); what may run at each is
// what the kernel allowed there over the whole fixture corpus, read from the CPU's preemption,
// softirq and interrupt state each time a path stopped at it.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { scenarioFiles } from '../src/cli/check.js';
import { Runtime } from '../src/runtime.js';
import { runScenario } from '../src/run.js';
import { loadScenario } from '../src/scenario.js';
import { pointsTable, README_END, README_START, type ScannedPoint, scanPoints } from './points-scan.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

interface Seen {
  preempt: Set<boolean>;
  softirq: Set<boolean>;
}

/** Runs the corpus and records, per label, whether a switch and a softirq could run there. */
function observe(): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  // The script patches Runtime.resume for its own run only: the sim has no hook here, and none
  // is needed outside this survey.
  const proto = Runtime.prototype;
  const resume = Object.getOwnPropertyDescriptor(proto, 'resume')!.value as Runtime['resume'];
  proto.resume = function (this: Runtime, pid, cpu, value) {
    const stop = resume.call(this, pid, cpu, value);
    if (stop.kind === 'point') {
      const p = this.world.kernel.percpu[cpu];
      const s = seen.get(stop.label) ?? { preempt: new Set(), softirq: new Set() };
      s.preempt.add(p.preempt_count === 0 && p.softirq_disable === 0 && !p.irqs_disabled);
      s.softirq.add(!p.irqs_disabled && p.softirq_disable === 0 && !p.in_softirq);
      seen.set(stop.label, s);
    }
    return stop;
  };
  for (const file of scenarioFiles(join(root, 'fixtures')))
    runScenario(loadScenario(file), { tracing: false });
  proto.resume = resume;
  return seen;
}

function mayRun(s: Seen | undefined): string {
  if (!s) return 'not reached by the corpus';
  const says = (set: Set<boolean>, what: string) =>
    set.size === 2 ? `${what} (in some states)` : set.has(true) ? what : '';
  const parts = [
    says(s.preempt, 'context switch or migration'),
    says(s.softirq, 'softirq with kernel-mode NEON'),
  ];
  const allowed = parts.filter(Boolean);
  return allowed.length ? allowed.join('; ') : 'nothing else on this CPU (preemption and softirqs off)';
}

/** Writes `text` to `file` formatted as the repository's prettier configuration says. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

async function writeList(points: ScannedPoint[], seen: Map<string, Seen>): Promise<void> {
  const entries = points.map((p) => ({ ...p, may: mayRun(seen.get(p.label)) }));
  const file = join(root, 'packages/sim/src/points-list.ts');
  const text = readFileSync(file, 'utf8');
  const head = text.slice(0, text.indexOf('export const PREEMPTION_POINTS'));
  await writeFormatted(
    file,
    `${head}export const PREEMPTION_POINTS: PreemptionPoint[] = ${JSON.stringify(entries, null, 2)};\n`,
  );
  const readme = join(root, 'README.md');
  const r = readFileSync(readme, 'utf8');
  const start = r.indexOf(README_START);
  const end = r.indexOf(README_END);
  if (start < 0 || end < start)
    throw new Error(`README.md: expected the markers ${README_START} ... ${README_END}`);
  await writeFormatted(
    readme,
    `${r.slice(0, start + README_START.length)}\n\n${pointsTable(entries)}\n\n${r.slice(end)}`,
  );
}

const points = scanPoints(root);
await writeList(points, observe());
console.log(`${points.length} preemption points written to packages/sim/src/points-list.ts and README.md`);
