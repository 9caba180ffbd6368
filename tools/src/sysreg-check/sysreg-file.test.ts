import { describe, expect, it } from 'vitest';
import {
  generatedMacros,
  packEncoding,
  parseSysregFile,
  SysregParseError,
  unpackEncoding,
} from './sysreg-file.js';

// A hand-made description using every statement the language has (not kernel text).
const EVERY_KIND = `
# a comment line, then a blank one

SysregFields\tDEMO_ELx
Res0\t63:32
Field\t31\tTOP
Raz\t30:29
UnsignedEnum\t28:27\tMODE
\t0b00\tOFF
\t0b11\tON
EndEnum
Res1\t26
Unkn\t25:1
Field\t0\tEN
EndSysregFields

Sysreg  DEMO_EL1  3 0 1 2 3
Fields DEMO_ELx
EndSysreg

Sysreg\tDEMO_EL12\t3\t5\t1\t2\t3
Mapping\tDEMO_EL1
Res0\t63:16
SignedEnum\t15:12\tLEVEL
\t0b0000\tNI
\t0b1111\tNEG
EndEnum
Enum\t11:8\tKIND
\t0b0001\tA
EndEnum
Field\t7:0\tDATA
EndSysreg
`;

describe('parseSysregFile', () => {
  const model = parseSysregFile(EVERY_KIND);

  it('reads a SysregFields block with fields, enums and every reserved kind', () => {
    const b = model.blocks.get('DEMO_ELx');
    expect(b?.kind).toBe('SysregFields');
    expect(b?.fields.map((f) => [f.name, f.msb, f.lsb, f.kind])).toEqual([
      ['TOP', 31, 31, 'Field'],
      ['MODE', 28, 27, 'UnsignedEnum'],
      ['EN', 0, 0, 'Field'],
    ]);
    expect([...(b?.fields[1]?.values ?? [])]).toEqual([
      ['OFF', 0],
      ['ON', 3],
    ]);
    expect(b?.res0).toEqual([[63, 32]]);
    expect(b?.raz).toEqual([[30, 29]]);
    expect(b?.res1).toEqual([[26, 26]]);
    expect(b?.unkn).toEqual([[25, 1]]);
  });

  it('reads Sysreg encodings (tabs or spaces), Fields, Mapping, SignedEnum and Enum', () => {
    expect(model.blocks.get('DEMO_EL1')).toMatchObject({ encoding: [3, 0, 1, 2, 3], fieldsFrom: 'DEMO_ELx' });
    const b = model.blocks.get('DEMO_EL12');
    expect(b).toMatchObject({ encoding: [3, 5, 1, 2, 3], mapping: 'DEMO_EL1' });
    expect(b?.fields.map((f) => f.kind)).toEqual(['SignedEnum', 'Enum', 'Field']);
    expect(b?.fields[0]?.values.get('NEG')).toBe(15);
  });

  it('generates the macros gen-sysreg.awk would', () => {
    const m = generatedMacros(model);
    expect(m.get('SYS_DEMO_EL1')).toBe(packEncoding([3, 0, 1, 2, 3]));
    expect(m.get('SYS_DEMO_EL12_Op1')).toBe(5n);
    expect(m.get('DEMO_ELx_MODE_SHIFT')).toBe(27n);
    expect(m.get('DEMO_ELx_MODE_WIDTH')).toBe(2n);
    expect(m.get('DEMO_ELx_MODE_MASK')).toBe(0x18000000n);
    expect(m.get('DEMO_ELx_MODE')).toBe(0x18000000n);
    expect(m.get('DEMO_ELx_MODE_ON')).toBe(3n);
    expect(m.get('DEMO_ELx_MODE_SIGNED')).toBe(0n);
    expect(m.get('DEMO_EL12_LEVEL_SIGNED')).toBe(1n);
    expect(m.get('DEMO_ELx_RES0')).toBe(0xffffffff00000000n);
    expect(m.get('DEMO_ELx_RES1')).toBe(1n << 26n);
    expect(m.has('DEMO_EL1_RES0')).toBe(false); // a Fields register has no reserved masks of its own
  });

  it('packs and unpacks sys_reg encodings', () => {
    expect(unpackEncoding(packEncoding([3, 4, 1, 1, 2]))).toEqual([3, 4, 1, 1, 2]);
  });
});

describe('parseSysregFile rejects what the kernel build rejects', () => {
  const bad: [string, string, RegExp][] = [
    ['a field outside a block', 'Field 3 X', /outside a Sysreg/],
    ['a gap in the bits', 'SysregFields A\nField 63:2 X\nEndSysregFields', /bits 1:0 not described/],
    [
      'a field out of order',
      'SysregFields A\nField 62:0 X\nEndSysregFields',
      /starts at bit 62, expected 63/,
    ],
    ['a missing end', 'Sysreg A 3 0 0 0 0\nField 63:0 X', /missing EndSysreg/],
    ['an unknown statement', 'Sysreg A 3 0 0 0 0\nFeld 63:0 X', /line 2: unknown statement 'Feld'/],
    ['a wrong word count', 'Sysreg A 3 0 0 0', /Sysreg expects 7 words, found 6/],
    ['a value wider than its field', 'SysregFields A\nEnum 63:62 X\n0b111 BIG\n', /wider than the field/],
    ['EndEnum without Enum', 'SysregFields A\nEndEnum', /EndEnum without Enum/],
    ['a value outside an enum', 'SysregFields A\n0b1 ONE', /outside Enum/],
    ['Fields after fields', 'Sysreg A 3 0 0 0 0\nField 63 X\nFields B', /Fields after fields/],
    ['a bad bit range', 'SysregFields A\nField 63:x X', /invalid bit range/],
  ];
  it.each(bad)('%s', (_what, text, message) => {
    expect(() => parseSysregFile(text)).toThrow(SysregParseError);
    expect(() => parseSysregFile(text)).toThrow(message);
  });
});
