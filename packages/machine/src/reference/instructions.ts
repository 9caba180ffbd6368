// SPDX-License-Identifier: GPL-2.0-only
//
// Test-only: the instruction side of the reference. For each InsnClass, one representative
// instruction's decode gate and the check calls its execute function starts with, as in the Sail
// instruction files (instrs64.sail, instrs64_sve.sail, instrs64_sme.sail), and for MRS/MSR the
// register's accessibility pseudocode from the Arm ARM register descriptions ("Accessing SVCR",
// "Accessing ZCR_EL1", ...), as if/elsif chains in the text's order. MRS and MSR of each of these
// registers have the same trap steps in the text, so one function serves both.

import type { InsnClass, TrapContext, TrapOutcome } from '../traps.js';
import {
  AArch64SystemAccessTrap,
  AArch64UndefinedFault,
  CheckFPAdvSIMDEnabled64,
  CheckFPEnabled64,
  CheckNonStreamingSVEEnabled,
  CheckSMEAccess,
  CheckSMEAndZAEnabled,
  CheckSMEEnabled,
  CheckSMEZT0Enabled,
  CheckStreamingSVEAndZAEnabled,
  CheckStreamingSVEEnabled,
  CheckSVEEnabled,
  CPACR_EL1,
  CPTR_EL2,
  EL0,
  EL1,
  EL2,
  EL2Enabled,
  ELIsInHost,
  ExceptionTaken,
  Field,
  HaveSME,
  HaveSME2,
  HaveSVE,
  HCR_EL2,
  type PeState,
} from './pseudocode.js';

// ---- Instructions (decode gate, then the execute function's first checks) ------------------------

/** FADD <Sd>, <Sn>, <Sm>: execute_aarch64_instrs_float_arithmetic_add_sub. */
function FaddScalar(s: PeState): void {
  CheckFPEnabled64(s);
}

/** ADD <Vd>.4S, ...: vector AdvSIMD, CheckFPAdvSIMDEnabled64. */
function AddVector(s: PeState): void {
  CheckFPAdvSIMDEnabled64(s);
}

/** FADDA: decode_FADDA_V_P_Z__ (needs HaveSVE()), execute_FADDA_V_P_Z__. */
function Fadda(s: PeState): void {
  if (!HaveSVE(s)) AArch64UndefinedFault(s);
  CheckNonStreamingSVEEnabled(s);
}

/** ADD <Zd>.<T>, <Zn>.<T>, <Zm>.<T>: decode_ADD_Z_ZZ__ (HaveSVE() or HaveSME()), execute_ADD_Z_ZZ__. */
function AddZ(s: PeState): void {
  if (!HaveSVE(s) && !HaveSME(s)) AArch64UndefinedFault(s);
  CheckSVEEnabled(s);
}

/** SQCVT <Zd>.H, {<Zn1>.S-<Zn2>.S}: decode_SQCVT_Z_MZ2__ (HaveSME2()), CheckStreamingSVEEnabled. */
function SqcvtMulti(s: PeState): void {
  if (!HaveSME2(s)) AArch64UndefinedFault(s);
  CheckStreamingSVEEnabled(s);
}

/** FMOPA (32-bit): decode_FMOPA_ZA_PP_ZZ_32 (HaveSME()), CheckStreamingSVEAndZAEnabled. */
function Fmopa(s: PeState): void {
  if (!HaveSME(s)) AArch64UndefinedFault(s);
  CheckStreamingSVEAndZAEnabled(s);
}

/** LDR ZA[<Wv>, <offs>], [<Xn>]: decode_LDR_ZA_RI__ (HaveSME()), CheckSMEAndZAEnabled. */
function LdrZa(s: PeState): void {
  if (!HaveSME(s)) AArch64UndefinedFault(s);
  CheckSMEAndZAEnabled(s);
}

/** LDR ZT0, [<Xn>]: decode_LDR_ZT_BR__ (HaveSME2()), CheckSMEEnabled then CheckSMEZT0Enabled. */
function LdrZt0(s: PeState): void {
  if (!HaveSME2(s)) AArch64UndefinedFault(s);
  CheckSMEEnabled(s);
  CheckSMEZT0Enabled(s);
}

/** LUTI2 <Zd>, ZT0, <Zn>[<index>]: decode_LUTI2_Z_ZTZ__ (HaveSME2()), CheckStreamingSVEEnabled then CheckSMEZT0Enabled. */
function Luti2(s: PeState): void {
  if (!HaveSME2(s)) AArch64UndefinedFault(s);
  CheckStreamingSVEEnabled(s);
  CheckSMEZT0Enabled(s);
}

/** RDSVL <Xd>, #<imm>: decode_RDSVL_R_I__ (HaveSME()), CheckSMEEnabled. */
function Rdsvl(s: PeState): void {
  if (!HaveSME(s)) AArch64UndefinedFault(s);
  CheckSMEEnabled(s);
}

/**
 * MSR SVCRSM|SVCRZA|SVCRSMZA, #imm: decode_msr_imm_aarch64_instrs_system_register_cpsr (the
 * SVCR fields need HaveSME()), execute_aarch64_instrs_system_register_cpsr (CheckSMEAccess()).
 */
function MsrSvcrImm(s: PeState): void {
  if (!HaveSME(s)) AArch64UndefinedFault(s);
  CheckSMEAccess(s);
}

// ---- System register accessors (Arm ARM "Accessing <reg>"), no EL3, no NV ------------------------

const x0 = (v: number): boolean => (v & 1) === 0;

/** MRS/MSR SVCR. */
function AccessSVCR(s: PeState): void {
  if (!HaveSME(s)) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL0) {
    if (!ELIsInHost(s, EL0) && Field(s.CPACR_EL1, CPACR_EL1.SMEN) !== 0b11) {
      if (EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.TGE) === 1) {
        AArch64SystemAccessTrap(s, EL2, 0x1d);
      } else {
        AArch64SystemAccessTrap(s, EL1, 0x1d);
      }
    } else if (ELIsInHost(s, EL0) && Field(s.CPTR_EL2, CPTR_EL2.SMEN) !== 0b11) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.SMEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (EL2Enabled(s) && !ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    }
  } else if (s.PSTATE.EL === EL1) {
    if (x0(Field(s.CPACR_EL1, CPACR_EL1.SMEN))) {
      AArch64SystemAccessTrap(s, EL1, 0x1d);
    } else if (EL2Enabled(s) && !ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.SMEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    }
  } else if (s.PSTATE.EL === EL2) {
    if (!ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.SMEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    }
  }
}

/** MRS/MSR ZCR_EL1 (at EL2 with E2H == 1 the access goes to ZCR_EL2; the checks are the same). */
function AccessZCREL1(s: PeState): void {
  if (!HaveSVE(s)) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL0) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL1) {
    if (x0(Field(s.CPACR_EL1, CPACR_EL1.ZEN))) {
      AArch64SystemAccessTrap(s, EL1, 0x19);
    } else if (EL2Enabled(s) && !ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TZ) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x19);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.ZEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x19);
    }
  } else if (s.PSTATE.EL === EL2) {
    if (!ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TZ) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x19);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.ZEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x19);
    }
  }
}

/** MRS/MSR SMCR_EL1 (at EL2 with E2H == 1 the access goes to SMCR_EL2; the checks are the same). */
function AccessSMCREL1(s: PeState): void {
  if (!HaveSME(s)) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL0) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL1) {
    if (x0(Field(s.CPACR_EL1, CPACR_EL1.SMEN))) {
      AArch64SystemAccessTrap(s, EL1, 0x1d);
    } else if (EL2Enabled(s) && !ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.SMEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    }
  } else if (s.PSTATE.EL === EL2) {
    if (!ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.SMEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    }
  }
}

/** MRS/MSR ZCR_EL2 (EL1 access is UNDEFINED without FEAT_NV). */
function AccessZCREL2(s: PeState): void {
  if (!HaveSVE(s)) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL0) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL1) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL2) {
    if (!ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TZ) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x19);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.ZEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x19);
    }
  }
}

/** MRS/MSR SMCR_EL2 (EL1 access is UNDEFINED without FEAT_NV). */
function AccessSMCREL2(s: PeState): void {
  if (!HaveSME(s)) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL0) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL1) {
    AArch64UndefinedFault(s);
  } else if (s.PSTATE.EL === EL2) {
    if (!ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.SMEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x1d);
    }
  }
}

/** MRS/MSR FPCR (FPSR has the same text). */
function AccessFPCR(s: PeState): void {
  if (s.PSTATE.EL === EL0) {
    if (!ELIsInHost(s, EL0) && Field(s.CPACR_EL1, CPACR_EL1.FPEN) !== 0b11) {
      if (EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.TGE) === 1) {
        AArch64SystemAccessTrap(s, EL2, 0x00);
      } else {
        AArch64SystemAccessTrap(s, EL1, 0x07);
      }
    } else if (ELIsInHost(s, EL0) && Field(s.CPTR_EL2, CPTR_EL2.FPEN) !== 0b11) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.FPEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    } else if (EL2Enabled(s) && !ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TFP) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    }
  } else if (s.PSTATE.EL === EL1) {
    if (x0(Field(s.CPACR_EL1, CPACR_EL1.FPEN))) {
      AArch64SystemAccessTrap(s, EL1, 0x07);
    } else if (EL2Enabled(s) && !ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TFP) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.FPEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    }
  } else if (s.PSTATE.EL === EL2) {
    if (!ELIsInHost(s, EL2) && Field(s.CPTR_EL2, CPTR_EL2.TFP) === 1) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    } else if (ELIsInHost(s, EL2) && x0(Field(s.CPTR_EL2, CPTR_EL2.FPEN))) {
      AArch64SystemAccessTrap(s, EL2, 0x07);
    }
  }
}

/** The representative instruction or accessor of each class. */
export const REFERENCE_INSTRUCTIONS: Record<InsnClass, (s: PeState) => void> = {
  fp: FaddScalar,
  advsimd: AddVector,
  sve: Fadda,
  ssve: AddZ,
  sme2_streaming: SqcvtMulti,
  sme_za: Fmopa,
  sme_za_ldst: LdrZa,
  sme_zt0: LdrZt0,
  sme_lut: Luti2,
  rdsvl: Rdsvl,
  smstart: MsrSvcrImm,
  smstart_sm: MsrSvcrImm,
  smstart_za: MsrSvcrImm,
  smstop: MsrSvcrImm,
  smstop_sm: MsrSvcrImm,
  smstop_za: MsrSvcrImm,
  mrs_svcr: AccessSVCR,
  msr_svcr: AccessSVCR,
  mrs_zcr_el1: AccessZCREL1,
  msr_zcr_el1: AccessZCREL1,
  mrs_smcr_el1: AccessSMCREL1,
  msr_smcr_el1: AccessSMCREL1,
  mrs_zcr_el2: AccessZCREL2,
  msr_zcr_el2: AccessZCREL2,
  mrs_smcr_el2: AccessSMCREL2,
  msr_smcr_el2: AccessSMCREL2,
  mrs_fpcr: AccessFPCR,
  msr_fpcr: AccessFPCR,
};

/** The reference state for a TrapContext (PSTATE.SM/ZA exist only with FEAT_SME). */
export function stateOf(ctx: TrapContext): PeState {
  const sme = ctx.features.sme;
  return {
    PSTATE: { EL: ctx.el, SM: sme ? ctx.svcr & 1 : 0, ZA: sme ? (ctx.svcr >> 1) & 1 : 0 },
    HCR_EL2: ctx.hcr_el2,
    CPACR_EL1: ctx.cpacr_el1,
    CPTR_EL2: ctx.cptr_el2,
    SMCR_EL1: ctx.smcr_el1,
    SMCR_EL2: ctx.smcr_el2,
    FEAT: { SVE: ctx.features.sve, SME: sme, SME2: ctx.features.sme2, SME_FA64: ctx.features.fa64 },
  };
}

/** Runs the class's instruction on the reference and reports what happened. */
export function referenceOutcome(cls: InsnClass, ctx: TrapContext): TrapOutcome {
  const s = stateOf(ctx);
  try {
    REFERENCE_INSTRUCTIONS[cls](s);
  } catch (e) {
    if (!(e instanceof ExceptionTaken)) throw e;
    const el = e.targetEl as 1 | 2;
    if (e.ec === 0) return { kind: 'undef', el };
    return { kind: 'trap', el, ec: e.ec, iss: e.iss };
  }
  return { kind: 'execute' };
}
