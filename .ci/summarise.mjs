// Sums every project's vitest JSON report into the one line CI reads. A project whose report is
// missing counts as a failure, so a test run that crashed before reporting cannot pass silently.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['fixtures', 'tools', ...readdirSync('packages').map((p) => join('packages', p))];
let passed = 0;
let failed = 0;
for (const root of roots) {
  if (!existsSync(join(root, 'package.json'))) continue;
  const report = join(root, 'test-output', 'vitest.json');
  if (!existsSync(report)) {
    console.error(`no test report for ${root}`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.success || r.numFailedTests > 0 ? 0 : 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
