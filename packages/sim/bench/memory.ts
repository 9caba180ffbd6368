// SPDX-License-Identifier: GPL-2.0-only
//
// Memory per stored state (issue 17, item 4): explores a configuration to a depth twice, with the
// frontier's worlds packed (pack.ts) and as whole worlds, and after each level (a full collection
// first) prints the heap plus array buffers per state in the next frontier, and the visited set's
// bytes per state. Run with the collector exposed:
//   npm run bench:memory -- [CONFIG [DEPTH]]
// (defaults: fixtures/configs/sched-sve.yaml, depth 6).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Explorer, fullAlphabet, loadExploreConfig, resolveTable } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('bench/memory.ts: run with node --expose-gc (npm run bench:memory does)');
  process.exit(2);
}
const [fileArg, depthArg] = process.argv.slice(2);
const file = fileArg ?? join(import.meta.dirname, '../../../fixtures/configs/sched-sve.yaml');
const depth = depthArg ? Number(depthArg) : 6;
const cfg = loadExploreConfig(file);

function measure(packFrontier: boolean): string {
  const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null, {
    packFrontier,
  });
  gc!();
  const base = process.memoryUsage();
  let line = '';
  const t0 = process.cpuUsage();
  const r = ex.explore({
    depth,
    onLevel: (l) => {
      gc!();
      const m = process.memoryUsage();
      const used = m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers;
      const perState = l.frontier ? Math.round(used / l.frontier) : 0;
      if (l.frontier) line = `frontier ${l.frontier} at depth ${l.depth + 1}: ${perState} bytes per state`;
      console.log(
        `  depth ${l.depth}: ${l.distinct} states, frontier ${l.frontier}, heap + buffers ${(used / 2 ** 20).toFixed(1)} MiB` +
          (l.frontier
            ? ` (${perState} bytes per frontier state, ${((perState * 1e6) / 2 ** 30).toFixed(2)} GiB per million)`
            : ''),
      );
    },
  });
  const cpu = process.cpuUsage(t0);
  return `${packFrontier ? 'packed' : 'whole worlds'}: ${line}; ${r.distinct} states, ${r.transitions} transitions, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; visited set ${(r.visitedBytes / r.distinct).toFixed(1)} bytes per state`;
}

// Each mode runs in its own process, so that neither measures what the other left behind.
const mode = process.argv[4];
if (mode === 'packed' || mode === 'whole') {
  console.log(measure(mode === 'packed'));
} else {
  console.log(`${file} to depth ${depth}`);
  const lines: string[] = [];
  for (const m of ['packed', 'whole']) {
    console.log(m === 'packed' ? 'frontier packed' : 'frontier of whole worlds');
    const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1], file, String(depth), m], {
      encoding: 'utf8',
    });
    const out = run.stdout.trimEnd().split('\n');
    for (const l of out.slice(0, -1)) console.log(l);
    lines.push(out[out.length - 1] ?? `${m}: failed: ${run.stderr}`);
  }
  for (const l of lines) console.log(l);
}
