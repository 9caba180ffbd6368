// The generic kernel API the FP code calls (linux/sched.h, linux/preempt.h, linux/bottom_half.h,
// linux/irqflags.h, linux/thread_info.h, asm-generic/bug.h, asm/cpufeature.h, asm/simd.h,
// linux/percpu.h), reduced to what that code needs and acting on the bound world. The sim binds a
// world and a CPU before it runs any kernel path; the accessors keep the kernel's names so the
// ported functions keep the kernel's signatures.

import {
  bindCpu,
  Machine,
  machineFault,
  probe,
  thisCpu,
  ZERO,
  type SmeBuffer,
  type SveBuffer,
  type SvePffr,
} from '@kvmfp/machine';
import {
  __SVE_FFR_OFFSET,
  SVE_SIG_REGS_SIZE,
  ZA_SIG_REGS_SIZE,
  ZT_SIG_REG_SIZE,
} from './uapi-sve-context.js';
import type { Finding, KernelState, PerCpuKernel, pt_regs, task_struct } from './types.js';
import { NO_SYSCALL } from './types.js';

interface Bound {
  kernel: KernelState;
  machine: Machine;
  cpu: number;
}

let bound: Bound | undefined;

/** A BUG(): the world stops here; the sim catches this and reports the world as dead. */
export class KernelBug extends Error {
  constructor(readonly finding: Finding) {
    super(`BUG at ${finding.where}: ${finding.detail}`);
  }
}

/** Binds a world and the CPU that kernel code runs on from now on. */
export function bindKernel(kernel: KernelState, machine: Machine, cpu: number): void {
  bound = { kernel, machine, cpu };
  bindCpu(machine, cpu, machineFaultSink);
}

/**
 * What the machine reports: an UNDEFINED instruction in the kernel is an Oops (die(), a BUG that
 * stops the world, naming the function that ran it); the rest are faults the invariants report.
 */
function machineFaultSink(kind: string, detail: string): void {
  if (kind === 'undef') throw new KernelBug(record('BUG', oopsSite(), `Oops: ${detail}`));
  record('fault', kind, detail);
}

/**
 * The bound world. Every kernel helper here goes through it, so it is also the trace probe: a
 * ported function that reads a feature, a flag or per-CPU data shows in the trace even when it
 * touches no register.
 */
function b(): Bound {
  if (!bound) throw new Error('kernel: no world bound');
  probe();
  return bound;
}

export function kernelState(): KernelState {
  return b().kernel;
}

export function smp_processor_id(): number {
  return b().cpu;
}

function pcpu(): PerCpuKernel {
  const k = b();
  return k.kernel.percpu[k.cpu];
}

/** `current`: the task running on this CPU. */
export function current(): task_struct {
  probe();
  return pcpu().current;
}

// Per-CPU variables are named by their field in PerCpuKernel.
type PerCpuName = keyof Pick<
  PerCpuKernel,
  | 'fpsimd_last_state'
  | 'fpsimd_context_busy'
  | 'efi_fpsimd_state'
  | 'efi_fpsimd_state_used'
  | 'efi_sve_state_used'
  | 'efi_sm_state'
>;

export function this_cpu_ptr<N extends PerCpuName>(name: N): PerCpuKernel[N] {
  probe();
  return pcpu()[name];
}

export function per_cpu<N extends PerCpuName>(name: N, cpu: number): PerCpuKernel[N] {
  return b().kernel.percpu[cpu][name];
}

export function __this_cpu_read<N extends PerCpuName>(name: N): PerCpuKernel[N] {
  return this_cpu_ptr(name);
}

export function __this_cpu_write<N extends PerCpuName>(name: N, value: PerCpuKernel[N]): void {
  probe();
  pcpu()[name] = value;
}

export function __this_cpu_xchg<N extends PerCpuName>(name: N, value: PerCpuKernel[N]): PerCpuKernel[N] {
  const old = this_cpu_ptr(name);
  pcpu()[name] = value;
  return old;
}

export const this_cpu_read = __this_cpu_read;
export const this_cpu_write = __this_cpu_write;

// Preemption, softirqs and interrupts. local_bh_disable also disables preemption (non-RT).
export function preempt_disable(): void {
  pcpu().preempt_count++;
}

export function preempt_enable(): void {
  const p = pcpu();
  if (p.preempt_count === 0) WARN_ON(true);
  else p.preempt_count--;
}

export function local_bh_disable(): void {
  pcpu().softirq_disable++;
}

/**
 * __local_bh_enable_ip: leaving the outermost softirq-disabled section runs the softirqs raised
 * meanwhile (do_softirq), unless the CPU is in interrupt context; with interrupts off they stay
 * pending (the kernel asserts interrupts are on here).
 */
export function local_bh_enable(): void {
  const p = pcpu();
  if (p.softirq_disable === 0) WARN_ON(true);
  else p.softirq_disable--;
  if (p.softirq_pending && !in_interrupt() && !p.irqs_disabled) {
    p.softirq_pending = false;
    softirqRunner?.();
  }
}

let softirqRunner: (() => void) | undefined;

/** The softirq handlers the sim runs when pending softirqs are run (kernel-mode NEON among them). */
export function setSoftirqRunner(run: (() => void) | undefined): void {
  softirqRunner = run;
}

export function local_irq_disable(): void {
  pcpu().irqs_disabled = true;
}

export function local_irq_enable(): void {
  pcpu().irqs_disabled = false;
}

/** local_irq_save: returns the flags to hand back to local_irq_restore. */
export function local_irq_save(): boolean {
  const p = pcpu();
  const flags = p.irqs_disabled;
  p.irqs_disabled = true;
  return flags;
}

export function local_irq_restore(flags: boolean): void {
  pcpu().irqs_disabled = flags;
}

export function irqs_disabled(): boolean {
  return pcpu().irqs_disabled;
}

export function in_hardirq(): boolean {
  return pcpu().in_hardirq;
}

export function in_softirq(): boolean {
  return pcpu().in_softirq || pcpu().softirq_disable > 0;
}

export function in_interrupt(): boolean {
  return pcpu().in_hardirq || pcpu().in_softirq || pcpu().softirq_disable > 0;
}

export function preemptible(): boolean {
  const p = pcpu();
  return (
    p.preempt_count === 0 && p.softirq_disable === 0 && !p.irqs_disabled && !p.in_softirq && !p.in_hardirq
  );
}

/** asm/simd.h may_use_simd(): kernel-mode NEON allowed in this context. */
export function may_use_simd(): boolean {
  return (
    system_supports_fpsimd() && !in_hardirq() && !irqs_disabled() && !__this_cpu_read('fpsimd_context_busy')
  );
}

// Thread flags (linux/thread_info.h).
const bit = (flag: number) => 1 << flag;

export function test_tsk_thread_flag(t: task_struct, flag: number): boolean {
  probe();
  return (t.flags & bit(flag)) !== 0;
}

export function set_tsk_thread_flag(t: task_struct, flag: number): void {
  probe();
  t.flags |= bit(flag);
}

export function clear_tsk_thread_flag(t: task_struct, flag: number): void {
  probe();
  t.flags &= ~bit(flag);
}

export function test_and_clear_tsk_thread_flag(t: task_struct, flag: number): boolean {
  const was = test_tsk_thread_flag(t, flag);
  t.flags &= ~bit(flag);
  return was;
}

export function test_and_set_tsk_thread_flag(t: task_struct, flag: number): boolean {
  const was = test_tsk_thread_flag(t, flag);
  t.flags |= bit(flag);
  return was;
}

export const test_thread_flag = (flag: number) => test_tsk_thread_flag(current(), flag);
export const set_thread_flag = (flag: number) => set_tsk_thread_flag(current(), flag);
export const clear_thread_flag = (flag: number) => clear_tsk_thread_flag(current(), flag);
export const test_and_clear_thread_flag = (flag: number) => test_and_clear_tsk_thread_flag(current(), flag);
export const test_and_set_thread_flag = (flag: number) => test_and_set_tsk_thread_flag(current(), flag);

/** set_ti_thread_flag(task_thread_info(t), f) and friends reduce to the tsk_ forms here. */
export function task_cpu(t: task_struct): number {
  return t.cpu;
}

// WARN and BUG (asm-generic/bug.h): recorded findings, located by the porting function's name.

/**
 * The innermost ported function among the `frames` innermost stack frames: linux.ts's own helpers
 * and the sysreg accessors (whose files also live under src/v6.x) are passed over.
 */
function portCaller(frames: number): string {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  for (const line of stack.split('\n').slice(1)) {
    if (/\/sysreg\/src\//.test(line)) continue;
    const m = /at (?:[\w$]+\.)?([\w$]+) \(.*\/src\/v6\.[^/]+\/(?!linux\.ts)[^)]*\)/.exec(line);
    if (m) return m[1];
  }
  return 'unknown';
}

/** The ported function that called a WARN, BUG or signal helper. */
function callerName(): string {
  return portCaller(8);
}

/** The ported function that ran the faulting instruction: deeper, past the machine's accessors. */
function oopsSite(): string {
  return portCaller(24);
}

function record(kind: Finding['kind'], where: string, detail: string): Finding {
  const k = b();
  const f: Finding = { kind, where, detail, cpu: k.cpu, pid: pcpu().current.pid };
  k.kernel.findings.push(f);
  return f;
}

export function WARN_ON(cond: boolean): boolean {
  if (cond) record('WARN', callerName(), 'WARN_ON');
  return cond;
}

/** Warns once per site for the life of the world (the kernel's once-flag is per call site). */
export function WARN_ON_ONCE(cond: boolean): boolean {
  if (!cond) return false;
  const where = callerName();
  const k = b().kernel;
  if (!k.findings.some((f) => f.kind === 'WARN' && f.where === where && f.detail === 'WARN_ON_ONCE'))
    record('WARN', where, 'WARN_ON_ONCE');
  return true;
}

export function BUG_ON(cond: boolean): void {
  if (cond) throw new KernelBug(record('BUG', callerName(), 'BUG_ON'));
}

/**
 * A signal the kernel forces on current (force_sig, force_signal_inject): recorded, then queued on
 * the task by the sim (setForcedSignalSink), which sets TIF_SIGPENDING so that the return to user
 * space delivers it.
 */
export function force_sig(sig: number): void {
  forcedSignal(callerName(), sig);
}

/** For the sim: a signal the kernel forces on current from a path the port does not contain. */
export function forcedSignal(where: string, sig: number): void {
  const f = record('signal', where, `signal ${sig}`);
  forcedSignalSink?.(f.pid, sig, where);
}

let forcedSignalSink: ((pid: number, sig: number, where: string) => void) | undefined;

/** The sim's queue for kernel-generated signals (what send_signal does with them). */
export function setForcedSignalSink(
  sink: ((pid: number, sig: number, where: string) => void) | undefined,
): void {
  forcedSignalSink = sink;
}

export function force_signal_inject(sig: number, _code: number, _addr: number, _err: number): void {
  force_sig(sig);
}

export const SIGILL = 4;
export const SIGKILL = 9;
export const SIGSEGV = 11;
export const SI_KERNEL = 0x80;
export const ILL_ILLOPC = 1;

// CPU features (asm/cpufeature.h): fixed by the machine configuration.
export function system_supports_fpsimd(): boolean {
  return b().machine.config.features.fpsimd;
}
export function system_supports_sve(): boolean {
  return b().machine.config.features.sve;
}
export function system_supports_sme(): boolean {
  return b().machine.config.features.sme;
}
export function system_supports_sme2(): boolean {
  return b().machine.config.features.sme2;
}
export function system_supports_fa64(): boolean {
  return b().machine.config.features.fa64;
}
export function has_vhe(): boolean {
  return b().machine.config.features.vhe;
}

/** isb(): the model applies system register writes at once, so a barrier changes nothing. */
export function isb(): void {}

/** For the sim: the CPU the bound code runs on. */
export function boundCpuState() {
  return thisCpu();
}

// Preemption points. A kernel path that can be preempted, or interrupted by a softirq, between two
// statements is a generator; it yields a Point there and the sim decides, from this CPU's
// preempt/softirq/irq state, which events may run before it resumes the path. Functions with no
// point stay plain functions; callers of generator functions use `yield*`.

export interface Point {
  kind: 'point';
  /** Where in the kernel path this is (a short, stable label: part of a state's identity). */
  label: string;
  /**
   * The locals that are still live after this point and not in the world's data, declared where
   * the sim treats the point as an anchor (a place where the rest of the path is a function of the
   * world, the label and these values alone; see packages/sim/src/paths.ts).
   */
  locals?: Readonly<Record<string, number | boolean | null>>;
}

/** The hypervisor entering a guest: the sim resumes the path with the exit (see hyp-switch). */
export interface GuestEntry {
  kind: 'guest';
  vcpuId: number;
}

export type Yielded = Point | GuestEntry;
export type KernelPath<R = void> = Generator<Yielded, R, unknown>;

const points = new Map<string, Point>();

/**
 * A preemption point: `yield* point('do_sve_acc:after sve_alloc')`, or with the live locals
 * declared, `yield* point('kvm_arch_vcpu_ioctl_run:loop top', { ret })`.
 */
export function* point(label: string, locals?: Point['locals']): KernelPath {
  // The function that stops here ran, whether or not it touched a register.
  probe();
  if (locals) {
    yield { kind: 'point', label, locals };
    return;
  }
  let p = points.get(label);
  if (!p) points.set(label, (p = { kind: 'point', label }));
  yield p;
}

/** Runs a path that must not yield (for callers in atomic context); a yield is a port bug. */
export function runAtomic<R>(path: KernelPath<R>): R {
  const r = path.next();
  if (!r.done) throw new Error(`kernel: path yielded at ${JSON.stringify(r.value)} in atomic context`);
  return r.value;
}

// Additions for kernel/fpsimd.c (see its port): configuration switches, flag helpers, errno and
// prctl numbers, signal codes, the allocator and CPU PM notifier constants.

/** Kernel configuration the port is built for: a non-RT arm64 kernel with SVE, SME and EFI. */
export const CONFIG_PREEMPT_RT = false;
export const CONFIG_ARM64_SVE = true;
export const CONFIG_ARM64_SME = true;
export const CONFIG_EFI = true;
export function IS_ENABLED(option: boolean): boolean {
  return option;
}

/** The arm64 default: a CPU number no CPU has, used to say "loaded on no CPU". */
export const NR_CPUS = 256;

/** A compiler barrier: the model runs one statement at a time, so it orders nothing further. */
export function barrier(): void {}

export function update_tsk_thread_flag(t: task_struct, flag: number, value: boolean | number): void {
  if (value) set_tsk_thread_flag(t, flag);
  else clear_tsk_thread_flag(t, flag);
}

export const update_thread_flag = (flag: number, value: boolean | number) =>
  update_tsk_thread_flag(current(), flag, value);

/** The model runs AArch64 tasks only. */
export function is_compat_task(): boolean {
  return false;
}

/** current_pt_regs() (asm/processor.h): the user registers saved at entry of current. */
export function current_pt_regs(): pt_regs {
  return current().regs;
}

/** in_syscall() (asm/ptrace.h): whether the entry that saved these registers was a syscall. */
export function in_syscall(regs: pt_regs): boolean {
  return regs.syscallno !== NO_SYSCALL;
}

/** instruction_pointer() (asm/ptrace.h). */
export function instruction_pointer(regs: pt_regs): number {
  return regs.pc ?? 0;
}

export const EINVAL = 22;

// include/uapi/linux/prctl.h
export const PR_SVE_SET_VL = 50;
export const PR_SVE_SET_VL_ONEXEC = 1 << 18;
export const PR_SVE_GET_VL = 51;
export const PR_SVE_VL_LEN_MASK = 0xffff;
export const PR_SVE_VL_INHERIT = 1 << 17;
export const PR_SME_SET_VL = 63;
export const PR_SME_SET_VL_ONEXEC = 1 << 18;
export const PR_SME_GET_VL = 64;
export const PR_SME_VL_LEN_MASK = 0xffff;
export const PR_SME_VL_INHERIT = 1 << 17;

export const SIGFPE = 8;
// include/uapi/asm-generic/siginfo.h
export const FPE_FLTDIV = 3;
export const FPE_FLTOVF = 4;
export const FPE_FLTUND = 5;
export const FPE_FLTRES = 6;
export const FPE_FLTINV = 7;
export const FPE_FLTUNK = 14;

/** send_sig_fault(): a fault signal for task t, recorded like the forced ones. */
export function send_sig_fault(sig: number, code: number, _addr: number, t: task_struct): void {
  record('signal', callerName(), `signal ${sig} code ${code} to pid ${t.pid}`);
}

/** The allocation flags; only whether an allocation may sleep matters to the model. */
export const GFP_KERNEL = 0xcc0;

/**
 * Whether an allocation succeeds. The kernel says small allocations should not fail; the sim can
 * still make the next few fail (KernelState.allocFailures) to reach the failure branches.
 */
export function kmalloc_succeeds(_flags: number): boolean {
  const k = b().kernel;
  if (k.allocFailures && k.allocFailures > 0) {
    k.allocFailures--;
    return false;
  }
  return true;
}

/** kfree(): memory is reclaimed by the host language; freeing is only a probe point here. */
export function kfree(_p: object | null): void {
  probe();
}

/**
 * A dereference of NULL (or of what a NULL base plus an offset points to): the kernel would oops.
 * Recorded as a fault, then the world stops as for a BUG.
 */
export function null_deref(what: string): never {
  throw new KernelBug(record('fault', callerName(), `NULL dereference: ${what}`));
}

// include/linux/cpu_pm.h and include/linux/notifier.h
export const CPU_PM_ENTER = 0;
export const CPU_PM_ENTER_FAILED = 1;
export const CPU_PM_EXIT = 2;
export const NOTIFY_DONE = 0x0000;
export const NOTIFY_OK = 0x0001;

// The memory model for fpsimd.c's raw pointers and byte counts (not kernel functions). Buffers are
// SveBuffer/SmeBuffer objects with a capacity in vector quanta; byte arithmetic is turned back into
// those terms here. They live in this file so that a finding names the kernel function that made
// the access, not these helpers.

/** A pointer the kernel dereferences: NULL means the kernel would oops here. */
export function deref<T>(p: T | null | undefined, what: string): T {
  if (p === null || p === undefined) return null_deref(what);
  return p;
}

/**
 * `(char *)sve_state + sve_ffr_offset(vl)`: the FFR slot pointer of a layout. The FFR offset is
 * linear in vq, so the vq of the layout is recovered exactly from the byte offset.
 */
export function sve_state_plus(sve_state: SveBuffer | null, ffr_offset: number): SvePffr {
  const buf = deref(sve_state, 'sve_state');
  return { buf, vq: ffr_offset / __SVE_FFR_OFFSET(1) };
}

/** kzalloc(size, flags) of an sve_state buffer: the largest register dump that fits, all zero. */
export function kzalloc_sve_state(size: number, flags: number): SveBuffer | null {
  if (!kmalloc_succeeds(flags)) return null;
  let capacityVq = 0;
  while (SVE_SIG_REGS_SIZE(capacityVq + 1) <= size) capacityVq++;
  return { capacityVq, layoutVq: 0, zlo: ZERO, zhi: ZERO, p: ZERO, ffr: ZERO };
}

/** kzalloc(size, flags) of an sme_state buffer: the largest ZA (plus ZT0 with SME2) that fits. */
export function kzalloc_sme_state(size: number, flags: number): SmeBuffer | null {
  if (!kmalloc_succeeds(flags)) return null;
  const zt = system_supports_sme2() ? ZT_SIG_REG_SIZE : 0;
  let capacityVq = 0;
  while (ZA_SIG_REGS_SIZE(capacityVq + 1) + zt <= size) capacityVq++;
  return { capacityVq, layoutVq: 0, za: ZERO, zt0: ZERO };
}

/** memset(sve_state, 0, size): zero contents (any layout); writing past the buffer is a fault. */
export function memset_sve_state(sst: SveBuffer | null, c: 0, size: number): void {
  const buf = deref(sst, 'sve_state');
  if (size > SVE_SIG_REGS_SIZE(buf.capacityVq))
    machineFault('overflow', `memset of ${size} bytes over an sve_state of vq ${buf.capacityVq}`);
  buf.zlo = buf.zhi = buf.p = buf.ffr = c;
  buf.layoutVq = 0;
}

/** memset(sme_state, 0, size), as memset_sve_state. */
export function memset_sme_state(sst: SmeBuffer | null, c: 0, size: number): void {
  const buf = deref(sst, 'sme_state');
  const zt = system_supports_sme2() ? ZT_SIG_REG_SIZE : 0;
  if (size > ZA_SIG_REGS_SIZE(buf.capacityVq) + zt)
    machineFault('overflow', `memset of ${size} bytes over an sme_state of vq ${buf.capacityVq}`);
  buf.za = buf.zt0 = c;
  buf.layoutVq = 0;
}
