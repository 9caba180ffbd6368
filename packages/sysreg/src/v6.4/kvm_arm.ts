// Port of the HCR_EL2 and CPTR_EL2 facts in arch/arm64/include/asm/kvm_arm.h (Linux v6.4).
// HCR_EL2.E2H is bit 34, above what JS bitwise operators reach; use the helpers in sysreg.ts
// (test_bits64 etc.) on HCR_EL2 values rather than `&`.

export const HCR_RW_SHIFT = 31;
export const HCR_RW = 2 ** HCR_RW_SHIFT;
export const HCR_TGE = 2 ** 27;
export const HCR_E2H = 2 ** 34;
export const HCR_HOST_VHE_FLAGS = HCR_RW + HCR_TGE + HCR_E2H;

// CPTR_EL2 in its nVHE layout (HCR_EL2.E2H == 0). With E2H == 1 the register takes the layout
// of CPACR_EL1 and the kernel uses the CPACR_EL1_* names for it.
export const CPTR_EL2_TFP_SHIFT = 10;
export const CPTR_EL2_TCPAC = 2 ** 31;
export const CPTR_EL2_TAM = 1 << 30;
export const CPTR_EL2_TTA = 1 << 20;
export const CPTR_EL2_TSM = 1 << 12;
export const CPTR_EL2_TFP = 1 << CPTR_EL2_TFP_SHIFT;
export const CPTR_EL2_TZ = 1 << 8;
export const CPTR_NVHE_EL2_RES1 = 0x000032ff;
export const CPTR_EL2_DEFAULT = CPTR_NVHE_EL2_RES1;
