// Collects what @kvmfp/sysreg exports: its register tables and every UPPER_CASE numeric constant.
// The constants carry kernel macro names, so each one is looked up under the same name in the tree;
// exports that are not numbers (helper functions, name lists) are ours only and are skipped.

import * as sysreg from '@kvmfp/sysreg';
import type { OurFacts, OurRegister } from './compare.js';

const MACRO_NAME = /^[A-Z_][A-Za-z0-9_]*$/;

/** Numeric exports whose names look like kernel macros (start upper case, no lower-case start). */
export function constantsOf(exports: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'number' && MACRO_NAME.test(name)) out.set(name, value);
  }
  return out;
}

export function factsOf(exports: Record<string, unknown>): OurFacts {
  const table = (name: string) => (Array.isArray(exports[name]) ? (exports[name] as OurRegister[]) : []);
  return { sysregs: table('SYSREGS'), sysregFields: table('SYSREG_FIELDS'), constants: constantsOf(exports) };
}

export function ourFacts(): OurFacts {
  return factsOf(sysreg);
}
