// SPDX-License-Identifier: GPL-2.0-only
//
// What the KVM FP code needs from arch/arm64/include/asm/kvm_mmu.h and arch/arm64/kvm/mmu.c
// (Linux v6.4): making host memory reachable from the hypervisor. The model has one address space
// and no page ownership, so both reduce to their successful outcome.

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
