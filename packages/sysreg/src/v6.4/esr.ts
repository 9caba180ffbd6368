// Port of the exception-syndrome facts in arch/arm64/include/asm/esr.h (Linux v6.4) that the
// FP/SVE/SME trap paths use. ESR values are 32-bit here; bit 31 is kept unsigned with `>>>`.

export const ESR_ELx_EC_UNKNOWN = 0x00;
export const ESR_ELx_EC_WFx = 0x01;
export const ESR_ELx_EC_FP_ASIMD = 0x07;
export const ESR_ELx_EC_CP10_ID = 0x08;
export const ESR_ELx_EC_SVC64 = 0x15;
export const ESR_ELx_EC_HVC64 = 0x16;
export const ESR_ELx_EC_SYS64 = 0x18;
export const ESR_ELx_EC_SVE = 0x19;
export const ESR_ELx_EC_SME = 0x1d;
export const ESR_ELx_EC_FP_EXC32 = 0x28;
export const ESR_ELx_EC_FP_EXC64 = 0x2c;

export const ESR_ELx_EC_SHIFT = 26;
export const ESR_ELx_EC_WIDTH = 6;
export const ESR_ELx_EC_MASK = 0x3f * 2 ** ESR_ELx_EC_SHIFT;
export const ESR_ELx_IL_SHIFT = 25;
export const ESR_ELx_IL = 2 ** ESR_ELx_IL_SHIFT;
export const ESR_ELx_ISS_MASK = ESR_ELx_IL - 1;

/** The exception class of a syndrome value. */
export function ESR_ELx_EC(esr: number): number {
  return (esr >>> ESR_ELx_EC_SHIFT) & 0x3f;
}

export function ESR_ELx_ISS(esr: number): number {
  return esr & ESR_ELx_ISS_MASK;
}

// ISS codes of an SME access trap (EC 0x1d), in the low bits of the ISS.
export const ESR_ELx_SME_ISS_SME_DISABLED = 0;
export const ESR_ELx_SME_ISS_ILL = 1;
export const ESR_ELx_SME_ISS_SM_DISABLED = 2;
export const ESR_ELx_SME_ISS_ZA_DISABLED = 3;
export const ESR_ELx_SME_ISS_ZT_DISABLED = 4;

/** ISS of a trapped FP exception (EC 0x2c): the TFV bit says the exception flags are valid. */
export const ESR_ELx_FP_EXC_TFV = 2 ** 23;

/** Builds a syndrome from a class and an ISS, with IL set (32-bit instruction). */
export function esr_make(ec: number, iss: number): number {
  return ec * 2 ** ESR_ELx_EC_SHIFT + ESR_ELx_IL + (iss & ESR_ELx_ISS_MASK);
}
