// @kvmfp/kvm-fpsimd: arch/arm64/kvm/fpsimd.c in revisions v6.3 and v6.4, the FP-relevant order of
// arch/arm64/kvm/arm.c and handle_exit.c, and the vcpu data of asm/kvm_host.h. Shared files are
// exported once; the per-revision fpsimd.c ports are reached through `kvmEntries` (or by path).
export * from './v6.4/kvm_host.js';
export * from './v6.4/kvm_emulate.js';
export * from './v6.4/kvm_hyp.js';
export * from './v6.4/kvm_asm.js';
export * from './v6.4/kvm_mmu.js';
export * from './v6.4/virt.js';
export * from './v6.4/cpufeature.js';
export * from './v6.4/inject_fault.js';
export * from './v6.4/handle_exit.js';
export * from './v6.4/entry-kvm.js';
export * from './v6.4/kvm_main.js';
export * from './v6.4/arm.js';
export * as kvmFpsimdV63 from './v6.3/fpsimd.js';
export * as kvmFpsimdV64 from './v6.4/fpsimd.js';
export * from './entries.js';
export * from './create.js';
export * as kvmTesting from './testing.js';
