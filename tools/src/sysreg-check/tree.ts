// What a kernel tree says about registers and constants: the sysreg file, the macros generated from
// it, and the #defines of asm/sysreg.h, asm/esr.h and asm/kvm_arm.h, evaluated on demand.

import type { KernelSource } from '../shared/source.js';
import { MacroEvaluator, parseDefines, type MacroDef } from './c-defines.js';
import {
  generatedMacros,
  parseSysregFile,
  unpackEncoding,
  type SysregFileModel,
  type TreeBlock,
} from './sysreg-file.js';

export const SYSREG_FILE = 'arch/arm64/tools/sysreg';
/** In include order: sysreg.h pulls in the generated header first, kvm_arm.h comes last. */
export const HEADER_FILES = [
  'arch/arm64/include/asm/sysreg.h',
  'arch/arm64/include/asm/esr.h',
  'arch/arm64/include/asm/kvm_arm.h',
];

export interface TreeFacts {
  sysreg: SysregFileModel;
  macros: MacroEvaluator;
  /** Files that were not found in the tree (older kernels have no sysreg file). */
  missing: string[];
}

export function treeFactsFromText(
  sysregText: string | undefined,
  headers: [file: string, text: string][],
): TreeFacts {
  const sysreg =
    sysregText === undefined ? { blocks: new Map<string, TreeBlock>() } : parseSysregFile(sysregText);
  const defines = new Map<string, MacroDef>();
  for (const [file, text] of headers) parseDefines(text, file, defines);
  return { sysreg, macros: new MacroEvaluator(defines, generatedMacros(sysreg)), missing: [] };
}

export function readTreeFacts(source: KernelSource): TreeFacts {
  const missing: string[] = [];
  const sysregText = source.read(SYSREG_FILE);
  if (sysregText === undefined) missing.push(SYSREG_FILE);
  const headers: [string, string][] = [];
  for (const file of HEADER_FILES) {
    const text = source.read(file);
    if (text === undefined) missing.push(file);
    else headers.push([file, text]);
  }
  return { ...treeFactsFromText(sysregText, headers), missing };
}

/** A register or field layout as the tree has it, from the sysreg file or, failing that, macros. */
export interface TreeLayout {
  from: 'sysreg' | 'macros';
  encoding?: number[];
  fieldsFrom?: string;
  field(name: string): { msb: number; lsb: number; values: Map<string, number> } | undefined;
}

function layoutFromBlock(facts: TreeFacts, block: TreeBlock): TreeLayout {
  // A register with `Fields X` shares X's layout; look its fields up there.
  const fieldsBlock = block.fieldsFrom === undefined ? block : facts.sysreg.blocks.get(block.fieldsFrom);
  return {
    from: 'sysreg',
    encoding: block.encoding,
    fieldsFrom: block.fieldsFrom,
    field: (name) => fieldsBlock?.fields.find((f) => f.name === name),
  };
}

function macroNumber(facts: TreeFacts, name: string): number | undefined {
  const v = facts.macros.value(name);
  return typeof v === 'bigint' ? Number(v) : undefined;
}

/**
 * Older kernels describe some registers only in asm/sysreg.h: SYS_<REG> for the encoding and
 * <REG>_<FIELD>_SHIFT with _WIDTH or _MASK for a field, <REG>_<FIELD>_<VALUE> for its values.
 */
function layoutFromMacros(facts: TreeFacts, reg: string): TreeLayout | undefined {
  const sys = facts.macros.value(`SYS_${reg}`);
  const hasAnyField = (name: string) => facts.macros.has(`${reg}_${name}_SHIFT`);
  const encoding = typeof sys === 'bigint' ? unpackEncoding(sys) : undefined;
  return {
    from: 'macros',
    encoding,
    field: (name) => {
      if (!hasAnyField(name)) return undefined;
      const lsb = macroNumber(facts, `${reg}_${name}_SHIFT`);
      const width =
        macroNumber(facts, `${reg}_${name}_WIDTH`) ??
        widthOfMask(macroNumber(facts, `${reg}_${name}_MASK`), lsb);
      if (lsb === undefined || width === undefined) return undefined;
      return { msb: lsb + width - 1, lsb, values: new Map() };
    },
  };
}

function widthOfMask(mask: number | undefined, lsb: number | undefined): number | undefined {
  if (mask === undefined || lsb === undefined || mask === 0) return undefined;
  return Math.log2(mask / 2 ** lsb + 1);
}

export function treeLayout(facts: TreeFacts, name: string): TreeLayout | undefined {
  const block = facts.sysreg.blocks.get(name);
  if (block) return layoutFromBlock(facts, block);
  const fromMacros = layoutFromMacros(facts, name);
  return fromMacros?.encoding !== undefined ? fromMacros : undefined;
}

/** An enum value defined only as a macro (older kernels): <REG>_<FIELD>_<VALUE>. */
export function treeEnumMacro(
  facts: TreeFacts,
  reg: string,
  field: string,
  value: string,
): number | undefined {
  return macroNumber(facts, `${reg}_${field}_${value}`);
}
