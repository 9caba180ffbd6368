// SPDX-License-Identifier: GPL-2.0-only
//
// Trap decisions for FP/AdvSIMD, SVE, streaming SVE, SME (ZA) and SME2 (ZT0) instructions and
// for the system-register accesses the FP code makes, as a pure function of the controls.
//
// Source: the Arm A-profile pseudocode (Armv9.4-A, as translated to Sail in rems-project/sail-arm,
// arm-v9.4-a/src/v8_base.sail and the instruction files) and, for MRS/MSR of SVCR, ZCR_ELx, SMCR_ELx
// and FPCR, the accessibility pseudocode of the register descriptions in the Arm ARM. The rules
// below are our own code; every step names the pseudocode function it follows. The order of the
// steps is the order of the pseudocode, which fixes which of several disabled controls wins.
//
// Model assumptions (what this machine is): AArch64 at every EL, EL2 implemented and enabled
// (EL2Enabled() is TRUE), FEAT_VHE implemented (HaveVirtHostExt() is TRUE, so HCR_EL2.E2H
// selects the CPTR_EL2 layout), no EL3 (every CPTR_EL3/SMCR_EL3 step is absent), no nested
// virtualization (HCR_EL2.NV* are 0), Non-secure state only. FEAT_FP and FEAT_AdvSIMD are always
// implemented. An EL1 context with HCR_EL2.TGE == 1 cannot arise (an exception return to EL1 with
// TGE set is illegal); decideTrap still answers for it by following the same pseudocode.
//
// Syndromes (ESR_ELx.ISS) as the pseudocode builds them:
// - FP/AdvSIMD access trap (EC 0x07): ISS[24:20] = ConditionSyndrome(), which from AArch64 is
//   CV = 1, COND = 0b1110, so ISS = 0x1E00000; the rest is 0.
// - SVE access trap (EC 0x19): ISS = 0 (ExceptionSyndrome zeroes it, SVEAccessTrap adds nothing).
// - SME access trap (EC 0x1D): ISS[2:0] = the SMEExceptionType (ESR_ELx_SME_ISS_*).
// - UNDEFINED, and an FP/AdvSIMD trap that AArch64.AdvSIMDFPAccessTrap reroutes from EL1 to EL2
//   because HCR_EL2.TGE == 1: Exception_Uncategorized, EC 0x00, ISS 0. Both are reported as
//   { kind: 'undef', el } since the syndrome cannot tell them apart.

import {
  CPACR_ELx_FPEN_SHIFT,
  CPACR_ELx_SMEN_SHIFT,
  CPACR_ELx_ZEN_SHIFT,
  CPTR_EL2_TFP,
  CPTR_EL2_TSM,
  CPTR_EL2_TZ,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SME,
  ESR_ELx_EC_SVE,
  ESR_ELx_SME_ISS_ILL,
  ESR_ELx_SME_ISS_SME_DISABLED,
  ESR_ELx_SME_ISS_SM_DISABLED,
  ESR_ELx_SME_ISS_ZA_DISABLED,
  ESR_ELx_SME_ISS_ZT_DISABLED,
  HCR_E2H,
  HCR_TGE,
  SMCR_ELx_EZT0_MASK,
  SMCR_ELx_FA64_MASK,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  test_bits64,
} from '@kvmfp/sysreg';

/**
 * What is executed, grouped by the pseudocode check it runs. Feature gates are those of the
 * instructions' decode pseudocode (a missing feature makes the encoding UNDEFINED).
 */
export type InsnClass =
  /** Scalar FP and FP/SIMD register loads and stores (FADD Sd, LDR Qt, FMOV): CheckFPEnabled64. Legal in streaming mode. */
  | 'fp'
  /** AdvSIMD vector instructions (ADD Vd.4S): CheckFPAdvSIMDEnabled64; illegal in streaming mode unless FA64. */
  | 'advsimd'
  /**
   * SVE instructions that are illegal in streaming mode (FADDA, gathers, first-fault loads, FFR):
   * CheckNonStreamingSVEEnabled. Needs FEAT_SVE. With PSTATE.SM == 0 this is also what every SVE
   * instruction does on a CPU with SVE.
   */
  | 'sve'
  /**
   * SVE instructions that are legal in streaming mode (ADD Zd.D, LD1D contiguous, PTRUE):
   * CheckSVEEnabled. Needs FEAT_SVE or FEAT_SME. With PSTATE.SM == 1 they are streaming SVE and
   * are governed by the SME controls; on an SME-only CPU they need streaming mode.
   */
  | 'ssve'
  /** SME2 instructions that only exist in streaming mode and do not touch ZA (multi-vector Z ops, PTRUE PN): CheckStreamingSVEEnabled. */
  | 'sme2_streaming'
  /** ZA tile/array data processing and moves (FMOPA, MOVA, LD1W ZA tile slice): CheckStreamingSVEAndZAEnabled. */
  | 'sme_za'
  /** LDR/STR ZA[...] and ZERO {ZA}: CheckSMEAndZAEnabled (any PSTATE.SM). */
  | 'sme_za_ldst'
  /** LDR/STR ZT0, ZERO {ZT0}, MOVT: CheckSMEEnabled then CheckSMEZT0Enabled (any PSTATE.SM). Needs FEAT_SME2. */
  | 'sme_zt0'
  /** LUTI2/LUTI4 with ZT0: CheckStreamingSVEEnabled then CheckSMEZT0Enabled. Needs FEAT_SME2. */
  | 'sme_lut'
  /** RDSVL, ADDSVL, ADDSPL: CheckSMEEnabled (any PSTATE.SM). */
  | 'rdsvl'
  /** MSR SVCRSM/SVCRZA/SVCRSMZA, #imm (SMSTART/SMSTOP and their SM/ZA forms): CheckSMEAccess (no FPEN check). */
  | 'smstart'
  | 'smstart_sm'
  | 'smstart_za'
  | 'smstop'
  | 'smstop_sm'
  | 'smstop_za'
  /** MRS/MSR SVCR: the register's accessibility pseudocode (SMEN/TSM traps, EC 0x1D). */
  | 'mrs_svcr'
  | 'msr_svcr'
  /** MRS/MSR ZCR_EL1 (ZCR_EL2 from EL2 with E2H == 1): ZEN/TZ traps, EC 0x19; UNDEFINED at EL0. */
  | 'mrs_zcr_el1'
  | 'msr_zcr_el1'
  /** MRS/MSR SMCR_EL1 (SMCR_EL2 from EL2 with E2H == 1): SMEN/TSM traps, EC 0x1D; UNDEFINED at EL0. */
  | 'mrs_smcr_el1'
  | 'msr_smcr_el1'
  /** MRS/MSR ZCR_EL2: UNDEFINED below EL2 (no nested virtualization); TZ / CPTR_EL2.ZEN at EL2. */
  | 'mrs_zcr_el2'
  | 'msr_zcr_el2'
  /** MRS/MSR SMCR_EL2: UNDEFINED below EL2; TSM / CPTR_EL2.SMEN at EL2. */
  | 'mrs_smcr_el2'
  | 'msr_smcr_el2'
  /** MRS/MSR FPCR and FPSR (same accessibility): FPEN/TFP traps, EC 0x07 (0x00 when rerouted by TGE). Legal in streaming mode. */
  | 'mrs_fpcr'
  | 'msr_fpcr';

export const INSN_CLASSES: readonly InsnClass[] = [
  'fp',
  'advsimd',
  'sve',
  'ssve',
  'sme2_streaming',
  'sme_za',
  'sme_za_ldst',
  'sme_zt0',
  'sme_lut',
  'rdsvl',
  'smstart',
  'smstart_sm',
  'smstart_za',
  'smstop',
  'smstop_sm',
  'smstop_za',
  'mrs_svcr',
  'msr_svcr',
  'mrs_zcr_el1',
  'msr_zcr_el1',
  'mrs_smcr_el1',
  'msr_smcr_el1',
  'mrs_zcr_el2',
  'msr_zcr_el2',
  'mrs_smcr_el2',
  'msr_smcr_el2',
  'mrs_fpcr',
  'msr_fpcr',
];

export interface TrapFeatures {
  sve: boolean;
  sme: boolean;
  /** FEAT_SME2 (implies sme). */
  sme2: boolean;
  /** FEAT_SME_FA64 (implies sme). */
  fa64: boolean;
}

export interface TrapContext {
  el: 0 | 1 | 2;
  features: TrapFeatures;
  /** HCR_EL2; E2H is bit 34, read with test_bits64. */
  hcr_el2: number;
  /** CPACR_EL1 itself (not the EL2 view of CPTR_EL2 through the CPACR_EL1 name). */
  cpacr_el1: number;
  /** CPTR_EL2 raw: TZ/TFP/TSM layout when HCR_EL2.E2H == 0, ZEN/FPEN/SMEN layout when E2H == 1. */
  cptr_el2: number;
  /** PSTATE.SM and PSTATE.ZA as SVCR. */
  svcr: number;
  smcr_el1: number;
  smcr_el2: number;
  secure: false;
}

export type TrapOutcome =
  { kind: 'execute' } | { kind: 'trap'; el: 1 | 2; ec: number; iss: number } | { kind: 'undef'; el: 1 | 2 };

/** ISS of an FP/AdvSIMD access trap from AArch64: ConditionSyndrome() gives CV = 1, COND = 0b1110. */
export const FP_TRAP_ISS = 0x1e00000;

const EXECUTE: TrapOutcome = { kind: 'execute' };

type Outcome = TrapOutcome | undefined;

type Unit = 'fp' | 'sve' | 'sme';

/** The context with the bits read by almost every rule decoded; the rest is read on demand. */
interface Pe {
  ctx: TrapContext;
  el: 0 | 1 | 2;
  f: TrapFeatures;
  e2h: boolean;
  tge: boolean;
  sm: boolean;
  za: boolean;
}

/** A mask test: plain `&` below bit 32, test_bits64 above (HCR_EL2.E2H is bit 34). */
function has(v: number, mask: number): boolean {
  return mask < 2 ** 32 ? (v & mask) !== 0 : test_bits64(v, mask);
}

function decode(ctx: TrapContext): Pe {
  const hasSme = ctx.features.sme;
  return {
    ctx,
    el: ctx.el,
    f: ctx.features,
    e2h: has(ctx.hcr_el2, HCR_E2H),
    tge: has(ctx.hcr_el2, HCR_TGE),
    // PSTATE.SM/ZA only exist with FEAT_SME (the pseudocode reads them under HaveSME()).
    sm: hasSme && has(ctx.svcr, SVCR_SM_MASK),
    za: hasSme && has(ctx.svcr, SVCR_ZA_MASK),
  };
}

/** Position of each unit's 2-bit enable field in CPACR_EL1, and in CPTR_EL2 when E2H == 1. */
function enableShift(unit: Unit): number {
  return unit === 'fp' ? CPACR_ELx_FPEN_SHIFT : unit === 'sve' ? CPACR_ELx_ZEN_SHIFT : CPACR_ELx_SMEN_SHIFT;
}

/** CPACR_EL1.{FPEN,ZEN,SMEN} (all below bit 32). */
function cpacrField(pe: Pe, unit: Unit): number {
  return (pe.ctx.cpacr_el1 >>> enableShift(unit)) & 3;
}

/** CPTR_EL2.{FPEN,ZEN,SMEN} in the E2H == 1 layout. */
function cptrField(pe: Pe, unit: Unit): number {
  return (pe.ctx.cptr_el2 >>> enableShift(unit)) & 3;
}

/** CPTR_EL2.{TFP,TZ,TSM} in the E2H == 0 layout. */
function nvheTrapBit(pe: Pe, unit: Unit): boolean {
  const bit = unit === 'fp' ? CPTR_EL2_TFP : unit === 'sve' ? CPTR_EL2_TZ : CPTR_EL2_TSM;
  return has(pe.ctx.cptr_el2, bit);
}

/** SMCR_ELx.FA64 or SMCR_ELx.EZT0 of EL1 or EL2. */
function smcrBit(pe: Pe, el: 1 | 2, mask: number): boolean {
  return has(el === 1 ? pe.ctx.smcr_el1 : pe.ctx.smcr_el2, mask);
}

// ---- Regime: which EL's controls apply ----------------------------------------------------------

/** IsInHost() = ELIsInHost(PSTATE.EL), with EL2 enabled and FEAT_VHE: EL2 when E2H, EL0 when E2H && TGE. */
function isInHost(pe: Pe): boolean {
  if (pe.el === 2) return pe.e2h;
  if (pe.el === 0) return pe.e2h && pe.tge;
  return false;
}

/** The "(EL0 || EL1) && !IsInHost()" guard of the CPACR_EL1 steps. */
function cpacrApplies(pe: Pe): boolean {
  return pe.el !== 2 && !isInHost(pe);
}

/** A CPACR_EL1.{FPEN,ZEN,SMEN} value read as the pseudocode does: x0 disables, 01 disables EL0 only. */
function cpacrDisables(field: number, pe: Pe): boolean {
  if ((field & 1) === 0) return true;
  if (field === 0b01) return pe.el === 0;
  return false;
}

/** A CPTR_EL2.{FPEN,ZEN,SMEN} value (E2H == 1): x0 disables, 01 disables EL0 only when TGE == 1. */
function cptrVheDisables(field: number, pe: Pe): boolean {
  if ((field & 1) === 0) return true;
  if (field === 0b01) return pe.el === 0 && pe.tge;
  return false;
}

// ---- Exceptions ----------------------------------------------------------------------------------

/** AArch64.AdvSIMDFPAccessTrap(target): an EL1 target with TGE == 1 goes to EL2 as Uncategorized. */
function fpAccessTrap(target: 1 | 2, pe: Pe): TrapOutcome {
  if (target === 1 && pe.tge) return { kind: 'undef', el: 2 };
  return { kind: 'trap', el: target, ec: ESR_ELx_EC_FP_ASIMD, iss: FP_TRAP_ISS };
}

/** SVEAccessTrap(target): an EL1 target with TGE == 1 goes to EL2, same syndrome. */
function sveAccessTrap(target: 1 | 2, pe: Pe): TrapOutcome {
  const el = target === 1 && pe.tge ? 2 : target;
  return { kind: 'trap', el, ec: ESR_ELx_EC_SVE, iss: 0 };
}

/**
 * SMEAccessTrap(type, target): an EL0 target is EL1; an EL1 target taken from EL0 with TGE == 1
 * goes to EL2. ISS[2:0] is the exception type.
 */
function smeAccessTrap(iss: number, target: 0 | 1 | 2, pe: Pe): TrapOutcome {
  let el: 1 | 2 = target === 0 ? 1 : target;
  if (pe.el === 0 && el === 1 && pe.tge) el = 2;
  return { kind: 'trap', el, ec: ESR_ELx_EC_SME, iss };
}

/** AArch64.UndefinedFault(): at EL0 to EL1 (EL2 if TGE == 1), else at the current EL. */
function undefinedFault(pe: Pe): TrapOutcome {
  if (pe.el === 2) return { kind: 'undef', el: 2 };
  if (pe.el === 0 && pe.tge) return { kind: 'undef', el: 2 };
  return { kind: 'undef', el: 1 };
}

/** AArch64.SystemAccessTrap(target, ec) with the syndromes of AArch64.SystemAccessTrapSyndrome. */
function systemAccessTrap(target: 1 | 2, ec: number): TrapOutcome {
  if (ec === 0) return { kind: 'undef', el: target };
  return { kind: 'trap', el: target, ec, iss: ec === ESR_ELx_EC_FP_ASIMD ? FP_TRAP_ISS : 0 };
}

// ---- Checks (each returns the exception it raises, or undefined to go on) ------------------------

/** AArch64.CheckFPAdvSIMDTrap(): the EL2 control (CPTR_EL2.FPEN with E2H, else CPTR_EL2.TFP). */
function checkFpAdvSimdTrap(pe: Pe): Outcome {
  if (pe.e2h) return cptrVheDisables(cptrField(pe, 'fp'), pe) ? fpAccessTrap(2, pe) : undefined;
  return nvheTrapBit(pe, 'fp') ? fpAccessTrap(2, pe) : undefined;
}

/** AArch64.CheckFPEnabled() (CheckFPEnabled64): CPACR_EL1.FPEN, then AArch64.CheckFPAdvSIMDTrap(). */
function checkFpEnabled(pe: Pe): Outcome {
  if (cpacrApplies(pe) && cpacrDisables(cpacrField(pe, 'fp'), pe)) return fpAccessTrap(1, pe);
  return checkFpAdvSimdTrap(pe);
}

/** IsFullA64Enabled(): FEAT_SME_FA64 and SMCR_EL1.FA64 (unless in host) and SMCR_EL2.FA64. */
function isFullA64Enabled(pe: Pe): boolean {
  if (!pe.f.fa64) return false;
  if (cpacrApplies(pe) && !smcrBit(pe, 1, SMCR_ELx_FA64_MASK)) return false;
  return smcrBit(pe, 2, SMCR_ELx_FA64_MASK);
}

/** The streaming-mode legality step shared by AArch64.CheckFPAdvSIMDEnabled and CheckNonStreamingSVEEnabled. */
function checkStreamingIllegal(pe: Pe): Outcome {
  if (pe.f.sme && pe.sm && !isFullA64Enabled(pe)) return smeAccessTrap(ESR_ELx_SME_ISS_ILL, pe.el, pe);
  return undefined;
}

/** AArch64.CheckFPAdvSIMDEnabled() (CheckFPAdvSIMDEnabled64). */
function checkFpAdvSimdEnabled(pe: Pe): Outcome {
  return checkFpEnabled(pe) ?? checkStreamingIllegal(pe);
}

/**
 * The shape shared by CheckSMEEnabled, CheckSMEAccess and CheckOriginalSVEEnabled: the EL1
 * control of the unit then (optionally) CPACR_EL1.FPEN, then the EL2 control of the unit then
 * (optionally) the EL2 FP control.
 */
/** SVEAccessTrap or SMEAccessTrap(SMEExceptionType_AccessTrap) for an SVE or SME enable control. */
function unitTrap(unit: 'sve' | 'sme', target: 1 | 2, pe: Pe): TrapOutcome {
  return unit === 'sve' ? sveAccessTrap(target, pe) : smeAccessTrap(ESR_ELx_SME_ISS_SME_DISABLED, target, pe);
}

/**
 * The shape shared by CheckSMEEnabled, CheckSMEAccess and CheckOriginalSVEEnabled: the EL1
 * control of the unit then (optionally) CPACR_EL1.FPEN, then the EL2 control of the unit then
 * (optionally) the EL2 FP control.
 */
function checkUnit(pe: Pe, unit: 'sve' | 'sme', withFp: boolean): Outcome {
  if (cpacrApplies(pe)) {
    if (cpacrDisables(cpacrField(pe, unit), pe)) return unitTrap(unit, 1, pe);
    if (withFp && cpacrDisables(cpacrField(pe, 'fp'), pe)) return fpAccessTrap(1, pe);
  }
  if (pe.e2h) {
    if (cptrVheDisables(cptrField(pe, unit), pe)) return unitTrap(unit, 2, pe);
    if (withFp && cptrVheDisables(cptrField(pe, 'fp'), pe)) return fpAccessTrap(2, pe);
  } else {
    if (nvheTrapBit(pe, unit)) return unitTrap(unit, 2, pe);
    if (withFp && nvheTrapBit(pe, 'fp')) return fpAccessTrap(2, pe);
  }
  return undefined;
}

/** CheckOriginalSVEEnabled(): CPACR_EL1.ZEN, CPACR_EL1.FPEN, then CPTR_EL2 ZEN/FPEN or TZ/TFP. */
function checkOriginalSveEnabled(pe: Pe): Outcome {
  return checkUnit(pe, 'sve', true);
}

/** CheckSMEEnabled(): CPACR_EL1.SMEN, CPACR_EL1.FPEN, then CPTR_EL2 SMEN/FPEN or TSM/TFP. */
function checkSmeEnabled(pe: Pe): Outcome {
  return checkUnit(pe, 'sme', true);
}

/** CheckSMEAccess() (SMSTART/SMSTOP): like CheckSMEEnabled without the FP steps. */
function checkSmeAccess(pe: Pe): Outcome {
  return checkUnit(pe, 'sme', false);
}

/** CheckStreamingSVEEnabled(): CheckSMEEnabled(), then PSTATE.SM must be 1. */
function checkStreamingSveEnabled(pe: Pe): Outcome {
  return checkSmeEnabled(pe) ?? (pe.sm ? undefined : smeAccessTrap(ESR_ELx_SME_ISS_SM_DISABLED, pe.el, pe));
}

/** The PSTATE.ZA step of CheckSMEAndZAEnabled, CheckStreamingSVEAndZAEnabled and CheckSMEZT0Enabled. */
function checkZaActive(pe: Pe): Outcome {
  return pe.za ? undefined : smeAccessTrap(ESR_ELx_SME_ISS_ZA_DISABLED, pe.el, pe);
}

/** CheckSVEEnabled(): streaming mode uses the SME controls; an SME-only CPU needs streaming mode. */
function checkSveEnabled(pe: Pe): Outcome {
  if (pe.f.sme && pe.sm) return checkSmeEnabled(pe);
  if (pe.f.sme && !pe.f.sve) return checkStreamingSveEnabled(pe);
  return checkOriginalSveEnabled(pe);
}

/** CheckNonStreamingSVEEnabled(): CheckSVEEnabled(), then illegal in streaming mode without FA64. */
function checkNonStreamingSveEnabled(pe: Pe): Outcome {
  return checkSveEnabled(pe) ?? checkStreamingIllegal(pe);
}

/** CheckSMEZT0Enabled(): PSTATE.ZA, then SMCR_EL1.EZT0 (unless in host), then SMCR_EL2.EZT0. */
function checkSmeZt0Enabled(pe: Pe): Outcome {
  const za = checkZaActive(pe);
  if (za) return za;
  if (cpacrApplies(pe) && !smcrBit(pe, 1, SMCR_ELx_EZT0_MASK))
    return smeAccessTrap(ESR_ELx_SME_ISS_ZT_DISABLED, 1, pe);
  if (!smcrBit(pe, 2, SMCR_ELx_EZT0_MASK)) return smeAccessTrap(ESR_ELx_SME_ISS_ZT_DISABLED, 2, pe);
  return undefined;
}

// ---- System-register accessors (Arm ARM register descriptions, "Accessing ...") -----------------

/**
 * The shared body of the SVCR, ZCR_EL1/EL2, SMCR_EL1/EL2 and FPCR/FPSR accessors. At EL0 the EL1
 * control must be fully enabled (0b11; a TGE == 1 trap goes straight to EL2, as Uncategorized for
 * FP); at EL1 the x0 values trap; then the EL2 control.
 */
function checkSysregAccess(pe: Pe, unit: Unit): Outcome {
  const ec = unit === 'fp' ? ESR_ELx_EC_FP_ASIMD : unit === 'sve' ? ESR_ELx_EC_SVE : ESR_ELx_EC_SME;
  if (pe.el === 0) {
    if (!isInHost(pe) && cpacrField(pe, unit) !== 0b11) {
      if (pe.tge) return systemAccessTrap(2, unit === 'fp' ? 0 : ec);
      return systemAccessTrap(1, ec);
    }
    if (isInHost(pe) && cptrField(pe, unit) !== 0b11) return systemAccessTrap(2, ec);
  } else if (pe.el === 1) {
    if ((cpacrField(pe, unit) & 1) === 0) return systemAccessTrap(1, ec);
  }
  if (pe.e2h && (cptrField(pe, unit) & 1) === 0) return systemAccessTrap(2, ec);
  if (!pe.e2h && nvheTrapBit(pe, unit)) return systemAccessTrap(2, ec);
  return undefined;
}

// ---- Decode gates and the per-class sequence ------------------------------------------------------

function implemented(cls: InsnClass, f: TrapFeatures): boolean {
  switch (cls) {
    case 'fp':
    case 'advsimd':
    case 'mrs_fpcr':
    case 'msr_fpcr':
      return true;
    case 'sve':
    case 'mrs_zcr_el1':
    case 'msr_zcr_el1':
    case 'mrs_zcr_el2':
    case 'msr_zcr_el2':
      return f.sve;
    case 'ssve':
      return f.sve || f.sme;
    case 'sme2_streaming':
    case 'sme_zt0':
    case 'sme_lut':
      return f.sme2;
    default:
      return f.sme;
  }
}

/** The lowest EL an MRS/MSR may be issued from (lower ELs: UNDEFINED). */
function minEl(cls: InsnClass): 0 | 1 | 2 {
  switch (cls) {
    case 'mrs_zcr_el1':
    case 'msr_zcr_el1':
    case 'mrs_smcr_el1':
    case 'msr_smcr_el1':
      return 1;
    case 'mrs_zcr_el2':
    case 'msr_zcr_el2':
    case 'mrs_smcr_el2':
    case 'msr_smcr_el2':
      return 2;
    default:
      return 0;
  }
}

function check(cls: InsnClass, pe: Pe): Outcome {
  switch (cls) {
    case 'fp':
      return checkFpEnabled(pe);
    case 'advsimd':
      return checkFpAdvSimdEnabled(pe);
    case 'sve':
      return checkNonStreamingSveEnabled(pe);
    case 'ssve':
      return checkSveEnabled(pe);
    case 'sme2_streaming':
      return checkStreamingSveEnabled(pe);
    case 'sme_za':
      return checkStreamingSveEnabled(pe) ?? checkZaActive(pe);
    case 'sme_za_ldst':
      return checkSmeEnabled(pe) ?? checkZaActive(pe);
    case 'sme_zt0':
      return checkSmeEnabled(pe) ?? checkSmeZt0Enabled(pe);
    case 'sme_lut':
      return checkStreamingSveEnabled(pe) ?? checkSmeZt0Enabled(pe);
    case 'rdsvl':
      return checkSmeEnabled(pe);
    case 'smstart':
    case 'smstart_sm':
    case 'smstart_za':
    case 'smstop':
    case 'smstop_sm':
    case 'smstop_za':
      return checkSmeAccess(pe);
    case 'mrs_svcr':
    case 'msr_svcr':
    case 'mrs_smcr_el1':
    case 'msr_smcr_el1':
    case 'mrs_smcr_el2':
    case 'msr_smcr_el2':
      return checkSysregAccess(pe, 'sme');
    case 'mrs_zcr_el1':
    case 'msr_zcr_el1':
    case 'mrs_zcr_el2':
    case 'msr_zcr_el2':
      return checkSysregAccess(pe, 'sve');
    case 'mrs_fpcr':
    case 'msr_fpcr':
      return checkSysregAccess(pe, 'fp');
  }
}

/** Whether executing `cls` in `ctx` runs, traps (to which EL, with which EC/ISS) or is UNDEFINED. */
export function decideTrap(cls: InsnClass, ctx: TrapContext): TrapOutcome {
  const pe = decode(ctx);
  if (!implemented(cls, pe.f) || pe.el < minEl(cls)) return undefinedFault(pe);
  return check(cls, pe) ?? EXECUTE;
}
