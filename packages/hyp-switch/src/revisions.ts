// The complete entry table of each revision: the host FP entries of @kvmfp/fpsimd (one set: the
// series changed no host file), the KVM entries of @kvmfp/kvm-fpsimd and the hypervisor entries of
// this package. The sim calls the kernel only through one of these (or a mutant of one).

import {
  __switch_to,
  do_fpsimd_acc,
  do_sme_acc,
  do_sve_acc,
  type EntryTable,
  fp_user_discard,
  fpsimd_restore_current_state,
  fpsimd_thread_switch,
  kernel_neon_begin,
  kernel_neon_end,
  may_use_simd,
} from '@kvmfp/fpsimd';
import { kvmEntries } from '@kvmfp/kvm-fpsimd';
import { type HypRevision, hypEntries } from './entries.js';

/** The host-side entries (arch/arm64/kernel): the same for both revisions. */
const hostEntries = {
  fp_user_discard,
  fpsimd_restore_current_state,
  fpsimd_thread_switch,
  __switch_to,
  do_sve_acc,
  do_sme_acc,
  do_fpsimd_acc,
  kernel_neon_begin,
  kernel_neon_end,
  may_use_simd,
};

function table(rev: HypRevision): EntryTable {
  return { ...hostEntries, ...kvmEntries[rev], ...hypEntries[rev] };
}

export const revisions: Record<HypRevision, EntryTable> = {
  'v6.3': table('v6.3'),
  'v6.4': table('v6.4'),
};
