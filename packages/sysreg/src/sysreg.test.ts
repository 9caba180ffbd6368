import { describe, expect, it } from 'vitest';
import {
  bindSysregFile,
  CPACR_EL1_ZEN_EL0EN,
  ESR_ELx_EC,
  ESR_ELx_EC_SVE,
  esr_make,
  GENMASK,
  HCR_E2H,
  HCR_HOST_VHE_FLAGS,
  read_sysreg_s,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SYS_SVCR,
  sysreg_clear_set,
  SysregName,
  test_bits64,
  not64,
  and64,
  write_sysreg,
} from './index.js';

function fakeFile(): { values: Map<SysregName, number>; writes: number } & Parameters<
  typeof bindSysregFile
>[0] {
  const values = new Map<SysregName, number>();
  const file = {
    values,
    writes: 0,
    read: (n: SysregName) => values.get(n) ?? 0,
    write(n: SysregName, v: number) {
      file.writes++;
      values.set(n, v);
    },
  };
  return file;
}

describe('sysreg constants', () => {
  it('match the architectural positions', () => {
    expect(SVCR_SM_MASK).toBe(1);
    expect(SVCR_ZA_MASK).toBe(2);
    expect(CPACR_EL1_ZEN_EL0EN).toBe(0x20000);
    expect(GENMASK(25, 24)).toBe(0x3000000);
    expect(SYS_SVCR).toBe((3 << 19) | (3 << 16) | (4 << 12) | (2 << 8) | (2 << 5));
  });
  it('extracts the EC of a syndrome with bit 31 set', () => {
    const esr = esr_make(0x3f, 0);
    expect(ESR_ELx_EC(esr)).toBe(0x3f);
    expect(ESR_ELx_EC(esr_make(ESR_ELx_EC_SVE, 5))).toBe(ESR_ELx_EC_SVE);
  });
  it('handles HCR_EL2.E2H above bit 31', () => {
    expect(test_bits64(HCR_HOST_VHE_FLAGS, HCR_E2H)).toBe(true);
    expect(test_bits64(and64(HCR_HOST_VHE_FLAGS, not64(HCR_E2H)), HCR_E2H)).toBe(false);
  });
});

describe('accessors', () => {
  it('go to the bound register file and skip no-op writes', () => {
    const f = fakeFile();
    bindSysregFile(f);
    write_sysreg(CPACR_EL1_ZEN_EL0EN, 'cpacr_el1');
    expect(f.writes).toBe(1);
    sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_ZEN_EL0EN);
    expect(f.writes).toBe(1);
    sysreg_clear_set('cpacr_el1', CPACR_EL1_ZEN_EL0EN, 0);
    expect(f.values.get('cpacr_el1')).toBe(0);
    f.values.set('svcr', 3);
    expect(read_sysreg_s(SYS_SVCR)).toBe(3);
    bindSysregFile(undefined);
    expect(() => read_sysreg_s(SYS_SVCR)).toThrow(/no CPU bound/);
  });
});
