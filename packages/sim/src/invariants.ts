// The invariants checked after every event, each named with the reason it must hold.

import { formatVal, SmeBuffer, SveBuffer, Val, writerOf, ZERO } from '@kvmfp/machine';
import { TIF_FOREIGN_FPSTATE } from '@kvmfp/fpsimd';
import { allows, getAllowed } from './view.js';
import type { World } from './world.js';

export interface Invariant {
  name: string;
  why: string;
  check(w: World, report: (detail: string) => void): void;
}

function isHostWriter(w: World, v: Val): boolean {
  const wr = writerOf(v);
  return wr >= 1 && wr <= w.users.length;
}

function isGuestWriter(w: World, v: Val): boolean {
  const wr = writerOf(v);
  return wr > w.users.length && wr <= w.users.length + w.guests.length;
}

function bufferValues(b: SveBuffer | SmeBuffer | null): Val[] {
  if (!b) return [];
  return 'zlo' in b ? [b.zlo, b.zhi, b.p, b.ffr] : [b.za, b.zt0];
}

/** Reports a value of task `comm`'s FP state if a guest wrote it. */
function reportGuestValue(w: World, comm: string, v: Val, report: (detail: string) => void): void {
  if (isGuestWriter(w, v)) report(`task ${comm} holds guest value ${formatVal(v, w.writers)}`);
}

/** The banks a task in user space must see as it wrote them, without and with PSTATE.ZA. */
const BANKS_ZA_OFF = ['V', 'FPSR'] as const;
const BANKS_ZA_ON = ['V', 'FPSR', 'ZA'] as const;

export const INVARIANTS: Invariant[] = [
  {
    name: 'user-sees-own-registers',
    why: 'a task in user space sees the V registers, FPSR, PSTATE.SM/ZA and ZA it last wrote, except where a named ABI rule allows a change',
    check(w, report) {
      w.kernel.percpu.forEach((p, cpu) => {
        const u = w.users.find((x) => x.pid === p.current.pid);
        if (!u || u.mode !== 'user') return;
        const c = w.machine.cpus[cpu];
        const sm = (c.sys.svcr & 1) !== 0;
        const za = (c.sys.svcr & 2) !== 0;
        if (sm !== u.view.sm || za !== u.view.za)
          report(
            `${u.name} on CPU ${cpu}: PSTATE.SM/ZA = ${+sm}/${+za}, expected ${+u.view.sm}/${+u.view.za}`,
          );
        const banks = za ? BANKS_ZA_ON : BANKS_ZA_OFF;
        for (const b of banks)
          if (!allows(getAllowed(u.view, b), c.regs[b]))
            report(`${u.name} on CPU ${cpu}: ${b} = ${formatVal(c.regs[b], w.writers)}`);
      });
    },
  },
  {
    name: 'user-state-loaded',
    why: 'a task running in user space has its own FP state in the registers, so TIF_FOREIGN_FPSTATE is clear',
    check(w, report) {
      w.kernel.percpu.forEach((p, cpu) => {
        const u = w.users.find((x) => x.pid === p.current.pid);
        if (u?.mode === 'user' && p.current.flags & (1 << TIF_FOREIGN_FPSTATE))
          report(`${u.name} runs in user space on CPU ${cpu} with TIF_FOREIGN_FPSTATE set`);
      });
    },
  },
  {
    name: 'no-warn-or-bug',
    why: 'a WARN or BUG in this code means the kernel found its own bookkeeping inconsistent',
    check(w, report) {
      for (const f of w.kernel.findings)
        if (f.kind === 'WARN' || f.kind === 'BUG')
          report(`${f.kind} in ${f.where} (${f.detail}) on CPU ${f.cpu}`);
    },
  },
  {
    name: 'no-memory-fault',
    why: 'a save or load beyond a buffer, or an SME access with ZA off in the kernel, corrupts memory or traps',
    check(w, report) {
      for (const f of w.kernel.findings) if (f.kind === 'fault') report(`${f.where}: ${f.detail}`);
    },
  },
  {
    name: 'guest-without-host-sm-za',
    why: 'a guest must never run with the host PSTATE.SM or PSTATE.ZA still set (the series commit message)',
    check(w, report) {
      w.machine.cpus.forEach((c, cpu) => {
        if (c.world === 'guest' && (c.sys.svcr & 3) !== 0)
          report(`CPU ${cpu} runs a guest with SVCR = ${c.sys.svcr}`);
      });
    },
  },
  {
    name: 'host-guest-separation',
    why: 'no host value is ever written into guest storage, nor a guest value into a task',
    check(w, report) {
      for (const t of w.kernel.tasks) {
        // V, then the SVE and SME buffers' values, in the order the reports list them.
        reportGuestValue(w, t.comm, t.thread.uw.fpsimd_state.vregs, report);
        for (const v of bufferValues(t.thread.sve_state)) reportGuestValue(w, t.comm, v, report);
        for (const v of bufferValues(t.thread.sme_state)) reportGuestValue(w, t.comm, v, report);
      }
      for (const v of w.kvm.vcpus as {
        arch?: { ctxt?: { fp_regs?: { vregs: Val } }; sve_state?: SveBuffer | null };
      }[]) {
        const vals = [v.arch?.ctxt?.fp_regs?.vregs ?? ZERO, ...bufferValues(v.arch?.sve_state ?? null)];
        for (const x of vals)
          if (isHostWriter(w, x)) report(`a vcpu holds host value ${formatVal(x, w.writers)}`);
      }
    },
  },
  {
    name: 'kernel-signal-granted',
    why: 'a signal the kernel generates itself (SIGILL from the access traps, SIGKILL from force_signal_inject, ...) must be one the ABI grants for the instruction the program ran (rules.ts SIGNAL_GRANTS, citing sve.rst and sme.rst)',
    check(w, report) {
      for (const u of w.users)
        for (const k of u.kernelSignals)
          if (k.granted === null)
            report(`${u.name} gets signal ${k.sig} from ${k.where}${k.op ? ` for ${k.op}` : ''}`);
    },
  },
];

/** Checks every invariant and records each new violation once. */
export function checkInvariants(w: World): void {
  checkedWorld = w;
  for (const inv of INVARIANTS) {
    checking = inv;
    inv.check(w, reportViolation);
  }
}

// The invariant being checked and its world (checks run one at a time), read by reportViolation:
// one reporter for every check instead of a closure per invariant per event.
let checking: Invariant;
let checkedWorld: World;

function reportViolation(detail: string): void {
  const w = checkedWorld;
  if (!w.violations.some((v) => v.invariant === checking.name && v.detail === detail))
    w.violations.push({ invariant: checking.name, detail, step: w.step });
}
