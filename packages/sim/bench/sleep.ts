// `npm run bench:sleep -- CONFIG DEPTH [MUTANT]`: one configuration explored to a bound with and
// without sleep sets (sleep.ts), looking past violations: states, transitions, time, and whether
// both find the same violations at the same depths. The larger runs of what sleep.test.ts checks
// in CI at a small size; a difference in the violations is a soundness failure.

import { basename, resolve } from 'node:path';
import { configExplorer } from '../src/test-walks.js';

const [file, depthArg, mutant = null] = process.argv.slice(2);
if (!file || !depthArg || !Number.isInteger(Number(depthArg))) {
  console.error('usage: npm run bench:sleep -- CONFIG DEPTH [MUTANT]');
  process.exit(2);
}
const depth = Number(depthArg);
const found: string[] = [];
for (const sleepSets of [false, true]) {
  const ex = configExplorer(resolve(file), mutant);
  const t0 = performance.now();
  const r = ex.explore({ depth, sleepSets, expandViolations: true });
  const s = (performance.now() - t0) / 1000;
  found.push(
    r.violations
      .map((v) => `${v.depth}: ${v.signature}`)
      .sort()
      .join('\n'),
  );
  console.log(
    `${basename(file)} depth ${depth}${mutant ? ` mutant ${mutant}` : ''}, sleep sets ${sleepSets ? 'on ' : 'off'}: ` +
      `${r.distinct} states, ${r.transitions} transitions, ${r.slept ?? 0} slept, ${r.reexpanded ?? 0} expanded again, ` +
      `${s.toFixed(1)} s, ${r.violations.length} violation signatures`,
  );
}
const same = found[0] === found[1];
console.log(
  same
    ? 'same violations at the same depths'
    : `DIFFERENT violations:\n--- off\n${found[0]}\n--- on\n${found[1]}`,
);
process.exit(same ? 0 : 1);
