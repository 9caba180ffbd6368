// A machine in its state after the firmware and the kernel's boot-time set-up (which is machine
// configuration here, not ported code): every CPU at the host kernel's EL with traps as the
// kernel's cpufeature enable hooks leave them, maximum vector lengths selected, banks zero.

import {
  CPACR_EL1_FPEN,
  CPACR_EL1_SMEN_EL1EN,
  CPACR_EL1_ZEN_EL1EN,
  CPTR_EL2_TSM,
  CPTR_EL2_TZ,
  HCR_HOST_NVHE_FLAGS_PORTABLE,
  HCR_HOST_VHE_FLAGS,
  SMCR_ELx_EZT0_MASK,
  SMCR_ELx_FA64_MASK,
} from './boot-flags.js';
import type { Banks, Cpu, Machine, MachineConfig } from './state.js';
import { ZERO } from './values.js';

function zeroBanks(): Banks {
  return { V: ZERO, Zhi: ZERO, P: ZERO, FFR: ZERO, ZA: ZERO, ZT0: ZERO, FPSR: ZERO };
}

function maxLen(vls: number[]): number {
  return vls.length ? Math.max(...vls) / 16 - 1 : 0;
}

/**
 * CPTR_EL2 as an nVHE host runs with it after boot: el2_setup.h writes 0x33ff (RES1 bits, TZ and
 * TSM set, TFP clear), then clears TZ when SVE is present and TSM when SME is present.
 */
function nvheBootCptr(config: MachineConfig): number {
  let cptr = 0x33ff;
  if (config.features.sve) cptr &= ~CPTR_EL2_TZ;
  if (config.features.sme) cptr &= ~CPTR_EL2_TSM;
  return cptr;
}

function bootCpu(config: MachineConfig, index: number): Cpu {
  const f = config.features;
  // sve_kernel_enable / sme_kernel_enable grant the kernel (EL1) access; EL0 access is per task.
  const cpacr = CPACR_EL1_FPEN | (f.sve ? CPACR_EL1_ZEN_EL1EN : 0) | (f.sme ? CPACR_EL1_SMEN_EL1EN : 0);
  const smcr = maxLen(config.smeVls) | (f.fa64 ? SMCR_ELx_FA64_MASK : 0) | (f.sme2 ? SMCR_ELx_EZT0_MASK : 0);
  return {
    index,
    el: f.vhe ? 2 : 1,
    world: 'host',
    sys: {
      // With VHE the host's CPACR_EL1 accesses land in CPTR_EL2 (CPACR layout); the EL1 copy is
      // the guest's and starts clear.
      cpacr_el1: f.vhe ? 0 : cpacr,
      cptr_el2: f.vhe ? cpacr : nvheBootCptr(config),
      hcr_el2: f.vhe ? HCR_HOST_VHE_FLAGS : HCR_HOST_NVHE_FLAGS_PORTABLE,
      zcr_el1: maxLen(config.sveVls),
      zcr_el2: maxLen(config.sveVls),
      smcr_el1: f.vhe ? 0 : smcr,
      smcr_el2: smcr,
      svcr: 0,
      tpidr2_el0: 0,
      esr_el1: 0,
      esr_el2: 0,
      elr_el2: 0,
      spsr_el2: 0,
      fpexc32_el2: 0,
    },
    regs: zeroBanks(),
  };
}

export function createMachine(config: MachineConfig): Machine {
  return { config, cpus: Array.from({ length: config.ncpus }, (_, i) => bootCpu(config, i)) };
}
