// Compares what @kvmfp/sysreg says (register tables and exported constants) with a kernel tree.

import { Unevaluable } from './c-defines.js';
import { treeEnumMacro, treeLayout, type TreeFacts, type TreeLayout } from './tree.js';

export interface OurField {
  name: string;
  msb: number;
  lsb: number;
  values?: Record<string, number>;
}

export interface OurRegister {
  name: string;
  encoding?: readonly number[];
  fieldsFrom?: string;
  fields: readonly OurField[];
}

export interface OurFacts {
  sysregs: readonly OurRegister[];
  sysregFields: readonly OurRegister[];
  /** Exported numeric constants by their (kernel macro) names. */
  constants: Map<string, number>;
}

export type Status = 'matches' | 'differs' | 'absent in tree' | 'not evaluated';

export interface Row {
  name: string;
  ours: string;
  tree: string;
  status: Status;
}

export interface Totals {
  checked: number;
  matches: number;
  differs: number;
  absent: number;
  notEvaluated: number;
}

const row = (name: string, ours: string, tree: string | undefined): Row => ({
  name,
  ours,
  tree: tree ?? '-',
  status: tree === undefined ? 'absent in tree' : tree === ours ? 'matches' : 'differs',
});

const bits = (f: { msb: number; lsb: number }) => `${f.msb}:${f.lsb}`;

export function formatValue(v: bigint): string {
  return v < 10n ? v.toString() : `0x${v.toString(16)}`;
}

function enumRows(block: string, ours: OurField, facts: TreeFacts, tree: TreeLayout | undefined): Row[] {
  const treeValues = tree?.field(ours.name)?.values;
  return Object.entries(ours.values ?? {}).map(([value, v]) => {
    const theirs = treeValues?.get(value) ?? treeEnumMacro(facts, block, ours.name, value);
    const fmt = (x: number) => formatValue(BigInt(x));
    return row(`${block}.${ours.name}.${value}`, fmt(v), theirs === undefined ? undefined : fmt(theirs));
  });
}

function fieldRows(reg: OurRegister, facts: TreeFacts, tree: TreeLayout | undefined): Row[] {
  return reg.fields.flatMap((f) => {
    const theirs = tree?.field(f.name);
    return [
      row(`${reg.name}.${f.name}`, bits(f), theirs && bits(theirs)),
      ...enumRows(reg.name, f, facts, tree),
    ];
  });
}

function registerRows(reg: OurRegister, facts: TreeFacts, sharedBlocks: Set<string>): Row[] {
  const tree = treeLayout(facts, reg.name);
  const rows: Row[] = [];
  if (reg.encoding) {
    rows.push(row(`SYS_${reg.name} encoding`, reg.encoding.join(','), tree?.encoding?.join(',')));
  }
  if (reg.fieldsFrom !== undefined) {
    const theirs = tree === undefined ? undefined : (tree.fieldsFrom ?? '(own fields)');
    rows.push(row(`${reg.name} Fields`, reg.fieldsFrom, theirs));
    // The shared layout is checked once, under its SysregFields name.
    if (sharedBlocks.has(reg.fieldsFrom)) return rows;
  }
  return [...rows, ...fieldRows(reg, facts, tree)];
}

function constantRow(name: string, ours: number, facts: TreeFacts): Row {
  const oursText = Number.isInteger(ours) ? formatValue(BigInt.asUintN(64, BigInt(ours))) : String(ours);
  const theirs = facts.macros.value(name);
  if (theirs instanceof Unevaluable)
    return { name, ours: oursText, tree: theirs.message, status: 'not evaluated' };
  return row(name, oursText, theirs === undefined ? undefined : formatValue(theirs));
}

export function compareFacts(ours: OurFacts, facts: TreeFacts): Row[] {
  const shared = new Set(ours.sysregFields.map((r) => r.name));
  return [
    ...ours.sysregFields.flatMap((r) => registerRows(r, facts, shared)),
    ...ours.sysregs.flatMap((r) => registerRows(r, facts, shared)),
    ...[...ours.constants].map(([name, v]) => constantRow(name, v, facts)),
  ];
}

export function totals(rows: Row[]): Totals {
  const count = (s: Status) => rows.filter((r) => r.status === s).length;
  return {
    checked: rows.length,
    matches: count('matches'),
    differs: count('differs'),
    absent: count('absent in tree'),
    notEvaluated: count('not evaluated'),
  };
}
