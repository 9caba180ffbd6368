// SPDX-License-Identifier: GPL-2.0-only
//
// Test-only: a second, independent rendering of the Arm pseudocode that decides FP/SVE/SME traps,
// kept as close to the structure of the Sail translation (rems-project/sail-arm,
// arm-v9.4-a/src/v8_base.sail and instrs64*.sail) as TypeScript allows: one function per
// pseudocode function, under the same name (AArch64.X becomes AArch64X), with the same order of
// statements, `match` arms as switches and AArch64.TakeException as a thrown ExceptionTaken.
// It was written from the Sail text, not from ../traps.ts, and shares nothing with it but the
// TrapContext/TrapOutcome types; field positions come from the Sail bitfield declarations.
//
// Configuration fixed by the machine: AArch64 everywhere, EL2 implemented, no EL3 (so every
// HaveEL(EL3) branch is dead), FEAT_VHE implemented, no nested virtualization, Non-secure.

export const EL0 = 0;
export const EL1 = 1;
export const EL2 = 2;
export const EL3 = 3;

/** The architectural state the pseudocode reads (Sail globals, passed explicitly). */
export interface PeState {
  PSTATE: { EL: number; SM: number; ZA: number };
  HCR_EL2: number;
  CPACR_EL1: number;
  CPTR_EL2: number;
  SMCR_EL1: number;
  SMCR_EL2: number;
  FEAT: { SVE: boolean; SME: boolean; SME2: boolean; SME_FA64: boolean };
}

// Bit positions, from the Sail `bitfield X_Type` declarations: [msb, lsb].
export const HCR_EL2 = { E2H: [34, 34], TGE: [27, 27] } as const;
export const CPACR_EL1 = { SMEN: [25, 24], FPEN: [21, 20], ZEN: [17, 16] } as const;
// Sail's CPTR_EL2 carries the fields of both layouts; which ones are read depends on E2H.
export const CPTR_EL2 = {
  SMEN: [25, 24],
  FPEN: [21, 20],
  ZEN: [17, 16],
  TSM: [12, 12],
  TFP: [10, 10],
  TZ: [8, 8],
} as const;
export const SMCR_ELX = { FA64: [31, 31], EZT0: [30, 30] } as const;

/** R[msb:lsb] of a register value (values stay below 2^53). */
export function Field(value: number, f: readonly [number, number]): number {
  const [msb, lsb] = f;
  const width = msb - lsb + 1;
  if (msb < 32) return (value >>> lsb) & ((1 << width) - 1);
  return Math.floor(value / 2 ** lsb) % 2 ** width;
}

// SMEExceptionType, encoded as SMEAccessTrap writes it into syndrome[2:0].
export const SMEExceptionType = {
  AccessTrap: 0b000,
  Streaming: 0b001,
  NotStreaming: 0b010,
  InactiveZA: 0b011,
  InaccessibleZT0: 0b100,
} as const;

export type ExceptionType = 'Uncategorized' | 'AdvSIMDFPAccessTrap' | 'SVEAccessTrap' | 'SMEAccessTrap';

/**
 * AArch64.TakeException ends the instruction: thrown, caught by the instruction runner. A plain
 * object rather than an Error: the comparison throws millions of them and needs no stack.
 */
export class ExceptionTaken {
  constructor(
    readonly targetEl: number,
    readonly ec: number,
    readonly iss: number,
  ) {}
}

/** ExceptionRecord, reduced to what reaches ESR_ELx. */
interface ExceptionRecord {
  exceptype: ExceptionType;
  syndrome: number;
}

/** ExceptionSyndrome(): a record with a zero syndrome. */
function ExceptionSyndrome(exceptype: ExceptionType): ExceptionRecord {
  return { exceptype, syndrome: 0 };
}

/** AArch64.ExceptionClass(): the EC of the exception types used here. */
function AArch64ExceptionClass(exceptype: ExceptionType): number {
  switch (exceptype) {
    case 'Uncategorized':
      return 0x00;
    case 'AdvSIMDFPAccessTrap':
      return 0x07;
    case 'SVEAccessTrap':
      return 0x19;
    case 'SMEAccessTrap':
      return 0x1d;
  }
}

/** AArch64.TakeException(target_el, exception, ...): reduced to reporting EL, EC and ISS. */
function AArch64TakeException(targetEl: number, except: ExceptionRecord): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- see ExceptionTaken
  throw new ExceptionTaken(targetEl, AArch64ExceptionClass(except.exceptype), except.syndrome);
}

// ---- Configuration -----------------------------------------------------------------------------

export function HaveEL(_s: PeState, el: number): boolean {
  return el === EL0 || el === EL1 || el === EL2; // no EL3
}

function HaveVirtHostExt(_s: PeState): boolean {
  return true;
}

function ELUsingAArch32(_s: PeState, _el: number): boolean {
  return false;
}

export function HaveSVE(s: PeState): boolean {
  return s.FEAT.SVE;
}

export function HaveSME(s: PeState): boolean {
  return s.FEAT.SME;
}

export function HaveSME2(s: PeState): boolean {
  return s.FEAT.SME2;
}

function HaveSMEFullA64(s: PeState): boolean {
  return s.FEAT.SME_FA64;
}

/** IsSecureEL2Enabled(): no FEAT_SEL2 modelled. */
function IsSecureEL2Enabled(_s: PeState): boolean {
  return false;
}

/** EL2Enabled(): HaveEL(EL2) && (!HaveEL(EL3) || SCR.NS == 1 || IsSecureEL2Enabled()). */
export function EL2Enabled(s: PeState): boolean {
  return HaveEL(s, EL2) && (!HaveEL(s, EL3) || IsSecureEL2Enabled(s));
}

/** ELIsInHost(el). */
export function ELIsInHost(s: PeState, el: number): boolean {
  if (!HaveVirtHostExt(s) || ELUsingAArch32(s, EL2)) {
    return false;
  }
  switch (el) {
    case EL3:
      return false;
    case EL2:
      return EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.E2H) === 1;
    case EL1:
      return false;
    case EL0:
      return EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.E2H) === 1 && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
    default:
      throw new Error('ELIsInHost: bad EL');
  }
}

/** IsInHost() = ELIsInHost(PSTATE.EL). */
export function IsInHost(s: PeState): boolean {
  return ELIsInHost(s, s.PSTATE.EL);
}

/** ConditionSyndrome(): from AArch64, CV = 1 and COND = 0b1110. */
function ConditionSyndrome(_s: PeState): number {
  return 0b11110;
}

// ---- Exception generators ------------------------------------------------------------------------

/** AArch64.UndefinedFault(). */
export function AArch64UndefinedFault(s: PeState): never {
  const routeToEl2 = s.PSTATE.EL === EL0 && EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
  const except = ExceptionSyndrome('Uncategorized');
  if (s.PSTATE.EL > EL1) {
    AArch64TakeException(s.PSTATE.EL, except);
  } else if (routeToEl2) {
    AArch64TakeException(EL2, except);
  } else {
    AArch64TakeException(EL1, except);
  }
}

/** AArch64.AdvSIMDFPAccessTrap(target_el). */
function AArch64AdvSIMDFPAccessTrap(s: PeState, targetEl: number): never {
  const routeToEl2 = targetEl === EL1 && EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
  if (routeToEl2) {
    const except = ExceptionSyndrome('Uncategorized');
    AArch64TakeException(EL2, except);
  } else {
    const except = ExceptionSyndrome('AdvSIMDFPAccessTrap');
    except.syndrome = ConditionSyndrome(s) * 2 ** 20; // syndrome[24:20]
    AArch64TakeException(targetEl, except);
  }
}

/** SVEAccessTrap(target_el). */
function SVEAccessTrap(s: PeState, targetEl: number): never {
  if (!(targetEl >= s.PSTATE.EL && targetEl !== EL0 && HaveEL(s, targetEl)))
    throw new Error('SVEAccessTrap: assert');
  const routeToEl2 = targetEl === EL1 && EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
  const except = ExceptionSyndrome('SVEAccessTrap');
  if (routeToEl2) {
    AArch64TakeException(EL2, except);
  } else {
    AArch64TakeException(targetEl, except);
  }
}

/** SMEAccessTrap(etype, target_el). */
function SMEAccessTrap(s: PeState, etype: number, targetElIn: number): never {
  let targetEl = targetElIn;
  if (!(targetEl >= s.PSTATE.EL)) throw new Error('SMEAccessTrap: assert');
  if (targetEl === EL0) {
    targetEl = EL1;
  }
  const routeToEl2 =
    s.PSTATE.EL === EL0 && targetEl === EL1 && EL2Enabled(s) && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
  const except = ExceptionSyndrome('SMEAccessTrap');
  except.syndrome = etype; // syndrome[2:0]
  if (routeToEl2) {
    AArch64TakeException(EL2, except);
  } else {
    AArch64TakeException(targetEl, except);
  }
}

/** AArch64.SystemAccessTrap(target_el, ec), with AArch64.SystemAccessTrapSyndrome for these ECs. */
export function AArch64SystemAccessTrap(s: PeState, targetEl: number, ec: number): never {
  if (!(HaveEL(s, targetEl) && targetEl !== EL0 && targetEl >= s.PSTATE.EL)) {
    throw new Error('AArch64.SystemAccessTrap: assert');
  }
  let except: ExceptionRecord;
  switch (ec) {
    case 0x00:
      except = ExceptionSyndrome('Uncategorized');
      break;
    case 0x07:
      except = ExceptionSyndrome('AdvSIMDFPAccessTrap');
      except.syndrome = ConditionSyndrome(s) * 2 ** 20;
      break;
    case 0x19:
      except = ExceptionSyndrome('SVEAccessTrap');
      break;
    case 0x1d:
      except = ExceptionSyndrome('SMEAccessTrap');
      break;
    default:
      throw new Error('Unreachable');
  }
  AArch64TakeException(targetEl, except);
}

// ---- Enable checks (v8_base.sail) -------------------------------------------------------------------

/** IsFullA64Enabled(). */
export function IsFullA64Enabled(s: PeState): boolean {
  if (!HaveSMEFullA64(s)) {
    return false;
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1) && !IsInHost(s)) {
    if (Field(s.SMCR_EL1, SMCR_ELX.FA64) === 0) {
      return false;
    }
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1 || s.PSTATE.EL === EL2) && EL2Enabled(s)) {
    if (Field(s.SMCR_EL2, SMCR_ELX.FA64) === 0) {
      return false;
    }
  }
  // HaveEL(EL3) is FALSE: SMCR_EL3.FA64 is not read.
  return true;
}

/** The `match X { [_, bitzero] => TRUE, 0b01 => <el0 test>, 0b11 => FALSE }` idiom. */
function MatchDisabled(field: number, when01: boolean): boolean {
  switch (field) {
    case 0b00:
    case 0b10:
      return true;
    case 0b01:
      return when01;
    default:
      return false;
  }
}

/** AArch64.CheckFPAdvSIMDTrap(). */
export function AArch64CheckFPAdvSIMDTrap(s: PeState): void {
  // HaveEL(EL3) is FALSE: no EL3SDDUndefPriority step.
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1 || s.PSTATE.EL === EL2) && EL2Enabled(s)) {
    if (HaveVirtHostExt(s) && Field(s.HCR_EL2, HCR_EL2.E2H) === 1) {
      const disabled = MatchDisabled(
        Field(s.CPTR_EL2, CPTR_EL2.FPEN),
        s.PSTATE.EL === EL0 && Field(s.HCR_EL2, HCR_EL2.TGE) === 1,
      );
      if (disabled) {
        AArch64AdvSIMDFPAccessTrap(s, EL2);
      }
    } else {
      if (Field(s.CPTR_EL2, CPTR_EL2.TFP) === 1) {
        AArch64AdvSIMDFPAccessTrap(s, EL2);
      }
    }
  }
}

/** AArch64.CheckFPEnabled(). */
export function AArch64CheckFPEnabled(s: PeState): void {
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1) && !IsInHost(s)) {
    const disabled = MatchDisabled(Field(s.CPACR_EL1, CPACR_EL1.FPEN), s.PSTATE.EL === EL0);
    if (disabled) {
      AArch64AdvSIMDFPAccessTrap(s, EL1);
    }
  }
  AArch64CheckFPAdvSIMDTrap(s);
}

/** AArch64.CheckFPAdvSIMDEnabled(). */
export function AArch64CheckFPAdvSIMDEnabled(s: PeState): void {
  AArch64CheckFPEnabled(s);
  if (HaveSME(s) && s.PSTATE.SM === 1 && !IsFullA64Enabled(s)) {
    SMEAccessTrap(s, SMEExceptionType.Streaming, s.PSTATE.EL);
  }
}

/** CheckFPEnabled64(). */
export function CheckFPEnabled64(s: PeState): void {
  AArch64CheckFPEnabled(s);
}

/** CheckFPAdvSIMDEnabled64(). */
export function CheckFPAdvSIMDEnabled64(s: PeState): void {
  AArch64CheckFPAdvSIMDEnabled(s);
}

/** CheckOriginalSVEEnabled(). */
export function CheckOriginalSVEEnabled(s: PeState): void {
  if (!HaveSVE(s)) throw new Error('CheckOriginalSVEEnabled: assert HaveSVE()');
  let disabled: boolean;
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1) && !IsInHost(s)) {
    disabled = MatchDisabled(Field(s.CPACR_EL1, CPACR_EL1.ZEN), s.PSTATE.EL === EL0);
    if (disabled) {
      SVEAccessTrap(s, EL1);
    }
    disabled = MatchDisabled(Field(s.CPACR_EL1, CPACR_EL1.FPEN), s.PSTATE.EL === EL0);
    if (disabled) {
      AArch64AdvSIMDFPAccessTrap(s, EL1);
    }
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1 || s.PSTATE.EL === EL2) && EL2Enabled(s)) {
    if (HaveVirtHostExt(s) && Field(s.HCR_EL2, HCR_EL2.E2H) === 1) {
      const el0Tge = s.PSTATE.EL === EL0 && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
      disabled = MatchDisabled(Field(s.CPTR_EL2, CPTR_EL2.ZEN), el0Tge);
      if (disabled) {
        SVEAccessTrap(s, EL2);
      }
      disabled = MatchDisabled(Field(s.CPTR_EL2, CPTR_EL2.FPEN), el0Tge);
      if (disabled) {
        AArch64AdvSIMDFPAccessTrap(s, EL2);
      }
    } else {
      if (Field(s.CPTR_EL2, CPTR_EL2.TZ) === 1) {
        SVEAccessTrap(s, EL2);
      }
      if (Field(s.CPTR_EL2, CPTR_EL2.TFP) === 1) {
        AArch64AdvSIMDFPAccessTrap(s, EL2);
      }
    }
  }
  // HaveEL(EL3) is FALSE: CPTR_EL3.{EZ,TFP} are not read.
}

/** CheckSMEEnabled(). */
export function CheckSMEEnabled(s: PeState): void {
  let disabled: boolean;
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1) && !IsInHost(s)) {
    disabled = MatchDisabled(Field(s.CPACR_EL1, CPACR_EL1.SMEN), s.PSTATE.EL === EL0);
    if (disabled) {
      SMEAccessTrap(s, SMEExceptionType.AccessTrap, EL1);
    }
    disabled = MatchDisabled(Field(s.CPACR_EL1, CPACR_EL1.FPEN), s.PSTATE.EL === EL0);
    if (disabled) {
      AArch64AdvSIMDFPAccessTrap(s, EL1);
    }
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1 || s.PSTATE.EL === EL2) && EL2Enabled(s)) {
    if (HaveVirtHostExt(s) && Field(s.HCR_EL2, HCR_EL2.E2H) === 1) {
      const el0Tge = s.PSTATE.EL === EL0 && Field(s.HCR_EL2, HCR_EL2.TGE) === 1;
      disabled = MatchDisabled(Field(s.CPTR_EL2, CPTR_EL2.SMEN), el0Tge);
      if (disabled) {
        SMEAccessTrap(s, SMEExceptionType.AccessTrap, EL2);
      }
      disabled = MatchDisabled(Field(s.CPTR_EL2, CPTR_EL2.FPEN), el0Tge);
      if (disabled) {
        AArch64AdvSIMDFPAccessTrap(s, EL2);
      }
    } else {
      if (Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
        SMEAccessTrap(s, SMEExceptionType.AccessTrap, EL2);
      }
      if (Field(s.CPTR_EL2, CPTR_EL2.TFP) === 1) {
        AArch64AdvSIMDFPAccessTrap(s, EL2);
      }
    }
  }
  // HaveEL(EL3) is FALSE: CPTR_EL3.{ESM,TFP} are not read.
}

/** CheckStreamingSVEEnabled(). */
export function CheckStreamingSVEEnabled(s: PeState): void {
  CheckSMEEnabled(s);
  if (s.PSTATE.SM === 0) {
    SMEAccessTrap(s, SMEExceptionType.NotStreaming, s.PSTATE.EL);
  }
}

/** CheckSVEEnabled(). */
export function CheckSVEEnabled(s: PeState): void {
  if (HaveSME(s) && s.PSTATE.SM === 1) {
    CheckSMEEnabled(s);
  } else if (HaveSME(s) && !HaveSVE(s)) {
    CheckStreamingSVEEnabled(s);
  } else {
    CheckOriginalSVEEnabled(s);
  }
}

/** CheckSMEAndZAEnabled(). */
export function CheckSMEAndZAEnabled(s: PeState): void {
  CheckSMEEnabled(s);
  if (s.PSTATE.ZA === 0) {
    SMEAccessTrap(s, SMEExceptionType.InactiveZA, s.PSTATE.EL);
  }
}

/** CheckNonStreamingSVEEnabled(). */
export function CheckNonStreamingSVEEnabled(s: PeState): void {
  CheckSVEEnabled(s);
  if (HaveSME(s) && s.PSTATE.SM === 1 && !IsFullA64Enabled(s)) {
    SMEAccessTrap(s, SMEExceptionType.Streaming, s.PSTATE.EL);
  }
}

/** CheckStreamingSVEAndZAEnabled(). */
export function CheckStreamingSVEAndZAEnabled(s: PeState): void {
  CheckStreamingSVEEnabled(s);
  if (s.PSTATE.ZA === 0) {
    SMEAccessTrap(s, SMEExceptionType.InactiveZA, s.PSTATE.EL);
  }
}

/** CheckSMEZT0Enabled(). */
export function CheckSMEZT0Enabled(s: PeState): void {
  if (s.PSTATE.ZA === 0) {
    SMEAccessTrap(s, SMEExceptionType.InactiveZA, s.PSTATE.EL);
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1) && !IsInHost(s)) {
    if (Field(s.SMCR_EL1, SMCR_ELX.EZT0) === 0) {
      SMEAccessTrap(s, SMEExceptionType.InaccessibleZT0, EL1);
    }
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1 || s.PSTATE.EL === EL2) && EL2Enabled(s)) {
    if (Field(s.SMCR_EL2, SMCR_ELX.EZT0) === 0) {
      SMEAccessTrap(s, SMEExceptionType.InaccessibleZT0, EL2);
    }
  }
  // HaveEL(EL3) is FALSE: SMCR_EL3.EZT0 is not read.
}

/** CheckSMEAccess() (MSR SVCRSM/SVCRZA/SVCRSMZA, #imm). */
export function CheckSMEAccess(s: PeState): void {
  let disabled: boolean;
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1) && !IsInHost(s)) {
    disabled = MatchDisabled(Field(s.CPACR_EL1, CPACR_EL1.SMEN), s.PSTATE.EL === EL0);
    if (disabled) {
      SMEAccessTrap(s, SMEExceptionType.AccessTrap, EL1);
    }
  }
  if ((s.PSTATE.EL === EL0 || s.PSTATE.EL === EL1 || s.PSTATE.EL === EL2) && EL2Enabled(s)) {
    if (HaveVirtHostExt(s) && Field(s.HCR_EL2, HCR_EL2.E2H) === 1) {
      disabled = MatchDisabled(
        Field(s.CPTR_EL2, CPTR_EL2.SMEN),
        s.PSTATE.EL === EL0 && Field(s.HCR_EL2, HCR_EL2.TGE) === 1,
      );
      if (disabled) {
        SMEAccessTrap(s, SMEExceptionType.AccessTrap, EL2);
      }
    } else {
      if (Field(s.CPTR_EL2, CPTR_EL2.TSM) === 1) {
        SMEAccessTrap(s, SMEExceptionType.AccessTrap, EL2);
      }
    }
  }
}
