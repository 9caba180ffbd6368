// Prints each level of an exploration as it completes (a development aid): depth, distinct
// states, new states, transitions, frontier, seconds and RSS.
import { Explorer, fullAlphabet, loadExploreConfig, resolveTable } from '@kvmfp/sim';

const [file, depthArg, mutant] = process.argv.slice(2);
const cfg = loadExploreConfig(file);
const ex = new Explorer(
  cfg.world,
  resolveTable('v6.4', mutant ?? null),
  fullAlphabet(cfg.alphabet),
  'v6.4',
  mutant ?? null,
);
const t0 = Date.now();
const r = ex.explore({
  depth: depthArg && depthArg !== 'all' ? Number(depthArg) : undefined,
  onLevel: (l) =>
    console.log(
      `depth ${l.depth}: ${l.distinct} states (+${l.newStates}), ${l.transitions} transitions, frontier ${l.frontier}, ${((Date.now() - t0) / 1000).toFixed(1)} s, ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
    ),
});
console.log(
  `${r.exhausted ? 'exhausted' : 'bounded'}: ${r.distinct} states, ${r.transitions} transitions, diameter ${r.diameter}`,
);
for (const v of r.violations)
  console.log(`  ${v.invariant} at ${v.depth}: ${v.detail}\n    ${JSON.stringify(v.events)}`);
