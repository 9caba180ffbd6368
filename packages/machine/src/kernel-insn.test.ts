// The kernel's own SVE/SME instructions and system-register accesses are decided like a program's:
// on nVHE a CPTR_EL2.TZ trap from EL1 goes to the hypervisor's host handler and the instruction runs
// again; an access to a register of an extension the machine lacks is UNDEFINED (reported as
// 'undef', which the kernel layer turns into an Oops).

import { afterEach, describe, expect, it } from 'vitest';
import { CPTR_EL2_TZ, ESR_ELx_EC, ESR_ELx_EC_SVE, read_sysreg_s, SYS_SVCR, SYS_ZCR_EL1 } from '@kvmfp/sysreg';
import { bindCpu, createMachine, setHostEl2Handler, sve_get_vl } from './index.js';

function machine(features: { sve: boolean; sme: boolean; vhe: boolean }) {
  const m = createMachine({
    ncpus: 1,
    features: { fpsimd: true, sme2: false, fa64: false, ...features },
    sveVls: [16, 32],
    smeVls: [16, 32],
  });
  const faults: string[] = [];
  bindCpu(m, 0, (kind, detail) => faults.push(`${kind}: ${detail}`));
  return { m, cpu: m.cpus[0], faults };
}

afterEach(() => setHostEl2Handler(undefined));

describe('kernel instructions', () => {
  it('an nVHE host RDVL with CPTR_EL2.TZ set traps to the hypervisor, which untraps SVE, then runs', () => {
    const { cpu, faults } = machine({ sve: true, sme: false, vhe: false });
    cpu.sys.cptr_el2 |= CPTR_EL2_TZ;
    const seen: number[] = [];
    setHostEl2Handler((esr) => {
      seen.push(ESR_ELx_EC(esr));
      cpu.sys.cptr_el2 &= ~CPTR_EL2_TZ;
    });
    expect(sve_get_vl()).toBe(32);
    expect(seen).toEqual([ESR_ELx_EC_SVE]);
    expect(faults).toEqual([]);
  });

  it('a handler that leaves TZ set is reported instead of looping', () => {
    const { cpu, faults } = machine({ sve: true, sme: false, vhe: false });
    cpu.sys.cptr_el2 |= CPTR_EL2_TZ;
    setHostEl2Handler(() => undefined);
    read_sysreg_s(SYS_ZCR_EL1);
    expect(faults).toEqual(['trap: MRS ZCR_EL1 traps to EL2 again after the hypervisor handled it']);
  });

  it('without SVE a ZCR_EL1 access is UNDEFINED and writes nothing', () => {
    const { cpu, faults } = machine({ sve: false, sme: true, vhe: false });
    const before = cpu.sys.zcr_el1;
    expect(read_sysreg_s(SYS_ZCR_EL1)).toBe(0);
    expect(faults).toEqual(['undef: MRS ZCR_EL1 is UNDEFINED at EL1']);
    expect(cpu.sys.zcr_el1).toBe(before);
  });

  it('without SME an SVCR access is UNDEFINED; with SME it executes', () => {
    expect(machine({ sve: true, sme: false, vhe: true }).faults).toEqual([]);
    const none = machine({ sve: true, sme: false, vhe: true });
    read_sysreg_s(SYS_SVCR);
    expect(none.faults).toEqual(['undef: MRS SVCR is UNDEFINED at EL2']);
    const sme = machine({ sve: true, sme: true, vhe: true });
    read_sysreg_s(SYS_SVCR);
    expect(sme.faults).toEqual([]);
  });
});
