// Instructions the kernel (or the hypervisor) itself executes: the asm primitives' SVE and SME
// instructions and the MRS/MSR of ZCR_ELx, SMCR_ELx and SVCR. They are decided by the same rules as
// a program's (decideTrap, the Arm pseudocode) at the CPU's current EL:
// - a trap to EL2 taken from EL1 is the nVHE host kernel meeting CPTR_EL2.TZ/TSM: the hypervisor's
//   host vector handles it (the sim installs the handler) and the instruction runs again;
// - an UNDEFINED instruction (an extension the machine lacks) is an Oops in the kernel: reported
//   as a fault of kind 'undef', which the kernel layer turns into a BUG naming the function;
// - any other trap (the kernel trapping to its own EL) is reported as a fault.

import { esr_make } from '@kvmfp/sysreg';
import { machineFault, thisCpu, thisMachine } from './cpu.js';
import type { Cpu, Machine } from './state.js';
import { decideTrap, type InsnClass, type TrapContext, type TrapOutcome } from './traps.js';

/** Handles a synchronous exception the host kernel (EL1) takes to EL2, given its ESR_EL2. */
export type HostEl2Handler = (esr: number) => void;

let hostEl2Handler: HostEl2Handler | undefined;

/** The hypervisor's host vector (hyp-switch's __kvm_hyp_host_vector_sync), installed by the sim. */
export function setHostEl2Handler(handler: HostEl2Handler | undefined): void {
  hostEl2Handler = handler;
}

/** What decideTrap reads of a CPU: its controls and the machine's features, at exception level `el`. */
export function trapContext(m: Machine, cpu: Cpu, el: 0 | 1 | 2): TrapContext {
  const f = m.config.features;
  return {
    el,
    features: { sve: f.sve, sme: f.sme, sme2: f.sme2, fa64: f.fa64 },
    hcr_el2: cpu.sys.hcr_el2,
    cpacr_el1: cpu.sys.cpacr_el1,
    cptr_el2: cpu.sys.cptr_el2,
    svcr: cpu.sys.svcr,
    smcr_el1: cpu.sys.smcr_el1,
    smcr_el2: cpu.sys.smcr_el2,
    secure: false,
  };
}

/** The outcome of the bound CPU executing `cls` now, as decideTrap has it. */
export function kernelInsnOutcome(cls: InsnClass): TrapOutcome {
  const cpu = thisCpu();
  return decideTrap(cls, trapContext(thisMachine(), cpu, cpu.el));
}

/**
 * The kernel executes an instruction of class `cls` (`what` names it for reports). Returns true
 * when it executes (after the hypervisor resolved a trap to EL2), false when it did not.
 */
export function kernelInsn(cls: InsnClass, what: string): boolean {
  let outcome = kernelInsnOutcome(cls);
  if (outcome.kind === 'trap' && outcome.el === 2 && thisCpu().el === 1 && hostEl2Handler) {
    hostEl2Handler(esr_make(outcome.ec, outcome.iss));
    outcome = kernelInsnOutcome(cls);
    if (outcome.kind === 'trap' && outcome.el === 2) {
      machineFault('trap', `${what} traps to EL2 again after the hypervisor handled it`);
      return false;
    }
  }
  if (outcome.kind === 'execute') return true;
  if (outcome.kind === 'undef') {
    machineFault('undef', `${what} is UNDEFINED at EL${thisCpu().el}`);
    return false;
  }
  machineFault(
    'trap',
    `${what} at EL${thisCpu().el} traps to EL${outcome.el} (EC ${outcome.ec.toString(16)})`,
  );
  return false;
}
