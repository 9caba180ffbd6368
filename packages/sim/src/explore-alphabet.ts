// The explorer's alphabet of the events where races live (issue 15): which events the explorer
// offers at a state, beyond the basic instructions, syscalls, preemption and KVM_RUN of
// explore.ts. Every kind is switched on per configuration (fixtures/configs/*.yaml `alphabet`), is
// decided from the world's data only, and is described in ALPHABET_DOC (kvmfp explore --help and
// the README). Explorer.candidates() calls the functions here; the events themselves are
// events.ts and events-host.ts.

import type { Event } from './events.js';
import { FRAME_EDITS, type FrameEdit, type Regset, type RegsetData } from './events-host.js';
import { implemented } from './exec.js';
import { inPtraceStop, type UserOpKind, type UserProgram, type World } from './world.js';

/** The switches of the race alphabet; each defaults to off. */
export interface RaceAlphabet {
  /**
   * PTRACE_SYSCALL: a stopped task is continued to stop again at its next syscall entry and exit
   * (ptrace_cont with syscall), and a tracer may ask a task that is inside the kernel to stop, so
   * that it stops in get_signal on its way out (ptrace_stop at a kernel point).
   */
  ptraceSyscall: boolean;
  /** A softirq with kernel-mode NEON raised inside the next softirq-disabled section of a CPU. */
  deferredSoftirq: boolean;
  /** A signal queued for a task inside the kernel (delivered at its syscall exit). */
  signalInKernel: boolean;
  /** KVM_RUN back to the VMM: kick, signal and MMIO exit of a running guest, immediate_exit. */
  kvmExit: boolean;
  /** The guest kernel writes its ZCR_EL1 for each length its vcpu allows. */
  guestZcr: boolean;
  /** Instructions the machine does not implement (SIGILL, granted by sve.rst/sme.rst section 1). */
  undefInsns: boolean;
  /** The signal frame edits the handler may make before sigreturn (FRAME_EDITS). */
  frameEdits: FrameEdit[];
  /** Every ptrace regset payload: each supported length, FPSIMD-format and header-only. */
  ptracePayloads: boolean;
  /** A CPU switches to its idle task; an idle CPU takes a runnable task. */
  idle: boolean;
}

export const NO_RACES: RaceAlphabet = {
  ptraceSyscall: false,
  deferredSoftirq: false,
  signalInKernel: false,
  kvmExit: false,
  guestZcr: false,
  undefInsns: false,
  frameEdits: [],
  ptracePayloads: false,
  idle: false,
};

/** The switches as the explorer configuration schema has them. */
export const RACE_ALPHABET_SCHEMA = {
  ptraceSyscall: { type: 'boolean' },
  deferredSoftirq: { type: 'boolean' },
  signalInKernel: { type: 'boolean' },
  kvmExit: { type: 'boolean' },
  guestZcr: { type: 'boolean' },
  undefInsns: { type: 'boolean' },
  frameEdits: { type: 'array', items: { enum: FRAME_EDITS }, uniqueItems: true },
  ptracePayloads: { type: 'boolean' },
  idle: { type: 'boolean' },
} as const;

/** The whole alphabet, one line per configuration key (kvmfp explore --help, README). */
export const ALPHABET_DOC = `The alphabet (the "alphabet" map of an explorer configuration; every key defaults to off):
  user, checks         user instructions (write, check) of these kinds: fpsimd sve ssve za zt0
                       smstart* smstop*; ones the machine lacks only with undefInsns
  guest, guestChecks   guest instructions (write, check) of these kinds
  syscall, neon        a syscall; a syscall whose body uses kernel-mode NEON
  softirq              a softirq with kernel-mode NEON where an interrupt can be taken
  preempt              a context switch to a runnable task (from user space or a kernel point)
  kvmRun, guestExit    KVM_RUN of a VMM; a guest exit on an IRQ
  signal               a signal to a task in user space; sigreturn from its handler
  ptrace               signal-delivery stops, PTRACE_GETREGSET/SETREGSET, PTRACE_CONT
  prctl, fork, exec    PR_SVE/SME_SET_VL to each length; fork into an unborn task; execve
  ptraceSyscall        PTRACE_SYSCALL (stops at syscall entry and exit); stops asked of tasks
                       inside the kernel
  deferredSoftirq      a softirq raised inside the next get/put_cpu_fpsimd_context section, run
                       by its local_bh_enable
  signalInKernel       a signal queued for a task inside the kernel (delivered at syscall exit,
                       after do_signal's forget_syscall)
  kvmExit              KVM_RUN back to the VMM: kick, signal, MMIO exit; KVM_RUN with
                       immediate_exit
  guestZcr             the guest writes its ZCR_EL1 for each length its vcpu allows
  undefInsns           instructions the machine does not implement (SIGILL, kernel-signal-granted)
  frameEdits           sigreturn after these frame edits: ${FRAME_EDITS.join(' ')}
  ptracePayloads       regset writes at every supported length, FPSIMD-format and header-only
  idle                 preempt to the idle task; an idle CPU takes a runnable task
Return-to-user windows (after fpsimd_restore_current_state) are preemption points, so softirq and
preempt reach them.`;

/** The user instructions offered to a task: those the machine implements, unless undefInsns. */
export function offeredOps(w: World, u: UserProgram, ops: UserOpKind[], race: RaceAlphabet): UserOpKind[] {
  if (race.undefInsns) return ops;
  return ops.filter((op) => implemented(w.machine.config.features, op, u.view.sm));
}

/** Every race candidate of this state (in a fixed order, so exploration is deterministic). */
export function raceCandidates(
  w: World,
  race: RaceAlphabet,
  base: { ptrace: boolean; preempt: boolean; fork: boolean },
  running: Map<number, number>,
  out: Event[],
): void {
  if (race.ptraceSyscall && base.ptrace) ptraceSyscallCandidates(w, running, out);
  if (race.deferredSoftirq) deferredSoftirqCandidates(w, out);
  if (race.signalInKernel) signalInKernelCandidates(w, running, out);
  if (race.kvmExit) kvmExitCandidates(w, running, out);
  if (race.guestZcr) guestZcrCandidates(w, out);
  if (race.frameEdits.length) frameEditCandidates(w, running, race.frameEdits, out);
  if (race.ptracePayloads && base.ptrace) ptracePayloadCandidates(w, running, out);
  if (race.idle && base.preempt) idleCandidates(w, running, !(base.ptrace || base.fork), out);
}

/** A task stopped at a kernel preemption point (not running a guest, not in a ptrace stop). */
function atKernelPoint(u: UserProgram): boolean {
  return u.mode === 'kernel' && !!u.kpath && !u.kpath.startsWith('guest:') && u.stop === 'none';
}

function ptraceSyscallCandidates(w: World, running: Map<number, number>, out: Event[]): void {
  if (w.users.length < 2) return;
  for (const t of w.users) {
    if (inPtraceStop(w, t) && !t.frozen)
      out.push({ do: 'ptrace_cont', task: t.name, syscall: true, to: 'first' });
    else if (atKernelPoint(t) && running.has(t.pid)) out.push({ do: 'ptrace_stop', task: t.name });
  }
}

function deferredSoftirqCandidates(w: World, out: Event[]): void {
  w.kernel.percpu.forEach((p, cpu) => {
    const u = w.users.find((x) => x.pid === p.current.pid);
    if (!u || p.softirq_pending || u.kpath?.startsWith('guest:')) return;
    out.push({ do: 'softirq_neon', cpu, deferred: true });
  });
}

function signalInKernelCandidates(w: World, running: Map<number, number>, out: Event[]): void {
  for (const u of w.users)
    if (atKernelPoint(u) && running.has(u.pid) && u.pending.length === 0 && u.frames.length < 2)
      out.push({ do: 'signal', task: u.name, to: 'first' });
}

function kvmExitCandidates(w: World, running: Map<number, number>, out: Event[]): void {
  for (const u of w.users) {
    if (!u.vmm || !running.has(u.pid)) continue;
    if (u.mode === 'user') {
      out.push({ do: 'kvm_run', task: u.name, immediateExit: true, to: 'first' });
      continue;
    }
    if (!u.kpath?.startsWith('guest:')) continue;
    const g = w.guests[Number(u.kpath.slice(6))];
    out.push({ do: 'kick', task: u.name, to: 'first' });
    if (u.pending.length === 0 && u.frames.length < 2) out.push({ do: 'signal', task: u.name, to: 'first' });
    out.push({ do: 'guest_exit', vcpu: g.name, reason: 'mmio', to: 'first' });
  }
}

function guestZcrCandidates(w: World, out: Event[]): void {
  for (const u of w.users) {
    if (!u.kpath?.startsWith('guest:')) continue;
    const g = w.guests[Number(u.kpath.slice(6))];
    const max = w.kvm.vcpus[g.vcpuId].arch.sve_max_vl;
    if (!g.sve) continue;
    for (const vl of w.machine.config.sveVls) if (vl <= max) out.push({ do: 'guest_zcr', vcpu: g.name, vl });
  }
}

function frameEditCandidates(w: World, running: Map<number, number>, edits: FrameEdit[], out: Event[]): void {
  for (const u of w.users)
    if (u.mode === 'user' && running.has(u.pid) && u.frames.length)
      for (const edit of edits) out.push({ do: 'sigreturn', task: u.name, edit, to: 'first' });
}

/** The payloads of one regset: [data, vl] pairs the tracer may write. */
function payloads(w: World, regset: Regset): { data: RegsetData; vl?: number }[] {
  const cfg = w.machine.config;
  switch (regset) {
    case 'fpr':
      return [];
    case 'sve':
    case 'ssve': {
      const vls = regset === 'sve' ? cfg.sveVls : cfg.smeVls;
      return [...vls.map((vl) => ({ data: 'regs' as const, vl })), { data: 'fpsimd' }, { data: 'none' }];
    }
    case 'za':
      return [...cfg.smeVls.map((vl) => ({ data: 'regs' as const, vl })), { data: 'none' }];
    case 'zt':
      return [];
  }
}

function ptracePayloadCandidates(w: World, running: Map<number, number>, out: Event[]): void {
  const f = w.machine.config.features;
  const regsets: Regset[] = [];
  if (f.sve) regsets.push('sve');
  if (f.sme) regsets.push('ssve', 'za');
  for (const t of w.users.filter((x) => inPtraceStop(w, x) && !x.frozen))
    for (const tr of w.users.filter((x) => x.mode === 'user' && running.has(x.pid) && x !== t))
      for (const regset of regsets)
        for (const p of payloads(w, regset))
          out.push({ do: 'ptrace_set', tracer: tr.name, task: t.name, regset, ...p, to: 'first' });
}

function idleCandidates(w: World, running: Map<number, number>, fromIdleToo: boolean, out: Event[]): void {
  w.kernel.percpu.forEach((p, cpu) => {
    if (!p.current.mm) {
      // An idle CPU takes a runnable task (explore.ts offers this already with ptrace or fork).
      if (fromIdleToo)
        for (const pid of w.runq)
          out.push({ do: 'preempt', cpu, next: w.users.find((x) => x.pid === pid)!.name });
      return;
    }
    const u = w.users.find((x) => x.pid === p.current.pid);
    if (u && running.get(u.pid) === cpu && (u.mode === 'user' || atKernelPoint(u)))
      out.push({ do: 'preempt', cpu, idle: true });
  });
}
