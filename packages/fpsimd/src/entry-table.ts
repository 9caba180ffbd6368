// A revision's entry table: the functions the rest of the kernel (and the sim) call across kernel
// file boundaries. Port code that calls another kernel file's entry writes `E.name(args)`, so a
// fixture can build a mutant by replacing one entry without copying a file. Each port package
// declares its entries by augmenting EntryTable; the revision assembles one complete table and
// the sim installs it (installEntries) before running a world's step.

/* eslint-disable @typescript-eslint/no-empty-object-type */
export interface EntryTable {}
/* eslint-enable @typescript-eslint/no-empty-object-type */

/** The table in force. Filled in place, so importers always see the installed one. */
export const E = {} as EntryTable;

let installed: EntryTable | undefined;

export function installEntries(table: EntryTable): void {
  if (installed === table) return;
  for (const k of Object.keys(E)) delete (E as Record<string, unknown>)[k];
  Object.assign(E, table);
  installed = table;
}

/** A copy of `base` with some entries replaced: how a mutant is made. */
export function withEntries(base: EntryTable, replace: Partial<EntryTable>): EntryTable {
  return { ...base, ...replace };
}
