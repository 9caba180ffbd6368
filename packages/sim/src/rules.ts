// The user-ABI exceptions: every place where the documented ABI lets the kernel change what a
// program observes. Each rule cites the section of Documentation/arm64/sve.rst or sme.rst (v6.4)
// that grants it; the invariants allow nothing that is not listed here.

import { FPSR_RESET, ZERO } from '@kvmfp/machine';
import type { View } from './view.js';
import { setAllowed, setBank, widen } from './view.js';

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
    cites: 'Documentation/arm64/sve.rst section 6 (prctl, PR_SVE_SET_VL) and sme.rst section 7',
    grants:
      'changing a vector length makes the Z bits above 128, P and FFR unspecified; an SME VL change clears PSTATE.SM and PSTATE.ZA',
    apply: (v: View) => {
      setAllowed(v, 'Zhi', 'any');
      setAllowed(v, 'P', 'any');
      setAllowed(v, 'FFR', 'any');
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
} satisfies Record<string, AbiRule>;

export type RuleName = keyof typeof RULES;
