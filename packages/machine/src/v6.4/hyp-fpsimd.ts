// The hypervisor's primitives of arch/arm64/kvm/hyp/fpsimd.S (Linux v6.4): the same macros as the
// host's, so they share the host implementations; only the FFR choice is fixed (always restored).

import type { FpsimdStorage } from '../state.js';
import { fpsimd_load_state, fpsimd_save_state, sve_load_state, SvePffr } from './entry-fpsimd.js';

/** __fpsimd_save_state: as fpsimd_save_state. */
export function __fpsimd_save_state(st: FpsimdStorage): void {
  fpsimd_save_state(st);
}

/** __fpsimd_restore_state: as fpsimd_load_state. */
export function __fpsimd_restore_state(st: FpsimdStorage): void {
  fpsimd_load_state(st);
}

/** __sve_restore_state: sve_load with FFR restored. */
export function __sve_restore_state(sve_pffr: SvePffr, fpsr: FpsimdStorage): void {
  sve_load_state(sve_pffr, fpsr, true);
}
