// SPDX-License-Identifier: GPL-2.0-only
//
// The exit codes of arch/arm64/include/asm/kvm_asm.h (Linux v6.4): what the hypervisor's guest
// run returns to the host run loop. The low bits say why the guest stopped; bit 31 flags an SError
// that became pending on the way out.

export const ARM_EXIT_WITH_SERROR_BIT = 31;

export const ARM_EXCEPTION_IRQ = 0;
export const ARM_EXCEPTION_EL1_SERROR = 1;
export const ARM_EXCEPTION_TRAP = 2;
export const ARM_EXCEPTION_IL = 3;
/** HVC_STUB_ERR: EL2 was reset to the hyp stub under the guest. */
export const ARM_EXCEPTION_HYP_GONE = 0xbadca11;

// arch/arm64/include/asm/kvm_asm.h: ARM_EXCEPTION_CODE (v6.4)
export function ARM_EXCEPTION_CODE(x: number): number {
  return (x & ~(1 << ARM_EXIT_WITH_SERROR_BIT)) >>> 0;
}

// arch/arm64/include/asm/kvm_asm.h: ARM_SERROR_PENDING (v6.4)
export function ARM_SERROR_PENDING(x: number): boolean {
  return (x & (1 << ARM_EXIT_WITH_SERROR_BIT)) !== 0;
}

// arch/arm64/include/asm/kvm_asm.h: ARM_EXCEPTION_IS_TRAP (v6.4)
export function ARM_EXCEPTION_IS_TRAP(x: number): boolean {
  return ARM_EXCEPTION_CODE(x) === ARM_EXCEPTION_TRAP;
}
