// Parser for arch/arm64/tools/sysreg, the line-based register description the kernel turns into
// C macros with gen-sysreg.awk. It checks what that script checks (block nesting, word counts, bits
// declared from 63 down without gaps), so a file the kernel build rejects is rejected here too,
// with the line number.

export type FieldKind = 'Field' | 'Enum' | 'UnsignedEnum' | 'SignedEnum';

export interface TreeField {
  name: string;
  msb: number;
  lsb: number;
  kind: FieldKind;
  /** Enum value names to values, in file order (empty for a plain Field). */
  values: Map<string, number>;
  line: number;
}

export type BitRange = [msb: number, lsb: number];

export interface TreeBlock {
  kind: 'Sysreg' | 'SysregFields';
  name: string;
  line: number;
  /** op0, op1, CRn, CRm, op2 (Sysreg only). */
  encoding?: [number, number, number, number, number];
  /** `Fields NAME`: the register's layout is that SysregFields block. */
  fieldsFrom?: string;
  /** `Mapping NAME`: the register is an alias of another (later kernels). */
  mapping?: string;
  fields: TreeField[];
  res0: BitRange[];
  res1: BitRange[];
  unkn: BitRange[];
  raz: BitRange[];
}

export interface SysregFileModel {
  blocks: Map<string, TreeBlock>;
}

export class SysregParseError extends Error {
  constructor(
    readonly lineNo: number,
    message: string,
  ) {
    super(`sysreg line ${lineNo}: ${message}`);
  }
}

interface ParseState {
  model: SysregFileModel;
  block?: TreeBlock;
  /** The Enum being filled, when inside Enum ... EndEnum. */
  enumField?: TreeField;
  /** The next bit a declaration must start at (gen-sysreg.awk's next_bit). */
  nextBit: number;
  lineNo: number;
}

const fail = (st: ParseState, msg: string): never => {
  throw new SysregParseError(st.lineNo, msg);
};

function expectWords(st: ParseState, words: string[], n: number): void {
  if (words.length !== n) fail(st, `${words[0]} expects ${n} words, found ${words.length}`);
}

function parseBits(st: ParseState, what: string, text: string): BitRange {
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!m) return fail(st, `${what}: invalid bit range '${text}'`);
  const msb = Number(m[1]);
  const lsb = m[2] === undefined ? msb : Number(m[2]);
  if (msb > 63 || lsb > 63 || msb < lsb) fail(st, `${what}: invalid bit range '${text}'`);
  if (msb !== st.nextBit) fail(st, `${what} starts at bit ${msb}, expected ${st.nextBit}`);
  st.nextBit = lsb - 1;
  return [msb, lsb];
}

function currentBlock(st: ParseState, word: string): TreeBlock {
  if (!st.block || st.enumField) return fail(st, `${word} outside a Sysreg or SysregFields block`);
  return st.block;
}

function openBlock(st: ParseState, words: string[]): void {
  const kind = words[0] as TreeBlock['kind'];
  if (st.block) fail(st, `${kind} inside ${st.block.kind} ${st.block.name}`);
  expectWords(st, words, kind === 'Sysreg' ? 7 : 2);
  const name = words[1];
  if (st.model.blocks.has(name)) fail(st, `${name} defined twice`);
  const block: TreeBlock = { kind, name, line: st.lineNo, fields: [], res0: [], res1: [], unkn: [], raz: [] };
  if (kind === 'Sysreg') {
    const enc = words.slice(2).map(Number);
    if (enc.some((v) => !Number.isInteger(v) || v < 0)) fail(st, `${name}: encoding must be five numbers`);
    block.encoding = enc as TreeBlock['encoding'];
  }
  st.block = block;
  st.nextBit = 63;
}

function closeBlock(st: ParseState, words: string[]): void {
  const kind = words[0] === 'EndSysreg' ? 'Sysreg' : 'SysregFields';
  const block = st.block;
  if (!block || st.enumField || block.kind !== kind) return fail(st, `${words[0]} without an open ${kind}`);
  // Same test as gen-sysreg.awk (which lets bit 0 alone go undescribed).
  if (st.nextBit > 0) fail(st, `${block.name}: bits ${st.nextBit}:0 not described`);
  st.model.blocks.set(block.name, block);
  st.block = undefined;
}

function addReserved(st: ParseState, words: string[]): void {
  const block = currentBlock(st, words[0]);
  expectWords(st, words, 2);
  const range = parseBits(st, `${block.name}.${words[0]}`, words[1]);
  const key = words[0].toLowerCase() as 'res0' | 'res1' | 'unkn' | 'raz';
  block[key].push(range);
}

function addField(st: ParseState, words: string[]): void {
  const block = currentBlock(st, words[0]);
  expectWords(st, words, 3);
  const name = words[2];
  const [msb, lsb] = parseBits(st, `${block.name}.${name}`, words[1]);
  const field: TreeField = {
    name,
    msb,
    lsb,
    kind: words[0] as FieldKind,
    values: new Map(),
    line: st.lineNo,
  };
  block.fields.push(field);
  if (field.kind !== 'Field') st.enumField = field;
}

function addEnumValue(st: ParseState, words: string[]): void {
  const field = st.enumField;
  if (!field) return fail(st, `enum value '${words[0]}' outside Enum ... EndEnum`);
  expectWords(st, words, 2);
  const value = parseInt(words[0].slice(2), 2);
  if (value >= 2 ** (field.msb - field.lsb + 1))
    fail(st, `${field.name}: value ${words[0]} wider than the field`);
  field.values.set(words[1], value);
}

function endEnum(st: ParseState, words: string[]): void {
  if (!st.enumField) fail(st, 'EndEnum without Enum');
  expectWords(st, words, 1);
  st.enumField = undefined;
}

function setFieldsFrom(st: ParseState, words: string[]): void {
  const block = currentBlock(st, 'Fields');
  expectWords(st, words, 2);
  if (block.kind !== 'Sysreg') fail(st, 'Fields only belongs in a Sysreg block');
  if (st.nextBit !== 63) fail(st, `${block.name}: Fields after fields were declared`);
  block.fieldsFrom = words[1];
  st.nextBit = 0; // as gen-sysreg.awk: the shared block describes every bit
}

function setMapping(st: ParseState, words: string[]): void {
  const block = currentBlock(st, 'Mapping');
  expectWords(st, words, 2);
  block.mapping = words[1];
}

type LineHandler = (st: ParseState, words: string[]) => void;

const HANDLERS: Record<string, LineHandler> = {
  Sysreg: openBlock,
  SysregFields: openBlock,
  EndSysreg: closeBlock,
  EndSysregFields: closeBlock,
  Res0: addReserved,
  Res1: addReserved,
  Unkn: addReserved,
  Raz: addReserved,
  Field: addField,
  Enum: addField,
  UnsignedEnum: addField,
  SignedEnum: addField,
  EndEnum: endEnum,
  Fields: setFieldsFrom,
  Mapping: setMapping,
};

function parseLine(st: ParseState, line: string): void {
  if (/^\s*(#|$)/.test(line)) return; // blank and comment lines
  const words = line.trim().split(/\s+/);
  const head = words[0];
  if (/^0b[01]+$/.test(head)) return addEnumValue(st, words);
  const handler = HANDLERS[head];
  if (!handler) return fail(st, `unknown statement '${head}'`);
  handler(st, words);
}

export function parseSysregFile(text: string): SysregFileModel {
  const st: ParseState = { model: { blocks: new Map() }, nextBit: 63, lineNo: 0 };
  for (const line of text.split('\n')) {
    st.lineNo++;
    parseLine(st, line);
  }
  if (st.block) throw new SysregParseError(st.lineNo, `missing End${st.block.kind} for ${st.block.name}`);
  return st.model;
}

/** sys_reg(op0, op1, CRn, CRm, op2) as asm/sysreg.h packs it. */
export function packEncoding(enc: readonly number[]): bigint {
  const [op0 = 0n, op1 = 0n, crn = 0n, crm = 0n, op2 = 0n] = enc.map((v) => BigInt(v));
  return (op0 << 19n) | (op1 << 16n) | (crn << 12n) | (crm << 8n) | (op2 << 5n);
}

export function unpackEncoding(v: bigint): [number, number, number, number, number] {
  const f = (shift: bigint, mask: bigint) => Number((v >> shift) & mask);
  return [f(19n, 3n), f(16n, 7n), f(12n, 15n), f(8n, 15n), f(5n, 7n)];
}

const genmask = (msb: number, lsb: number): bigint => (1n << BigInt(msb + 1)) - (1n << BigInt(lsb));

function defineField(out: Map<string, bigint>, reg: string, f: TreeField): void {
  const mask = genmask(f.msb, f.lsb);
  out.set(`${reg}_${f.name}`, mask);
  out.set(`${reg}_${f.name}_MASK`, mask);
  out.set(`${reg}_${f.name}_SHIFT`, BigInt(f.lsb));
  out.set(`${reg}_${f.name}_WIDTH`, BigInt(f.msb - f.lsb + 1));
  if (f.kind === 'SignedEnum' || f.kind === 'UnsignedEnum') {
    out.set(`${reg}_${f.name}_SIGNED`, f.kind === 'SignedEnum' ? 1n : 0n);
  }
  for (const [name, value] of f.values) out.set(`${reg}_${f.name}_${name}`, BigInt(value));
}

const orRanges = (ranges: BitRange[]): bigint => ranges.reduce((acc, [m, l]) => acc | genmask(m, l), 0n);

function defineBlock(out: Map<string, bigint>, b: TreeBlock): void {
  const enc = b.encoding;
  if (enc) {
    out.set(`SYS_${b.name}`, packEncoding(enc));
    ['Op0', 'Op1', 'CRn', 'CRm', 'Op2'].forEach((part, i) =>
      out.set(`SYS_${b.name}_${part}`, BigInt(enc[i] ?? 0)),
    );
  }
  for (const f of b.fields) defineField(out, b.name, f);
  // A register described by `Fields` gets no RES0/RES1/UNKN of its own (the shared block has them).
  if (b.fieldsFrom === undefined) {
    out.set(`${b.name}_RES0`, orRanges(b.res0));
    out.set(`${b.name}_RES1`, orRanges(b.res1));
    out.set(`${b.name}_UNKN`, orRanges(b.unkn));
  }
}

/** The numeric macros gen-sysreg.awk would emit for this file (REG_* strings are left out). */
export function generatedMacros(model: SysregFileModel): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const block of model.blocks.values()) defineBlock(out, block);
  return out;
}
