// The VMs and vcpus of a world, as the VMM's set-up ioctls leave them (KVM_CREATE_VM,
// KVM_CREATE_VCPU, KVM_ARM_VCPU_INIT, KVM_ARM_VCPU_FINALIZE): configuration, built by
// @kvmfp/kvm-fpsimd's createKvm/createVcpu, before any event runs.

import { createKvm, createVcpu, kvm, kvm_vcpu } from '@kvmfp/kvm-fpsimd';
import type { WorldConfig } from './config.js';
import type { Runtime } from './runtime.js';

export interface KvmData {
  vms: kvm[];
  vcpus: kvm_vcpu[];
}

export function attachVcpus(rt: Runtime, config: WorldConfig): void {
  const vms = new Map<string, kvm>();
  const vcpus = config.vcpus.map((v, i) => {
    let vm = vms.get(v.vmm);
    if (!vm) vms.set(v.vmm, (vm = createKvm({ aarch32: v.aarch32 })));
    return createVcpu(vm, i, config.machine, {
      sve: v.sve,
      sveMaxVl: v.sveVl,
      guestCpacrEl1: v.guestCpacrEl1,
      guestZcrEl1: v.guestZcrEl1,
    });
  });
  rt.world.kvm = { vms: [...vms.values()], vcpus };
}

/** The vcpu a VMM runs with KVM_RUN: its first (the model runs one vcpu per VMM thread). */
export function vcpuOfVmm(rt: Runtime, vmm: string): kvm_vcpu | undefined {
  const i = rt.world.guests.findIndex((g) => g.vmm === vmm);
  return i < 0 ? undefined : rt.world.kvm.vcpus[i];
}
