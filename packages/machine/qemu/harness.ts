// SPDX-License-Identifier: GPL-2.0-only
//
// Differential harness: runs trap cases on QEMU's arm64 `-cpu max` (Debian's qemu-system-aarch64
// with binutils-aarch64-linux-gnu) and reads back where each exception was taken.
//
// One bare-metal program per feature set runs a table of cases. It starts at EL2
// (`-M virt,virtualization=on`, no EL3) and, for each case: puts HCR_EL2 = RW (E2H = 0) and opens
// CPTR_EL2, writes CPACR_EL1, SMCR_EL1, SMCR_EL2 and SVCR (PSTATE.SM/ZA) from the case, then the
// case's HCR_EL2 and CPTR_EL2 (in the layout its E2H selects), and either branches to the case's
// stub (EL2) or ERETs to it at EL1h/EL0t. A stub is the instruction under test followed by
// `hvc #2` (EL1, EL2) or `svc #2` (EL0). The EL1 vectors forward ESR_EL1 to EL2 with `hvc #1`;
// the EL2 vectors store (EL, ESR) for the case and go on with the next one. At the end the
// results are printed on the PL011 UART and the program powers off through PSCI (SMC).
// A result of HVC #2 or SVC #2 means the instruction executed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InsnClass, TrapContext, TrapFeatures, TrapOutcome } from '../src/traps.js';

export const QEMU = 'qemu-system-aarch64';
export const AS = 'aarch64-linux-gnu-as';
export const LD = 'aarch64-linux-gnu-ld';

/** Whether qemu-system-aarch64 and the aarch64 binutils are installed; else the reason. */
export function qemuMissing(): string | undefined {
  for (const tool of [QEMU, AS, LD]) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      return `${tool} not found (apt-get install qemu-system-arm binutils-aarch64-linux-gnu; .ci/system-deps.sh does it)`;
    }
  }
  return undefined;
}

/**
 * The feature sets QEMU 7.2 `-cpu max` can be configured to: no SME2, and no SME without SVE
 * (with sve=off,sme=on the SME registers are UNDEFINED, so that set is left out).
 */
export const QEMU_FEATURE_SETS: readonly TrapFeatures[] = [
  { sve: true, sme: true, sme2: false, fa64: true },
  { sve: true, sme: true, sme2: false, fa64: false },
  { sve: true, sme: false, sme2: false, fa64: false },
  { sve: false, sme: false, sme2: false, fa64: false },
];

export function canExpress(ctx: TrapContext): boolean {
  return !ctx.features.sme2 && QEMU_FEATURE_SETS.some((f) => sameFeatures(f, ctx.features));
}

function sameFeatures(a: TrapFeatures, b: TrapFeatures): boolean {
  return a.sve === b.sve && a.sme === b.sme && a.sme2 === b.sme2 && a.fa64 === b.fa64;
}

function cpuOption(f: TrapFeatures): string {
  return `max,sve=${f.sve ? 'on' : 'off'},sme=${f.sme ? 'on' : 'off'}${f.sme ? `,sme_fa64=${f.fa64 ? 'on' : 'off'}` : ''}`;
}

/** The instruction (assembler source) of each class; SME2 ones as .inst (binutils 2.40 lacks SME2). */
export const INSTRUCTION: Record<InsnClass, string> = {
  fp: 'fadd s0, s1, s2',
  advsimd: 'add v0.4s, v1.4s, v2.4s',
  sve: 'fadda d0, p0, d0, z1.d',
  ssve: 'add z0.d, z1.d, z2.d',
  sme2_streaming: '.inst 0xc123e000 // sqcvt z0.h, {z0.s-z1.s}',
  sme_za: 'fmopa za0.s, p0/m, p1/m, z0.s, z1.s',
  sme_za_ldst: 'zero {za}',
  sme_zt0: '.inst 0xc0480001 // zero {zt0}',
  sme_lut: '.inst 0xc0cc0000 // luti2 z0.b, zt0, z0[0]',
  rdsvl: 'rdsvl x0, #1',
  smstart: 'smstart',
  smstart_sm: 'smstart sm',
  smstart_za: 'smstart za',
  smstop: 'smstop',
  smstop_sm: 'smstop sm',
  smstop_za: 'smstop za',
  mrs_svcr: 'mrs x0, svcr',
  msr_svcr: 'msr svcr, x0',
  mrs_zcr_el1: 'mrs x0, zcr_el1',
  msr_zcr_el1: 'msr zcr_el1, x0',
  mrs_smcr_el1: 'mrs x0, smcr_el1',
  msr_smcr_el1: 'msr smcr_el1, x0',
  mrs_zcr_el2: 'mrs x0, zcr_el2',
  msr_zcr_el2: 'msr zcr_el2, x0',
  mrs_smcr_el2: 'mrs x0, smcr_el2',
  msr_smcr_el2: 'msr smcr_el2, x0',
  mrs_fpcr: 'mrs x0, fpcr',
  msr_fpcr: 'msr fpcr, x0',
};

/** The value an MSR case writes (the register's current value, or 0). */
function x0For(cls: InsnClass, ctx: TrapContext): number {
  if (cls === 'msr_svcr') return ctx.svcr;
  if (cls === 'msr_smcr_el1') return ctx.smcr_el1;
  if (cls === 'msr_smcr_el2') return ctx.smcr_el2;
  return 0;
}

export interface QemuCase {
  cls: InsnClass;
  ctx: TrapContext;
}

/** What QEMU reported: the EL the exception was taken to and ESR_ELx. */
export interface QemuResult {
  el: number;
  esr: number;
}

const CASE_BYTES = 80;
const HCR_RW = 2 ** 31;
const CPTR_NVHE_OPEN = 0x22ff; // RES1 bits, TZ = TFP = TSM = 0
const UART = 0x09000000;

function hex64(v: number): string {
  return '0x' + BigInt(v).toString(16);
}

function stubLabel(cls: InsnClass, el: number): string {
  return `stub_${cls}_el${el}`;
}

/** The assembler source of the program for one feature set. */
export function programSource(cases: readonly QemuCase[], f: TrapFeatures): string {
  const stubs = new Set<string>();
  const table: string[] = [];
  for (const { cls, ctx } of cases) {
    stubs.add(`${cls}:${ctx.el}`);
    table.push(
      `  .quad ${hex64(ctx.hcr_el2)}, ${hex64(ctx.cptr_el2)}, ${hex64(ctx.cpacr_el1)}, ${hex64(ctx.smcr_el1)}, ` +
        `${hex64(ctx.smcr_el2)}, ${hex64(ctx.svcr)}, ${hex64(x0For(cls, ctx))}, ${stubLabel(cls, ctx.el)}, ${ctx.el}, 0`,
    );
  }
  const stubText = [...stubs].map((key) => {
    const [cls, el] = key.split(':') as [InsnClass, string];
    const after = el === '0' ? 'svc #2' : 'hvc #2';
    return `${stubLabel(cls, Number(el))}:\n  ${INSTRUCTION[cls]}\n  ${after}\n1: b 1b\n`;
  });
  const sme = f.sme ? 1 : 0;
  return `// Generated by packages/machine/qemu/harness.ts: ${cases.length} trap cases.
  .arch armv9-a+sme
  .equ NCASES, ${cases.length}
  .equ HAVE_SME, ${sme}
  .equ CASE_BYTES, ${CASE_BYTES}
  .equ UART, ${hex64(UART)}

  .text
  .global _start
_start:
  ldr x0, =stack_top
  mov sp, x0
  adr x0, el2_vectors
  msr vbar_el2, x0
  ldr x0, =${hex64(HCR_RW)}
  msr hcr_el2, x0
  isb
  adr x0, el1_vectors
  msr vbar_el1, x0
  mov x19, #0
  ldr x21, =results
  ldr x23, =NCASES

next_case:
  mov x22, #0             // in setup: an exception now is a harness fault (EL 0xe)
  cmp x19, x23
  b.ge finish
  ldr x20, =cases
  mov x0, #CASE_BYTES
  madd x20, x19, x0, x20
  // Reset: E2H = 0, CPTR_EL2 open, then the EL1-side registers and PSTATE.SM/ZA.
  ldr x0, =${hex64(HCR_RW)}
  msr hcr_el2, x0
  isb
  ldr x0, =${hex64(CPTR_NVHE_OPEN)}
  msr cptr_el2, x0
  isb
  ldr x0, [x20, #16]
  msr cpacr_el1, x0
  .if HAVE_SME
  ldr x0, [x20, #24]
  msr smcr_el1, x0
  ldr x0, [x20, #32]
  msr smcr_el2, x0
  ldr x0, [x20, #40]
  msr svcr, x0
  .endif
  // The case's HCR_EL2 and CPTR_EL2.
  ldr x0, [x20, #0]
  msr hcr_el2, x0
  isb
  ldr x0, [x20, #8]
  msr cptr_el2, x0
  isb
  ldr x1, [x20, #56]
  ldr x2, [x20, #64]
  ldr x0, [x20, #48]
  mov x22, #1             // the case's instruction runs from here
  cmp x2, #2
  b.eq 1f
  msr elr_el2, x1
  mov x3, #0x3c0          // DAIF masked, EL0t
  cmp x2, #1
  b.ne 2f
  mov x3, #0x3c5          // DAIF masked, EL1h
2:
  msr spsr_el2, x3
  isb
  eret
1:
  br x1

// Record (x4 = EL, x5 = ESR) for case x19, go on.
record:
  cbnz x22, 7f
  mov x4, #0xe
7:
  add x6, x21, x19, lsl #4
  str x4, [x6]
  str x5, [x6, #8]
  add x19, x19, #1
  b next_case

el2_current_sync:
  mov x4, #2
  mrs x5, esr_el2
  b record

el2_lower_sync:
  mrs x5, esr_el2
  lsr x6, x5, #26
  cmp x6, #0x16           // HVC64
  b.ne 1f
  and x7, x5, #0xffff
  cmp x7, #1              // hvc #1: forwarded from the EL1 vectors, x0 = ESR_EL1
  b.ne 1f
  mov x4, #1
  mov x5, x0
  b record
1:
  mov x4, #2
  b record

el1_sync:
  mrs x0, esr_el1
  hvc #1
1: b 1b

unexpected:
  mov x4, #0xf
  mrs x5, esr_el2
  b record

// Print "<el><esr as 8 hex digits>" and a newline per case, then PSCI SYSTEM_OFF.
finish:
  ldr x9, =UART
  mov x19, #0
3:
  cmp x19, x23
  b.ge 5f
  add x6, x21, x19, lsl #4
  ldr x4, [x6]
  ldr x5, [x6, #8]
  and x5, x5, #0xffffffff
  lsl x5, x5, #28
  orr x5, x5, x4, lsl #60
  mov x7, #9
4:
  lsr x8, x5, #60
  cmp x8, #10
  add x10, x8, #48        // '0'
  add x11, x8, #87        // 'a' - 10
  csel x8, x10, x11, lo
  strb w8, [x9]
  lsl x5, x5, #4
  subs x7, x7, #1
  b.ne 4b
  mov x8, #10             // newline
  strb w8, [x9]
  add x19, x19, #1
  b 3b
5:
  mov x8, #69             // 'E'
  strb w8, [x9]
  mov x8, #10
  strb w8, [x9]
  ldr x0, =0x84000008
  smc #0
6: b 6b

  .balign 2048
el2_vectors:
  .rept 4
  .balign 128
  b unexpected
  .endr
  .balign 128
  b el2_current_sync      // current EL, SP_ELx, synchronous
  .rept 3
  .balign 128
  b unexpected
  .endr
  .balign 128
  b el2_lower_sync        // lower EL, AArch64, synchronous
  .rept 7
  .balign 128
  b unexpected
  .endr

  .balign 2048
el1_vectors:
  .rept 4
  .balign 128
  b .
  .endr
  .balign 128
  b el1_sync              // current EL, SP_ELx
  .rept 3
  .balign 128
  b .
  .endr
  .balign 128
  b el1_sync              // lower EL, AArch64
  .rept 7
  .balign 128
  b .
  .endr

${stubText.join('')}
  .ltorg

  .data
  .balign 64
cases:
${table.join('\n')}

  .bss
  .balign 64
results:
  .skip ${16 * Math.max(cases.length, 1)}
  .balign 16
  .skip 4096
stack_top:
`;
}

/** Assembles and links a program; returns the ELF path inside `dir`. */
function build(source: string, dir: string): string {
  const src = join(dir, 'prog.S');
  const obj = join(dir, 'prog.o');
  const elf = join(dir, 'prog.elf');
  writeFileSync(src, source);
  for (const [tool, args] of [
    [AS, [src, '-o', obj]],
    [LD, ['-Ttext=0x40080000', '-e', '_start', obj, '-o', elf]],
  ] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} failed: ${(r.stderr || String(r.error)).slice(0, 2000)}`);
  }
  return elf;
}

/** Runs the cases (all with the same features) in one QEMU boot. */
export function runBatch(cases: readonly QemuCase[], f: TrapFeatures): QemuResult[] {
  if (cases.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'kvmfp-qemu-'));
  try {
    const elf = build(programSource(cases, f), dir);
    const r = spawnSync(
      QEMU,
      [
        '-M',
        'virt,virtualization=on,gic-version=3',
        '-cpu',
        cpuOption(f),
        '-m',
        '256',
        '-nographic',
        '-monitor',
        'none',
        '-nic',
        'none',
        '-kernel',
        elf,
      ],
      { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const lines = r.stdout.split(/\r?\n/).filter((l) => /^[0-9a-f]{9}$/.test(l));
    if (!r.stdout.includes('E\n') && !r.stdout.includes('E\r\n')) {
      throw new Error(`qemu did not finish (status ${r.status}): ${r.stderr.slice(0, 500)}`);
    }
    if (lines.length !== cases.length)
      throw new Error(`qemu printed ${lines.length} results for ${cases.length} cases`);
    const results = lines.map((l) => ({ el: parseInt(l.slice(0, 1), 16), esr: parseInt(l.slice(1), 16) }));
    const fault = results.findIndex((x) => x.el === 0xe);
    if (fault >= 0) {
      const esr = results[fault].esr;
      throw new Error(
        `harness fault in the setup of case ${fault} (ESR_EL2 0x${esr.toString(16)}) with -cpu ${cpuOption(f)}`,
      );
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a QEMU result as a TrapOutcome (HVC #2 / SVC #2 = executed; EC 0 = UNDEFINED). */
export function outcomeOf(r: QemuResult): TrapOutcome | { kind: 'unexpected'; el: number; esr: number } {
  const ec = (r.esr >>> 26) & 0x3f;
  const iss = r.esr & 0x1ffffff;
  if ((ec === 0x16 || ec === 0x15) && (iss & 0xffff) === 2) return { kind: 'execute' };
  if (r.el !== 1 && r.el !== 2) return { kind: 'unexpected', el: r.el, esr: r.esr };
  if (ec === 0) return { kind: 'undef', el: r.el };
  return { kind: 'trap', el: r.el, ec, iss };
}

/** Runs cases of any feature sets (one boot per feature set, `perBoot` cases at most per boot). */
export function runCases(cases: readonly QemuCase[], perBoot = 50_000): QemuResult[] {
  const out: QemuResult[] = new Array<QemuResult>(cases.length);
  for (const f of QEMU_FEATURE_SETS) {
    const idx: number[] = [];
    cases.forEach((c, i) => {
      if (sameFeatures(c.ctx.features, f)) idx.push(i);
    });
    for (let start = 0; start < idx.length; start += perBoot) {
      const part = idx.slice(start, start + perBoot);
      const res = runBatch(
        part.map((i) => cases[i]),
        f,
      );
      part.forEach((i, k) => (out[i] = res[k]));
    }
  }
  cases.forEach((c, i) => {
    if (!out[i]) throw new Error(`case ${i} (${c.cls}) has a feature set QEMU cannot express`);
  });
  return out;
}
