// The user-ABI exceptions: every place where the documented ABI lets the kernel change what a
// program observes. Each rule cites the section of Documentation/arm64/sve.rst or sme.rst (v6.4)
// that grants it; the invariants allow nothing that is not listed here.

import { FPSR_RESET, type Val, ZERO } from '@kvmfp/machine';
import type { Features } from '@kvmfp/machine';
import { implemented } from './exec.js';
import type { UserOpKind } from './world.js';
import type { View } from './view.js';
import { freshView, setAllowed, setBank, widen } from './view.js';

export interface AbiRule {
  name: string;
  cites: string;
  grants: string;
  apply(view: View): void;
}

const zeroExtendSve = (v: View) => {
  widen(v, 'Zhi', [ZERO]);
  widen(v, 'P', [ZERO]);
  widen(v, 'FFR', [ZERO]);
};

export const RULES = {
  syscallSveDiscard: {
    name: 'syscall-sve-discard',
    cites: 'Documentation/arm64/sve.rst section 3 (System call behaviour)',
    grants: 'Z bits above 128, P0-P15 and FFR may be preserved or zeroed by any syscall; V0-V31 are kept',
    apply: zeroExtendSve,
  },
  syscallLeavesStreaming: {
    name: 'syscall-clears-sm',
    cites:
      'Documentation/arm64/sme.rst section 4 (System call behaviour) with section 3 (a mode switch by a software interface without register content zeroes the SVE state)',
    grants:
      'a syscall made in streaming mode clears PSTATE.SM and leaves Z (V included), P and FFR zero; FPSR may take its reset value',
    apply: (v: View) => {
      v.sm = false;
      setBank(v, 'V', ZERO);
      setBank(v, 'Zhi', ZERO);
      setBank(v, 'P', ZERO);
      setBank(v, 'FFR', ZERO);
      widen(v, 'FPSR', [FPSR_RESET]);
    },
  },
  signalHandlerEntry: {
    name: 'signal-handler-sm-za-off',
    cites: 'Documentation/arm64/sme.rst section 5 (Signal handling)',
    grants: 'a signal handler starts with PSTATE.SM and PSTATE.ZA clear',
    apply: (v: View) => {
      v.sm = false;
      v.za = false;
      setAllowed(v, 'ZA', 'any');
      setAllowed(v, 'ZT0', 'any');
    },
  },
  vlChange: {
    name: 'vl-change-discards',
    cites:
      'Documentation/arm64/sve.rst section 6 (prctl extensions, PR_SVE_SET_VL); section 7 makes a ptrace VL change equivalent',
    grants: 'changing the SVE vector length makes the Z bits above 128, P and FFR unspecified; V is kept',
    apply: (v: View) => {
      setAllowed(v, 'Zhi', 'any');
      setAllowed(v, 'P', 'any');
      setAllowed(v, 'FFR', 'any');
    },
  },
  smeVlChange: {
    name: 'sme-vl-change-discards',
    cites:
      'Documentation/arm64/sme.rst section 6 (prctl extensions, PR_SME_SET_VL); section 7 makes a ptrace VL change equivalent',
    grants:
      'changing the SME vector length makes ZA, ZTn, the Z bits above 128, P and FFR unspecified and clears PSTATE.SM and PSTATE.ZA; V is kept',
    apply: (v: View) => {
      setAllowed(v, 'Zhi', 'any');
      setAllowed(v, 'P', 'any');
      setAllowed(v, 'FFR', 'any');
      setAllowed(v, 'ZA', 'any');
      setAllowed(v, 'ZT0', 'any');
      v.sm = false;
      v.za = false;
    },
  },
  smstopZaUnspecified: {
    name: 'za-off-contents-gone',
    cites: 'Documentation/arm64/sme.rst section 1 (General: ZA contents only exist while PSTATE.ZA is set)',
    grants: 'with PSTATE.ZA clear, ZA and ZT0 hold nothing the program can read',
    apply: (v: View) => {
      setAllowed(v, 'ZA', 'any');
      setAllowed(v, 'ZT0', 'any');
    },
  },
  streamingFpsrReset: {
    name: 'sm-change-resets',
    cites:
      'Documentation/arm64/sme.rst section 1 (entering or leaving streaming mode resets the SVE registers, as the architecture does)',
    grants: 'SMSTART/SMSTOP of SM zero Z, P and FFR and reset FPSR',
    apply: (v: View) => {
      setBank(v, 'V', ZERO);
      setBank(v, 'Zhi', ZERO);
      setBank(v, 'P', ZERO);
      setBank(v, 'FFR', ZERO);
      setBank(v, 'FPSR', FPSR_RESET);
    },
  },
  signalHandlerLeavesStreaming: {
    name: 'signal-handler-leaves-streaming',
    cites:
      'Documentation/arm64/sme.rst section 5 (Signal handling: handlers run with streaming mode off) with Appendix A.1 (leaving streaming mode may keep or clear the shared register bits)',
    grants:
      'a handler for a signal that interrupted streaming mode may see Z (V included), P and FFR either kept or zero, and any FPSR',
    apply: (v: View) => {
      widen(v, 'V', [ZERO]);
      widen(v, 'Zhi', [ZERO]);
      widen(v, 'P', [ZERO]);
      widen(v, 'FFR', [ZERO]);
      setAllowed(v, 'FPSR', 'any');
    },
  },
  sigreturnRestores: {
    name: 'sigreturn-restores-frame',
    cites: 'Documentation/arm64/sve.rst section 5 (Signal return) and sme.rst section 5 (Signal return)',
    grants:
      'sigreturn replaces the registers with the frame: V and FPSR from fpsimd_context, the other SVE bits from sve_context (unspecified when it is missing or holds no register data), PSTATE.SM from its SM flag, ZA and ZTn from their records (ZA off when the ZA record is missing or holds no data; ZTn unspecified when its record is missing)',
    apply: (v: View, f?: FrameFacts) => {
      if (!f) return;
      v.slots = [...f.saved.slots];
      if (!f.sveData) {
        setAllowed(v, 'Zhi', 'any');
        setAllowed(v, 'P', 'any');
        setAllowed(v, 'FFR', 'any');
      }
      v.sm = f.sm;
      v.za = f.za;
      if (!f.za) {
        setAllowed(v, 'ZA', 'any');
        setAllowed(v, 'ZT0', 'any');
      }
      if (f.vregs !== undefined) setBank(v, 'V', f.vregs);
      if (f.zaVal !== undefined) setBank(v, 'ZA', f.zaVal);
      if (f.za && f.ztDropped) setAllowed(v, 'ZT0', 'any');
      if (f.za && f.ztVal !== undefined) setBank(v, 'ZT0', f.ztVal);
    },
  },
  forkChild: {
    name: 'fork-child-copy',
    cites:
      'Documentation/arm64/sme.rst section 4 (System call behaviour: the new process of a clone() has PSTATE.SM cleared; PSTATE.ZA, ZA and ZTn are kept by a syscall) and sve.rst section 3 (parent and child share the SVE configuration; the SVE bits beyond V as for any syscall)',
    grants:
      'a new child sees what its parent could see on return from the clone syscall, with PSTATE.SM clear',
    apply: (v: View, parent?: View) => {
      if (!parent) return;
      v.slots = [...parent.slots];
      v.sm = false;
      v.za = parent.za;
    },
  },
  execNewProgram: {
    name: 'exec-new-program',
    cites:
      'Documentation/arm64/sve.rst section 9 and sme.rst section 9 (at execve() the vector lengths become the default or the deferred ones; the old image is gone)',
    grants:
      'after exec the new program has written nothing: it may see only zero registers, PSTATE.SM and PSTATE.ZA clear',
    apply: (v: View) => {
      const fresh = freshView();
      v.slots = fresh.slots;
      v.sm = false;
      v.za = false;
    },
  },
  ptraceFprWrite: {
    name: 'ptrace-fpr-write',
    cites:
      'Documentation/arm64/sve.rst section 7 (ptrace extensions: an FPSIMD payload makes the SVE registers non-live)',
    grants:
      'a tracer writing NT_PRFPREG sets V and FPSR/FPCR; the Z bits above 128, P and FFR become unspecified',
    apply: (v: View, w?: { V: Val; FPSR: Val }) => {
      if (!w) return;
      setBank(v, 'V', w.V);
      setBank(v, 'FPSR', w.FPSR);
      setAllowed(v, 'Zhi', 'any');
      setAllowed(v, 'P', 'any');
      setAllowed(v, 'FFR', 'any');
    },
  },
  ptraceSveWrite: {
    name: 'ptrace-sve-write',
    cites:
      'Documentation/arm64/sve.rst section 7 (ptrace extensions: NT_ARM_SVE writes leave streaming mode, NT_ARM_SSVE writes enter it; an SVE payload makes the registers live with its data, an FPSIMD payload makes them non-live) and sme.rst section 3 (a mode switch by ptrace without register content zeroes the SVE state)',
    grants:
      "after a tracer writes NT_ARM_SVE or NT_ARM_SSVE the target is in that regset's mode with the written Z, P, FFR and FPSR; with only V and FPSR written the rest is unspecified; a mode switch with nothing written leaves the SVE registers zero",
    apply: (v: View, w?: PtraceSveWrite) => {
      if (!w) return;
      const switched = v.sm !== w.streaming;
      v.sm = w.streaming;
      if (w.regs) {
        setBank(v, 'V', w.regs.V);
        setBank(v, 'Zhi', w.regs.Zhi);
        setBank(v, 'P', w.regs.P);
        setBank(v, 'FFR', w.regs.FFR);
        setBank(v, 'FPSR', w.regs.FPSR);
      } else if (w.fpsimd) {
        setBank(v, 'V', w.fpsimd.V);
        setBank(v, 'FPSR', w.fpsimd.FPSR);
        setAllowed(v, 'Zhi', 'any');
        setAllowed(v, 'P', 'any');
        setAllowed(v, 'FFR', 'any');
      } else if (switched) {
        setBank(v, 'V', ZERO);
        setBank(v, 'Zhi', ZERO);
        setBank(v, 'P', ZERO);
        setBank(v, 'FFR', ZERO);
      }
    },
  },
  ptraceZaWrite: {
    name: 'ptrace-za-write',
    cites:
      'Documentation/arm64/sme.rst section 7 (ptrace extensions: an NT_ARM_ZA payload sets PSTATE.ZA, none clears it) with Appendix A.1 (turning ZA on clears it)',
    grants:
      'after a tracer writes NT_ARM_ZA with data the target has PSTATE.ZA set and that ZA (ZTn zero if ZA was off, otherwise not specified); without data PSTATE.ZA is clear',
    apply: (v: View, za?: Val | null) => {
      if (za === undefined) return;
      if (za === null) {
        v.za = false;
        setAllowed(v, 'ZA', 'any');
        setAllowed(v, 'ZT0', 'any');
        return;
      }
      if (v.za) setAllowed(v, 'ZT0', 'any');
      else setBank(v, 'ZT0', ZERO);
      v.za = true;
      setBank(v, 'ZA', za);
    },
  },
  ptraceZtWrite: {
    name: 'ptrace-zt-write',
    cites:
      'Documentation/arm64/sme.rst section 7 (ptrace extensions: writes to NT_ARM_ZT set PSTATE.ZA) with Appendix A.1 (turning ZA on clears it)',
    grants:
      'after a tracer writes NT_ARM_ZT the target has PSTATE.ZA set and that ZT0; ZA is zero if it was off',
    apply: (v: View, zt?: Val) => {
      if (zt === undefined) return;
      if (!v.za) setBank(v, 'ZA', ZERO);
      v.za = true;
      setBank(v, 'ZT0', zt);
    },
  },
} satisfies Record<string, AbiRule>;

/**
 * What the architecture lets a guest observe change (a guest's ABI is the Arm ARM, not the user
 * ABI documents): each rule cites the Arm ARM behaviour it follows.
 */
export const GUEST_RULES = {
  guestVlChange: {
    name: 'guest-vl-change',
    cites: 'Arm ARM, changing ZCR_EL1.LEN: bits of Z, P and FFR that become accessible are UNKNOWN',
    grants: 'after the guest changes its own vector length, the Z bits above 128, P and FFR are unspecified',
    apply: (v: View) => {
      setAllowed(v, 'Zhi', 'any');
      setAllowed(v, 'P', 'any');
      setAllowed(v, 'FFR', 'any');
    },
  },
} satisfies Record<string, AbiRule>;

/** What a signal frame holds at sigreturn (read from the task's own memory) and what it replaces. */
export interface FrameFacts {
  /** The view of the program when the signal arrived. */
  saved: View;
  /** The SVE record holds register data. */
  sveData: boolean;
  /** The SVE record's SM flag. */
  sm: boolean;
  /** The ZA record holds data. */
  za: boolean;
  /** A V value the handler wrote into fpsimd_context, if it wrote one. */
  vregs?: Val;
  /** A ZA value the handler wrote into za_context, if it wrote one. */
  zaVal?: Val;
  /** A ZT0 value the handler wrote into the ZT record, if it wrote one. */
  ztVal?: Val;
  /** The handler removed the ZT record: ZT0 is unspecified after the return. */
  ztDropped?: boolean;
}

/** What a tracer wrote with NT_ARM_SVE / NT_ARM_SSVE. */
export interface PtraceSveWrite {
  streaming: boolean;
  regs?: { V: Val; Zhi: Val; P: Val; FFR: Val; FPSR: Val };
  fpsimd?: { V: Val; FPSR: Val };
}

export type RuleName = keyof typeof RULES;

/** What a kernel-generated signal is judged on (see SIGNAL_GRANTS). */
export interface SignalContext {
  sig: number;
  where: string;
  op: UserOpKind | null;
  features: Features;
  /** PSTATE.SM and PSTATE.ZA as the program had them when it ran the instruction. */
  sm: boolean;
  za: boolean;
}

export interface SignalGrant {
  name: string;
  cites: string;
  grants: string;
  allows(c: SignalContext): boolean;
}

const SIGILL = 4;
const SIGSEGV = 11;

/**
 * The kernel-generated signals the ABI lets a program receive for what it ran; the invariant
 * kernel-signal-granted flags every other one (a SIGKILL from fpsimd_save, a SIGILL for an
 * instruction the program may use, ...).
 */
export const SIGNAL_GRANTS: SignalGrant[] = [
  {
    name: 'sigill-insn-not-implemented',
    cites:
      'Documentation/arm64/sve.rst section 1 and sme.rst section 1 (SVE, SME and SME2 instructions are present only where HWCAP_SVE, HWCAP2_SME, HWCAP2_SME2 say so; without SVE only streaming SVE exists)',
    grants: 'SIGILL for an instruction of an extension the system does not have (UNDEFINED)',
    allows: (c) => c.sig === SIGILL && c.op !== null && !implemented(c.features, c.op, c.sm),
  },
  {
    name: 'sigill-za-insn-with-za-off',
    cites:
      'Documentation/arm64/sme.rst section 1 (ZA and ZTn exist for a program only while PSTATE.ZA is set) with the SME trap of CheckSMEAndZAEnabled',
    grants: 'SIGILL for a ZA or ZT0 instruction run with PSTATE.ZA clear',
    allows: (c) => c.sig === SIGILL && (c.op === 'za' || c.op === 'zt0') && !c.za,
  },
  {
    name: 'sigill-fpsimd-in-streaming-mode',
    cites:
      'Documentation/arm64/sme.rst section 1 (the full A64 instruction set in streaming mode only with HWCAP2_SME_FA64) with CheckFPAdvSIMDEnabled64 (AdvSIMD in streaming mode without FA64 is an SME trap)',
    grants: 'SIGILL for an FPSIMD instruction run in streaming mode on a system without FA64',
    allows: (c) => c.sig === SIGILL && c.op === 'fpsimd' && c.sm && !c.features.fa64,
  },
  {
    name: 'sigsegv-bad-signal-frame',
    cites: 'Documentation/arm64/sve.rst section 5 and sme.rst section 5 (Signal return)',
    grants:
      'SIGSEGV from rt_sigreturn for a frame it cannot restore (whether the frame was bad is judged by sigreturn-rejects-bad-frame and no-unexpected-user-signal)',
    allows: (c) => c.sig === SIGSEGV && c.op === null && /sigreturn|sigframe|segfault/.test(c.where),
  },
];

/** The grant that allows this kernel-generated signal, or null. */
export function signalGrant(c: SignalContext): string | null {
  return SIGNAL_GRANTS.find((g) => g.allows(c))?.name ?? null;
}
