// Where a suspended kernel path stands, as data: the part of a state's identity that the world's
// data does not hold. A path's generator keeps its position and its locals; two histories that
// leave a path at the same place with the same live values must get the same signature, and two
// that could behave differently must not.
//
// Two kinds of signature:
// - At an ANCHOR (listed below) the rest of the path is a function of the world's data, the
//   label, the locals the point declares and, where kept, the tag of the path (what started it
//   and what its closures hold). Any history that reaches the anchor merges there.
// - Anywhere else the path's signature is the state it was last resumed from plus the event that
//   resumed it. The parent's identity determines the parent's paths (by induction), and the event
//   is deterministic, so this is sound; it merges every interleaving of other CPUs' events while
//   the path is parked, but not two different ways of reaching the point itself.
// The soundness property test (explore-soundness.test.ts) checks both on random walks.

import type { KernelPath, task_struct } from '@kvmfp/fpsimd';
import {
  accessTrapFromEntry,
  afterIrqsOn,
  afterRestoreWindow,
  exitToUserMode,
  syscallFromPoint,
  syscallRestarts,
} from './events.js';
import { Hasher } from './graph.js';
import type { PathStop } from './runtime.js';

export interface Anchor {
  /** Whether the tag of the path is part of the signature (false: every path ends the same way). */
  keepTag: boolean;
  /** Why the continuation depends on nothing else. */
  why: string;
  /**
   * The continuation as a fresh path, where the sim can write it: a path stopped here is then
   * rebuilt from the task and the declared locals alone, with no replay.
   */
  restart?: (
    task: task_struct,
    locals: Readonly<Record<string, number | boolean | null>>,
    tag: string,
  ) => KernelPath;
}

const ACCESS_TRAP =
  'in an access-trap handler, called once per trap path; its locals are the ESR and regs the tag and the world hold';
const RETURN_TO_USER =
  'every path that runs the return-to-user loop ends when it returns, and its only live local is the flags word it declares';

export const ANCHORS: ReadonlyMap<string, Anchor> = new Map([
  [
    'do_notify_resume:irqs on',
    { keepTag: false, why: RETURN_TO_USER, restart: (task, l) => afterIrqsOn(task, l.flags as number) },
  ],
  [
    'do_notify_resume:after fpsimd_restore_current_state',
    {
      keepTag: false,
      why: 'the loop reads its flags anew after this point, so nothing of the pass before it is live',
      restart: (task) => afterRestoreWindow(task),
    },
  ],
  [
    'el0_interrupt:schedule',
    {
      keepTag: false,
      why: 'the task resumes with a fresh return-to-user loop, which re-reads its flags',
      restart: (task) => exitToUserMode(task),
    },
  ],
  [
    'kvm_arch_vcpu_ioctl_run:loop top',
    { keepTag: true, why: 'inside the KVM_RUN loop, whose only live local is ret (declared)' },
  ],
  [
    'kvm_arch_vcpu_ioctl_run:irq window after exit',
    { keepTag: true, why: 'inside the KVM_RUN loop, whose only live local is ret (declared)' },
  ],
  [
    'kvm_arch_vcpu_ioctl_run:irqs on, preemption off',
    { keepTag: true, why: 'inside the KVM_RUN loop, whose only live local is ret (declared)' },
  ],
  [
    'kvm_arch_vcpu_ioctl_run:after preempt_enable',
    { keepTag: true, why: 'inside the KVM_RUN loop, whose only live local is ret (declared)' },
  ],
  // The entry points are the handlers' first statements, so a path stopped there restarts from
  // its tag (events.ts accessTrapFromEntry). After an allocation the handler cannot be entered
  // anew without running the allocation again, which clears the buffer; those replay their trap.
  ...(['do_sve_acc:entry', 'do_sme_acc:entry'] as const).map((label): [string, Anchor] => [
    label,
    {
      keepTag: true,
      why: ACCESS_TRAP,
      restart: (task, _locals, tag) => accessTrapFromEntry(task, tag, label),
    },
  ]),
  ...(
    ['do_sve_acc:after sve_alloc', 'do_sme_acc:after sve_alloc', 'do_sme_acc:after sme_alloc'] as const
  ).map((label): [string, Anchor] => [label, { keepTag: true, why: ACCESS_TRAP }]),
]);

/**
 * Points that are not anchors (a path stopped there keeps the signature of how it got there) but
 * where the rest of the path is a function of the task, the path's tag and the world alone, for
 * the tags `accepts` takes: a path stopped there is rebuilt from data (`restart`) instead of
 * replayed from its chain. Its signature, so every key, is the same as with a replay.
 */
interface PointRestart {
  accepts: (tag: string) => boolean;
  restart: NonNullable<Anchor['restart']>;
}

const POINT_RESTARTS: ReadonlyMap<string, PointRestart> = new Map(
  (['el0_svc:before invoke_syscall', 'syscall:after kernel_neon_end'] as const).map((label) => [
    label,
    { accepts: syscallRestarts, restart: (task, _locals, tag) => syscallFromPoint(task, tag, label) },
  ]),
);

/**
 * How a path stopped at `stop` with `tag` is rebuilt from data: its anchor's restart, or its
 * point's (POINT_RESTARTS) where the tag allows; undefined: it is replayed from its chain.
 */
export function restartOf(stop: PathStop, tag: string): Anchor['restart'] {
  if (stop.kind !== 'point') return undefined;
  const anchor = ANCHORS.get(stop.label);
  if (anchor) return anchor.restart;
  const r = POINT_RESTARTS.get(stop.label);
  return r?.accepts(tag) ? r.restart : undefined;
}

/**
 * A guest run is an anchor too: the hyp frames under __guest_enter hold pointers into the vcpu and
 * this CPU's data, which the world holds, and the exit code that the sim passes in. Which CPU that
 * is (the stop records it) is part of the state: an nVHE entry keeps that CPU's host context until
 * the exit, so a path rebuilt from an entry on another CPU would exit differently
 * (explore-guest-anchor.test.ts). It is not in the signature but joins the key beside it
 * (symmetry.ts keyWith, where a CPU relabelling renames it) and the explorer's choice of chain.
 */
const GUEST_ANCHOR: Anchor = {
  keepTag: true,
  why: 'the hyp frames under a guest entry hold only pointers to world data',
};

export function anchorOf(stop: PathStop): Anchor | undefined {
  if (stop.kind === 'guest') return GUEST_ANCHOR;
  if (stop.kind === 'point') return ANCHORS.get(stop.label);
  return undefined;
}

/** The signature of a path stopped at an anchor. */
export function anchorSignature(stop: PathStop, anchor: Anchor, tag: string): [number, number] {
  const h = new Hasher();
  h.string('anchor');
  if (stop.kind === 'guest') h.string(`guest:${stop.vcpuId}`);
  else if (stop.kind === 'point') {
    h.string(stop.label);
    const locals = stop.locals ?? {};
    for (const k of Object.keys(locals).sort()) {
      h.string(k);
      h.string(String(locals[k]));
    }
  }
  if (anchor.keepTag) h.string(tag);
  return h.pair();
}

/** The hasher segmentSignature reuses (signatures are made one at a time). */
const signing = new Hasher();

/**
 * The signature of a path stopped elsewhere: the state it was resumed from, the event, and the
 * path's pid (an event can touch two paths).
 */
export function segmentSignature(parentKey: [number, number], event: string, pid: number): [number, number] {
  const h = signing;
  h.reset();
  h.string('segment');
  h.word(parentKey[0]);
  h.word(parentKey[1]);
  h.string(event);
  h.word(pid);
  return h.pair();
}
