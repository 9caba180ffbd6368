// Drift reports for people (a plain table or markdown) and for machines (JSON).

import { formatTable } from '../shared/table.js';
import { DRIFT_CLASSES, type DriftClass, type DriftReport, type DriftRow } from './drift.js';

const HEADER = ['class', 'package', 'function', 'kernel file', 'now', 'change', 'note'];

/** By default every class but "unchanged" is listed (it is counted). */
const DEFAULT_CLASSES = new Set<DriftClass>(DRIFT_CLASSES.filter((c) => c !== 'unchanged'));

function now(r: DriftRow): string {
  if (r.class !== 'renamed/moved') return '';
  const where = r.foundIn === r.kernelPath ? '' : (r.foundIn ?? '');
  const name = r.foundAs && r.foundAs !== r.function ? r.foundAs : '';
  const how =
    r.how === 'same name' ? '' : ` (${r.how}${r.similarity !== undefined ? ` ${r.similarity}` : ''})`;
  return [name, where].filter(Boolean).join(' in ') + how;
}

function change(r: DriftRow): string {
  const parts: string[] = [];
  if (r.added !== undefined || r.removed !== undefined)
    parts.push(`+${r.added ?? 0} -${r.removed ?? 0} lines`);
  if (r.signatureChanged) parts.push('signature');
  if (r.class === 'renamed/moved' && r.how === 'same name' && r.similarity !== undefined && r.similarity < 1)
    parts.push(`similarity ${r.similarity}`);
  return parts.join(', ');
}

function rowsOf(report: DriftReport, classes: Set<DriftClass>): string[][] {
  const order = (c: DriftClass): number => DRIFT_CLASSES.indexOf(c);
  return report.rows
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => classes.has(r.class))
    .sort((a, b) => order(b.r.class) - order(a.r.class) || a.i - b.i)
    .map(({ r }) => [
      r.class,
      r.package.replace('@kvmfp/', ''),
      r.function,
      r.kernelPath,
      now(r),
      change(r),
      r.note ?? '',
    ]);
}

export function countsLine(report: DriftReport): string {
  const c = report.counts;
  return (
    `${report.rows.length} ${report.revision} entries: ` +
    DRIFT_CLASSES.map((k) => `${c[k]} ${k}`).join(', ') +
    `; ${c.new} new functions in the ported files`
  );
}

function newByFile(report: DriftReport): [string, string[]][] {
  const byFile = new Map<string, string[]>();
  for (const n of report.newFunctions)
    byFile.set(n.kernelPath, [...(byFile.get(n.kernelPath) ?? []), n.function]);
  return [...byFile];
}

function hiddenNote(report: DriftReport, classes: Set<DriftClass>): string[] {
  const hidden = DRIFT_CLASSES.filter((c) => !classes.has(c) && report.counts[c] > 0);
  return hidden.length
    ? [`not listed: ${hidden.map((c) => `${report.counts[c]} ${c}`).join(', ')} (--classes to choose)`]
    : [];
}

export function driftTable(report: DriftReport, classes = DEFAULT_CLASSES): string {
  const lines = [
    `drift of ${report.revision} against ${report.tree}`,
    `base: ${report.bases.join('; ')}`,
    '',
  ];
  const rows = rowsOf(report, classes);
  if (rows.length) lines.push(formatTable(HEADER, rows), '');
  lines.push(...hiddenNote(report, classes));
  const fresh = newByFile(report);
  if (fresh.length) {
    lines.push('new in the tree, in the ported files:');
    for (const [file, names] of fresh) lines.push(`  ${file}: ${names.join(', ')}`);
  }
  lines.push(countsLine(report));
  return lines.join('\n');
}

const cell = (s: string): string => (s ? s.replace(/\|/g, '\\|') : ' ');

export function driftMarkdown(report: DriftReport, classes = DEFAULT_CLASSES): string {
  const lines = [
    `# Drift of ${report.revision}`,
    '',
    `Tree: ${report.tree}. Base: ${report.bases.join('; ')}.`,
    '',
  ];
  lines.push(`| ${DRIFT_CLASSES.join(' | ')} | new |`, `|${' ---: |'.repeat(DRIFT_CLASSES.length + 1)}`);
  lines.push(`| ${DRIFT_CLASSES.map((c) => report.counts[c]).join(' | ')} | ${report.counts.new} |`, '');
  const rows = rowsOf(report, classes);
  if (rows.length) {
    lines.push(`| ${HEADER.join(' | ')} |`, `|${' --- |'.repeat(HEADER.length)}`);
    // The kernel file column (index 3) as code.
    for (const r of rows)
      lines.push(`| ${r.map((c, i) => cell(i === 3 && c ? `\`${c}\`` : c)).join(' | ')} |`);
    lines.push('');
  }
  lines.push(...hiddenNote(report, classes));
  const fresh = newByFile(report);
  if (fresh.length) {
    lines.push('', 'New in the tree, in the ported files:', '');
    for (const [file, names] of fresh)
      lines.push(`- \`${file}\`: ${names.map((n) => `\`${n}\``).join(', ')}`);
  }
  return lines.join('\n');
}

export function driftJson(report: DriftReport): string {
  return JSON.stringify(report, null, 2);
}
