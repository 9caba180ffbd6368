// The revisions and mutants the sim can run, by name. A mutant is a revision's table with some
// entries replaced (see @kvmfp/mutants); unknown names are input errors.

import { EntryTable, withEntries } from '@kvmfp/fpsimd';
import { revisions } from '@kvmfp/hyp-switch';
import { mutants } from '@kvmfp/mutants';
import { missingEntries } from './entries.js';
import { InputError } from './input/errors.js';

export const REVISION_NAMES = Object.keys(revisions);
export const MUTANT_NAMES = Object.keys(mutants);

export function resolveTable(revision: string, mutant: string | null): EntryTable {
  const base = (revisions as Record<string, EntryTable>)[revision];
  if (!base) throw new InputError(`--rev: expected one of ${REVISION_NAMES.join(', ')}, found '${revision}'`);
  let table = base;
  if (mutant) {
    const m = (mutants as Record<string, { replace: Partial<EntryTable> }>)[mutant];
    if (!m) throw new InputError(`mutant: expected one of ${MUTANT_NAMES.join(', ')}, found '${mutant}'`);
    table = withEntries(base, m.replace);
  }
  const missing = missingEntries(table);
  if (missing.length) throw new Error(`revision ${revision} lacks entries: ${missing.join(', ')}`);
  return table;
}
