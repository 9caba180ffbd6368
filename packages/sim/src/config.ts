// What a world is made of: the machine, the user tasks (one of them may be a VMM), the vcpus and
// their guests. Scenario files and explorer configurations both reduce to this.

import type { MachineConfig } from '@kvmfp/machine';

export interface TaskConfig {
  name: string;
  /** A VMM is a user task that owns vcpus and calls KVM_RUN. */
  vmm?: boolean;
  /** The CPU it starts running on; tasks without one start runnable but not running. */
  cpu?: number;
  sveVl?: number;
  smeVl?: number;
  /** Declared for a later fork: the task exists only once a fork event creates it. */
  unborn?: boolean;
}

export interface VcpuConfig {
  name: string;
  vmm: string;
  /** The guest has SVE (KVM_ARM_VCPU_SVE). */
  sve: boolean;
  sveVl?: number;
  /** The guest is a 32-bit (AArch32) guest. */
  aarch32?: boolean;
  /** The guest kernel's own CPACR_EL1 (default: FP/SIMD, and SVE when the vcpu has it, enabled). */
  guestCpacrEl1?: number;
  /**
   * The guest kernel's own ZCR_EL1 (LEN = VL/16 - 1). Default: KVM's reset value 0 (128 bits); a
   * Linux guest kernel that selected its largest length has LEN = sveVl/16 - 1.
   */
  guestZcrEl1?: number;
}

export interface WorldConfig {
  machine: MachineConfig;
  tasks: TaskConfig[];
  vcpus: VcpuConfig[];
}

export const DEFAULT_FEATURES = { fpsimd: true, sve: true, sme: true, sme2: false, fa64: false, vhe: true };
