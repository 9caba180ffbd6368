// "This CPU": which CPU the code being run executes on, how its system register accesses resolve
// (E2H redirection), and the vector lengths it currently has. The sim binds a CPU before it runs
// any kernel path; the asm primitives and the sysreg accessors act on the bound CPU.

import {
  bindSysregFile,
  HCR_E2H,
  SMCR_ELx_LEN_MASK,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SysregFile,
  SysregName,
  test_bits64,
  ZCR_ELx_LEN_MASK,
} from '@kvmfp/sysreg';
import type { Cpu, CpuSysregs, Machine } from './state.js';
import { FPSR_RESET, ZERO } from './values.js';
import { probe } from './probe.js';
import { kernelInsn } from './kernel-insn.js';
import type { InsnClass } from './traps.js';

/** Where the machine reports what a real CPU would turn into memory corruption or a crash. */
export type FaultSink = (kind: string, detail: string) => void;

interface Bound {
  machine: Machine;
  cpu: Cpu;
  fault: FaultSink;
}

let bound: Bound | undefined;

function e2h(cpu: Cpu): boolean {
  return test_bits64(cpu.sys.hcr_el2, HCR_E2H);
}

const EL12: Partial<Record<SysregName, keyof CpuSysregs>> = {
  cpacr_el12: 'cpacr_el1',
  zcr_el12: 'zcr_el1',
  smcr_el12: 'smcr_el1',
};

/**
 * With HCR_EL2.E2H set, an access at EL2 to an _EL1 register reaches the EL2 register (FEAT_VHE
 * register redirection); the _EL12 spelling reaches the EL1 copy. The _EL12 encodings exist only
 * at EL2 with E2H set (UNDEFINED elsewhere): such a use is reported as a fault and then treated
 * as the EL1 register.
 */
function resolve(cpu: Cpu, name: SysregName, fault: FaultSink): keyof CpuSysregs {
  const el1 = EL12[name];
  if (el1) {
    if (!(cpu.el === 2 && e2h(cpu))) fault('undef', `${name} accessed at EL${cpu.el} without EL2 and E2H`);
    return el1;
  }
  if (cpu.el === 2 && e2h(cpu)) {
    if (name === 'cpacr_el1') return 'cptr_el2';
    if (name === 'zcr_el1') return 'zcr_el2';
    if (name === 'smcr_el1') return 'smcr_el2';
  }
  return name as keyof CpuSysregs;
}

const ID_REGS = new Set<SysregName>(['id_aa64pfr0_el1', 'id_aa64pfr1_el1', 'id_aa64smfr0_el1']);

/**
 * The SVE/SME registers whose MRS/MSR the architecture can trap or make UNDEFINED, with the
 * access classes of decideTrap (an _EL12 name from EL2 has the _EL1 accessibility).
 */
const CHECKED: Partial<Record<SysregName, [InsnClass, InsnClass]>> = {
  zcr_el1: ['mrs_zcr_el1', 'msr_zcr_el1'],
  zcr_el12: ['mrs_zcr_el1', 'msr_zcr_el1'],
  zcr_el2: ['mrs_zcr_el2', 'msr_zcr_el2'],
  smcr_el1: ['mrs_smcr_el1', 'msr_smcr_el1'],
  smcr_el12: ['mrs_smcr_el1', 'msr_smcr_el1'],
  smcr_el2: ['mrs_smcr_el2', 'msr_smcr_el2'],
  svcr: ['mrs_svcr', 'msr_svcr'],
};

/** Whether the access goes ahead: the kernel's MRS/MSR is decided like any instruction. */
function accessible(name: SysregName, write: boolean): boolean {
  const classes = CHECKED[name];
  return !classes || kernelInsn(classes[write ? 1 : 0], `${write ? 'MSR' : 'MRS'} ${name.toUpperCase()}`);
}

function sysregFile(b: Bound): SysregFile {
  return {
    read(name) {
      probe();
      if (ID_REGS.has(name)) return idRegister(b.machine, name);
      // An access that did not execute reads as zero (its fault is reported).
      if (!accessible(name, false)) return 0;
      return b.cpu.sys[resolve(b.cpu, name, b.fault)];
    },
    write(name, value) {
      probe();
      if (ID_REGS.has(name)) throw new Error(`machine: ${name} is read-only`);
      if (!accessible(name, true)) return;
      writeWithEffects(b.machine, b.cpu, resolve(b.cpu, name, b.fault), value);
    },
  };
}

function idRegister(m: Machine, name: SysregName): number {
  const f = m.config.features;
  if (name === 'id_aa64pfr0_el1') return f.sve ? 2 ** 32 : 0;
  if (name === 'id_aa64pfr1_el1') return f.sme ? (f.sme2 ? 2 : 1) * 2 ** 24 : 0;
  return (f.fa64 ? 2 ** 52 * 2 ** 11 : 0) + (f.sme2 ? 2 ** 56 : 0);
}

/**
 * A write to SVCR changes PSTATE.SM/ZA with their architectural side effects; a write to a
 * ZCR/SMCR that changes the vector length in use leaves the bits it affects UNKNOWN.
 */
export function writeWithEffects(m: Machine, cpu: Cpu, reg: keyof CpuSysregs, value: number): void {
  if (reg === 'svcr') {
    setPstateSm(cpu, (value & SVCR_SM_MASK) !== 0);
    setPstateZa(cpu, (value & SVCR_ZA_MASK) !== 0);
    return;
  }
  const before = programVq(cpu, m.config);
  cpu.sys[reg] = value;
  const after = programVq(cpu, m.config);
  // ARM ARM: a change of effective vector length keeps the bits that stay accessible; bits that
  // become accessible again are UNKNOWN. A bank is one value standing for what its writer wrote
  // at its own length, so it keeps that value: a program reads its registers at the length it
  // wrote them (a program's own length change has its ABI rule), and a save or load at another
  // length is caught by the primitives (sve_save_state/sve_load_state). At 128 bits no Z bit above
  // 128 exists.
  if (after !== before && after === 1) cpu.regs.Zhi = ZERO;
}

/** SetPSTATE_SM: a change of PSTATE.SM resets the SVE state (ResetSVEState). */
export function setPstateSm(cpu: Cpu, on: boolean): void {
  if (((cpu.sys.svcr & SVCR_SM_MASK) !== 0) === on) return;
  resetSveState(cpu);
  cpu.sys.svcr = on ? cpu.sys.svcr | SVCR_SM_MASK : cpu.sys.svcr & ~SVCR_SM_MASK;
}

/** SetPSTATE_ZA: a change of PSTATE.ZA resets ZA and ZT0 (ResetSMEState). */
export function setPstateZa(cpu: Cpu, on: boolean): void {
  if (((cpu.sys.svcr & SVCR_ZA_MASK) !== 0) === on) return;
  cpu.regs.ZA = ZERO;
  cpu.regs.ZT0 = ZERO;
  cpu.sys.svcr = on ? cpu.sys.svcr | SVCR_ZA_MASK : cpu.sys.svcr & ~SVCR_ZA_MASK;
}

/** ResetSVEState: Z, P and FFR zero, FPSR to its reset constant. */
function resetSveState(cpu: Cpu): void {
  cpu.regs.V = ZERO;
  cpu.regs.Zhi = ZERO;
  cpu.regs.P = ZERO;
  cpu.regs.FFR = ZERO;
  cpu.regs.FPSR = FPSR_RESET;
}

/** Makes `cpu` "this CPU" for the primitives and the sysreg accessors until the next bind. */
export function bindCpu(machine: Machine, index: number, fault: FaultSink): void {
  const cpu = machine.cpus[index];
  if (!cpu) throw new Error(`machine: no CPU ${index}`);
  bound = { machine, cpu, fault };
  bindSysregFile(sysregFile(bound));
}

export function unbindCpu(): void {
  bound = undefined;
  bindSysregFile(undefined);
}

export function thisCpu(): Cpu {
  if (!bound) throw new Error('machine: no CPU bound');
  return bound.cpu;
}

export function thisMachine(): Machine {
  if (!bound) throw new Error('machine: no CPU bound');
  return bound.machine;
}

export function machineFault(kind: string, detail: string): void {
  if (!bound) throw new Error('machine: no CPU bound');
  bound.fault(kind, detail);
}

/**
 * The largest supported length not above the requested one (the architecture's constrained VL:
 * an unsupported LEN selects the next lower supported length).
 */
function constrain(requestedVq: number, supportedVls: number[]): number {
  let best = supportedVls[0] ?? 16;
  for (const vl of supportedVls) if (vl / 16 <= requestedVq) best = vl;
  return best / 16;
}

/** Effective non-streaming SVE vq at the CPU's current EL (ZCR_EL1 capped by ZCR_EL2 below EL2). */
export function effectiveSveVq(cpu: Cpu, supportedVls: number[]): number {
  const el2 = (cpu.sys.zcr_el2 & ZCR_ELx_LEN_MASK) + 1;
  const el1 = (cpu.sys.zcr_el1 & ZCR_ELx_LEN_MASK) + 1;
  const useEl1 = cpu.el < 2 && !(cpu.world === 'host' && e2h(cpu) && cpu.el === 0 && hostEl0InEl2(cpu));
  return constrain(useEl1 ? Math.min(el1, el2) : el2, supportedVls);
}

/** Effective streaming vq, from SMCR_ELx in the same way. */
export function effectiveSmeVq(cpu: Cpu, supportedVls: number[]): number {
  const el2 = (cpu.sys.smcr_el2 & SMCR_ELx_LEN_MASK) + 1;
  const el1 = (cpu.sys.smcr_el1 & SMCR_ELx_LEN_MASK) + 1;
  const useEl1 = cpu.el < 2 && !(cpu.world === 'host' && e2h(cpu) && cpu.el === 0 && hostEl0InEl2(cpu));
  return constrain(useEl1 ? Math.min(el1, el2) : el2, supportedVls);
}

/** With E2H and TGE set, host EL0 is governed by the EL2 controls (the "EL2&0" regime). */
function hostEl0InEl2(cpu: Cpu): boolean {
  return e2h(cpu) && test_bits64(cpu.sys.hcr_el2, 2 ** 27);
}

/**
 * The vq of the program whose registers the CPU holds: the length its EL0 (and a guest's EL1) runs
 * at, whatever EL the CPU is at now. The register contents belong to that program; the
 * hypervisor raising ZCR_EL2 at EL2 while a guest's shorter ZCR_EL1 still caps EL1 (as nVHE
 * handle_trap does before kvm_arch_vcpu_put_fp saves the guest at its own length) changes nothing
 * in them, while a change of the length the program itself runs at does.
 */
export function programVq(cpu: Cpu, config: Machine['config']): number {
  return currentVq({ ...cpu, el: 0 }, config);
}

/** The vq that SVE instructions use now: streaming if PSTATE.SM, else the SVE one. */
export function currentVq(cpu: Cpu, config: Machine['config']): number {
  return cpu.sys.svcr & SVCR_SM_MASK
    ? effectiveSmeVq(cpu, config.smeVls)
    : effectiveSveVq(cpu, config.sveVls);
}
