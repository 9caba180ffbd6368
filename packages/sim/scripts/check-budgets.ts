// How far `kvmfp check` must explore each configuration to meet its known findings again: explores
// each configuration (all of fixtures/configs, or those named) breadth-first on v6.4 with the
// known findings of fixtures/findings, as `kvmfp check` does (task and CPU symmetry on), and prints
// for every known finding it meets the distinct states counted when it was first met, its depth
// and the time. It stops when every finding the configuration is expected to show
// (CHECK_BUDGETS in src/cli/check.ts) has been met, or at --states / --seconds (a configuration
// expecting nothing runs to those bounds). The budgets of CHECK_BUDGETS come from its output.
//
//   npx tsx --conditions=@kvmfp/source packages/sim/scripts/check-budgets.ts [CONFIG...]
//       [--states 400000] [--seconds 300] [--all]   (--all: run to the bound even when all are met)

import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CHECK_BUDGETS } from '../src/cli/check.js';
import { Explorer, fullAlphabet, loadExploreConfig, resolveTable } from '../src/index.js';
import { loadKnownFindings, splitKnown } from '../src/known.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    states: { type: 'string' },
    seconds: { type: 'string' },
    all: { type: 'boolean' },
    'no-symmetry': { type: 'boolean' },
  },
});
const maxStates = Number(values.states ?? 400_000);
const seconds = Number(values.seconds ?? 300);
const dir = join(root, 'fixtures/configs');
const names = positionals.length
  ? positionals.map((n) => basename(n, '.yaml'))
  : readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => basename(f, '.yaml'))
      .sort();
const known = loadKnownFindings(join(root, 'fixtures/findings'));
const knownKeys = [...known.keys()];

for (const name of names) {
  const expected = new Set(CHECK_BUDGETS[name]?.expect ?? []);
  const cfg = loadExploreConfig(join(dir, `${name}.yaml`));
  const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null, {
    symmetry: !values['no-symmetry'],
  });
  const t0 = Date.now();
  let distinct = 0;
  const met = new Set<string>();
  console.log(`${name}: expecting ${[...expected].join(', ') || 'nothing'}`);
  const r = ex.explore({
    maxStates,
    knownKeys,
    onProgress: (p) => (distinct = p.distinct),
    onViolation: (c) => {
      const s = splitKnown([c], known);
      const what = s.known.length ? `known ${s.known[0].finding}` : `NEW ${c.invariant}: ${c.detail}`;
      for (const f of s.known[0]?.finding.split(' or ') ?? []) met.add(f.replace(/\.ya?ml$/, ''));
      console.log(
        `  ${distinct} states, depth ${c.depth}, ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`,
      );
    },
    shouldStop: () =>
      Date.now() - t0 > seconds * 1000 ||
      (!values.all && expected.size > 0 && [...expected].every((f) => met.has(f))),
  });
  const missing = [...expected].filter((f) => !met.has(f));
  console.log(
    `  end: ${r.exhausted ? 'exhausted' : `depth ${r.diameter}`}, ${r.distinct} states, ${r.levels.length} levels, ${((Date.now() - t0) / 1000).toFixed(1)} s${r.stoppedBy ? ` (${r.stoppedBy})` : ''}; ${missing.length ? `NOT MET: ${missing.join(', ')}` : 'all expected met'}`,
  );
}
