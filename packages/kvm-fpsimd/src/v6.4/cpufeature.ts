// SPDX-License-Identifier: GPL-2.0-only
//
// The capability test of arch/arm64/include/asm/cpufeature.h (Linux v6.4) for the capabilities
// the KVM FP paths ask about. Capabilities are machine configuration here, so each one is the
// matching system_supports_*() answer.

import { has_vhe, system_supports_fpsimd, system_supports_sme, system_supports_sve } from '@kvmfp/fpsimd';

export const ARM64_HAS_VIRT_HOST_EXTN = 'ARM64_HAS_VIRT_HOST_EXTN';
export const ARM64_SVE = 'ARM64_SVE';
export const ARM64_SME = 'ARM64_SME';
export const ARM64_HAS_FPSIMD = 'ARM64_HAS_FPSIMD';
export type arm64_cap =
  typeof ARM64_HAS_VIRT_HOST_EXTN | typeof ARM64_SVE | typeof ARM64_SME | typeof ARM64_HAS_FPSIMD;

// arch/arm64/include/asm/cpufeature.h: cpus_have_final_cap (v6.4)
export function cpus_have_final_cap(num: arm64_cap): boolean {
  switch (num) {
    case ARM64_HAS_VIRT_HOST_EXTN:
      return has_vhe();
    case ARM64_SVE:
      return system_supports_sve();
    case ARM64_SME:
      return system_supports_sme();
    case ARM64_HAS_FPSIMD:
      return system_supports_fpsimd();
  }
}
