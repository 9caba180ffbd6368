// Register values the boot path leaves, gathered from @kvmfp/sysreg names.
export {
  CPACR_EL1_FPEN,
  CPACR_EL1_SMEN_EL1EN,
  CPACR_EL1_ZEN_EL1EN,
  CPTR_EL2_TSM,
  CPTR_EL2_TZ,
  HCR_HOST_VHE_FLAGS,
  SMCR_ELx_EZT0_MASK,
  SMCR_ELx_FA64_MASK,
} from '@kvmfp/sysreg';
import { HCR_RW } from '@kvmfp/sysreg';

/** HCR_EL2 for an nVHE host, reduced to the bits the FP model reads (RW; no E2H, no TGE). */
export const HCR_HOST_NVHE_FLAGS_PORTABLE = HCR_RW;
