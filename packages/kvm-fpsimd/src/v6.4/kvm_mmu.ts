// SPDX-License-Identifier: GPL-2.0-only
//
// What the KVM FP code needs from arch/arm64/include/asm/kvm_mmu.h and arch/arm64/kvm/mmu.c
// (Linux v6.4): making host memory reachable from the hypervisor. The model has one address space
// and no page ownership, so both reduce to their successful outcome. And the guest abort handler,
// reduced to its MMIO exit to user space.

import { KVM_EXIT_MMIO, type kvm_vcpu } from './kvm_host.js';

// arch/arm64/kvm/mmu.c: kvm_share_hyp (v6.4)
// With VHE the kernel is the hypervisor; without protected KVM the hyp mappings come from the
// host's linear map. Neither fails for a task's thread storage, so sharing always succeeds.
export function kvm_share_hyp(_from: object): number {
  return 0;
}

// arch/arm64/include/asm/kvm_mmu.h: kern_hyp_va (v6.4)
// A kernel address as the hypervisor sees it: the same object in a single address space.
export function kern_hyp_va<T>(v: T): T {
  return v;
}

// arch/arm64/kvm/mmu.c: kvm_handle_guest_abort (v6.4), stand-in
// A stage-2 data abort. The model has no memory slots, so every abort is an access to an address
// outside guest memory: io_mem_abort hands it to the VMM (KVM_EXIT_MMIO) with nothing in-kernel to
// emulate it, and the run loop returns to user space. Stage-2 faults on memory, the MMIO bus and
// the decoded access are not FP and are left out.
export function kvm_handle_guest_abort(vcpu: kvm_vcpu): number {
  // io_mem_abort: no in-kernel device claims the address.
  vcpu.run.exit_reason = KVM_EXIT_MMIO;
  return 0;
}
