// SPDX-License-Identifier: GPL-2.0-only
//
// The link between hyp/include/hyp/switch.h and the two hypervisor objects that include it
// (Linux v6.4). switch.h declares exit_handler_fn and leaves kvm_get_exit_handler_array() to the
// including file: the VHE object (hyp/vhe/switch.c) and the nVHE object (hyp/nvhe/switch.c) each
// compile the header with their own table. Only one of them runs on a given machine, and has_vhe()
// says which; this file makes that choice for the revision-specific switch.h ports, which share it.

import { has_vhe } from '@kvmfp/fpsimd';
import type { kvm_vcpu } from '@kvmfp/kvm-fpsimd';
import * as nvhe from './nvhe-switch.js';
import * as vhe from './vhe-switch.js';

/** The exit code the guest run hands around by pointer (u64 *exit_code). */
export interface u64_ptr {
  val: number;
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: exit_handler_fn (v6.4)
// A handler returns true when it dealt with the exit and the guest can be re-entered at once.
export type exit_handler_fn = (vcpu: kvm_vcpu, exit_code: u64_ptr) => boolean;

// arch/arm64/kvm/hyp/include/hyp/switch.h: kvm_get_exit_handler_array (v6.4), declaration
// Resolved to the running hypervisor's definition.
export function kvm_get_exit_handler_array(vcpu: kvm_vcpu): readonly (exit_handler_fn | null)[] {
  return has_vhe() ? vhe.kvm_get_exit_handler_array(vcpu) : nvhe.kvm_get_exit_handler_array(vcpu);
}
