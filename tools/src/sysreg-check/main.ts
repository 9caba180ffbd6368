// sysreg-check: compares @kvmfp/sysreg with a kernel tree's arch/arm64/tools/sysreg and headers.
//   kvmfp sysreg-check --tree PATH
//   kvmfp sysreg-check --git-dir DIR --commit C
// Exit status: 0 when nothing differs, 1 when something differs, 2 on a usage or input error.

import { CliError, isEntryPoint, parseOptions, runMain, type Io } from '../shared/cli.js';
import { sourceFromOptions } from '../shared/source.js';
import { formatTable } from '../shared/table.js';
import { compareFacts, totals, type OurFacts, type Row } from './compare.js';
import { ourFacts } from './ours.js';
import { SysregParseError } from './sysreg-file.js';
import { readTreeFacts } from './tree.js';
import type { KernelSource } from '../shared/source.js';

export interface CheckResult {
  rows: Row[];
  missing: string[];
}

export function checkSource(source: KernelSource, ours: OurFacts = ourFacts()): CheckResult {
  try {
    const facts = readTreeFacts(source);
    return { rows: compareFacts(ours, facts), missing: facts.missing };
  } catch (err) {
    if (err instanceof SysregParseError) throw new CliError(`arch/arm64/tools/sysreg: ${err.message}`);
    throw err;
  }
}

export function report(label: string, result: CheckResult, problemsOnly: boolean): string {
  const t = totals(result.rows);
  const shown = problemsOnly ? result.rows.filter((r) => r.status !== 'matches') : result.rows;
  const lines = [`sysreg-check: ${label}`];
  for (const file of result.missing) lines.push(`note: ${file} not in this tree`);
  lines.push(
    formatTable(
      ['name', 'ours', 'tree', 'status'],
      shown.map((r) => [r.name, r.ours, r.tree, r.status]),
    ),
  );
  lines.push(
    `checked ${t.checked}, matches ${t.matches}, differs ${t.differs}, absent in tree ${t.absent}, not evaluated ${t.notEvaluated}`,
  );
  return lines.join('\n');
}

const USAGE = 'usage: kvmfp sysreg-check (--tree PATH | --git-dir DIR --commit C) [--problems-only]';

export function sysregCheck(args: string[], io: Io): number {
  const { values } = parseOptions({
    args,
    options: {
      tree: { type: 'string' },
      'git-dir': { type: 'string' },
      commit: { type: 'string' },
      'problems-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const source = sourceFromOptions({ tree: values.tree, gitDir: values['git-dir'], commit: values.commit });
  const result = checkSource(source);
  io.out(report(source.label, result, values['problems-only']));
  return totals(result.rows).differs > 0 ? 1 : 0;
}

if (isEntryPoint(import.meta.url)) void runMain('sysreg-check', sysregCheck);
