// Test helpers for this package's tests (not a kernel file): a KVM world with a revision's (or a
// mutant's) entry table installed, a driver for the KVM_RUN path (a generator that stops at
// preemption points and guest entries), and the machine's verdict on a guest instruction.

import { E, type EntryTable, installEntries, type KernelPath } from '@kvmfp/fpsimd';
import { KVM_RUN, kvmTesting } from '@kvmfp/kvm-fpsimd';
import {
  decideTrap,
  type InsnClass,
  setHostEl2Handler,
  thisCpu,
  thisMachine,
  type TrapOutcome,
} from '@kvmfp/machine';
import { revisions } from './revisions.js';

export type Rev = 'v6.3' | 'v6.4';

export type Stop =
  { kind: 'point'; label: string } | { kind: 'guest'; vcpuId: number } | { kind: 'done'; value: number };

/** A KVM world with `rev`'s entry table installed (or `table`, e.g. a mutant's). */
export function kvmWorld(
  rev: Rev,
  opts: kvmTesting.KvmWorldOptions = {},
  table: EntryTable = revisions[rev],
): kvmTesting.KvmWorld {
  const w = kvmTesting.createKvmWorld(opts);
  installEntries(table);
  // The nVHE host kernel's own SVE instructions that CPTR_EL2.TZ traps go to this package's host
  // vector, as the sim installs it.
  setHostEl2Handler((esr) => E.__kvm_hyp_host_vector_sync(esr));
  return w;
}

/** The KVM_RUN ioctl of the world's VMM for its vcpu, not yet started. */
export function kvmRun(w: kvmTesting.KvmWorld): KernelPath<number> {
  return E.kvm_vcpu_ioctl(w.vcpu, KVM_RUN, 0);
}

/**
 * Runs `path` (resumed with `value`) until it enters the guest or ends; at each preemption point
 * `atPoint` may act (on the same CPU). Returns the guest entry or the result.
 */
export function untilGuest(
  path: KernelPath<number>,
  value?: number,
  atPoint?: (label: string) => void,
): Stop & { points: string[] } {
  const points: string[] = [];
  let v: unknown = value;
  for (;;) {
    const r = path.next(v);
    v = undefined;
    if (r.done) return { kind: 'done', value: r.value, points };
    if (r.value.kind === 'guest') return { ...r.value, points };
    points.push(r.value.label);
    atPoint?.(r.value.label);
  }
}

/** What the bound CPU does with an instruction of class `cls` at its current EL (the guest's EL1). */
export function guestInsn(cls: InsnClass): TrapOutcome {
  const cpu = thisCpu();
  const f = thisMachine().config.features;
  return decideTrap(cls, {
    el: cpu.el,
    features: { sve: f.sve, sme: f.sme, sme2: f.sme2, fa64: f.fa64 },
    hcr_el2: cpu.sys.hcr_el2,
    cpacr_el1: cpu.sys.cpacr_el1,
    cptr_el2: cpu.sys.cptr_el2,
    svcr: cpu.sys.svcr,
    smcr_el1: cpu.sys.smcr_el1,
    smcr_el2: cpu.sys.smcr_el2,
    secure: false,
  });
}
