// @kvmfp/hyp-switch: the hypervisor side of the KVM FP switch (hyp/include/hyp/switch.h in
// revisions v6.3 and v6.4; the shared VHE and nVHE switch files, hyp-main.c and the stand-ins for
// the world switch), and the complete entry tables of both revisions (their mutants are in
// @kvmfp/mutants). `hypTesting`: the KVM_RUN driver the tests of this package and of mutants share.
export * from './revisions.js';
export * from './entries.js';
export * as hypTesting from './testing.js';
export * as switchV63 from './v6.3/switch.js';
export * as switchV64 from './v6.4/switch.js';
// Used by the mutants of kvm_hyp_handle_fpsimd (@kvmfp/mutants).
export { __hyp_sve_restore_guest } from './v6.4/switch.js';
export * as vheSwitch from './v6.4/vhe-switch.js';
export * as nvheSwitch from './v6.4/nvhe-switch.js';
export { type exit_handler_fn, kvm_get_exit_handler_array, type u64_ptr } from './v6.4/hyp-link.js';
export * from './v6.4/hyp-main.js';
export * from './v6.4/hyp-call.js';
export * from './v6.4/entry.js';
export * from './v6.4/exception.js';
export * from './v6.4/sysreg-sr.js';
export * from './v6.4/vhe-sysreg-sr.js';
export * from './v6.4/nvhe-sysreg-sr.js';
export * from './v6.4/nvhe-sys-regs.js';
