import { FPSR_RESET, UNKNOWN, ZERO } from '@kvmfp/machine';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addFault,
  EFAULT,
  EINVAL,
  ESR_MAGIC,
  EXTRA_MAGIC,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  FPSIMD_MAGIC,
  type ksignal,
  minsigstksz_setup,
  newUserMemory,
  offsetof_sigframe_reserved,
  parse_user_sigframe,
  poke,
  restore_sigframe,
  setup_rt_frame,
  SIGFRAME_FIELDS as F,
  sizeof_fpsimd_context,
  SVE_MAGIC,
  SVE_SIG_CONTEXT_SIZE,
  SVE_SIG_FLAG_SM,
  sys_rt_sigreturn,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
  TPIDR2_MAGIC,
  type user_ctxs,
  type UserMemory,
  ZA_MAGIC,
  ZA_SIG_CONTEXT_SIZE,
  ZT_MAGIC,
  ZT_SIG_CONTEXT_SIZE,
  type sig_pt_regs,
  type task_struct,
} from './index.js';
import { createTestWorld, findingsOf, onCpu, runPath, type TestWorld } from './testing.js';
import {
  enterUser,
  frameRecord,
  frameRecords,
  hasFlag,
  liveRegs,
  recordField,
  returnToUser,
  switchTo,
  symbolic,
  syscallEntry,
} from './testing-host.js';

const u = (n: number) => symbolic(1, n);
const h = (n: number) => symbolic(3, n);
const SIGUSR1 = 10;
const ksig: ksignal = { sig: SIGUSR1, ka: { sa: { sa_handler: 0x2000, sa_flags: 0, sa_restorer: 0 } } };
const NR_RT_SIGRETURN = 139;

/** Delivers SIGUSR1 to the task current on `cpu` (it entered the kernel by an interrupt). */
function deliver(w: TestWorld, cpu: number, mm: UserMemory, atPoint?: (label: string) => void): number {
  onCpu(w, cpu);
  const t = w.kernel.percpu[cpu].current;
  return runPath(setup_rt_frame(SIGUSR1, ksig, 0, t.regs as sig_pt_regs, mm), atPoint).result;
}

/** The handler calls sigreturn (an SVC): entry discard, then sys_rt_sigreturn, then return to user. */
function sigreturn(w: TestWorld, cpu: number, mm: UserMemory): void {
  syscallEntry(w, cpu, NR_RT_SIGRETURN);
  const t = w.kernel.percpu[cpu].current;
  runPath(sys_rt_sigreturn(t.regs as sig_pt_regs, mm));
  returnToUser(w, cpu);
}

const sp = (t: task_struct) => (t.regs as sig_pt_regs).sp;

describe('signal delivery and sigreturn round trip', () => {
  it('gives an FPSIMD-only task its V, FPSR/FPCR back after the handler changed them', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { values: { V: u(1), FPSR: u(2) } });
    const mm = newUserMemory();
    expect(deliver(w, 0, mm)).toBe(0);

    const sf = sp(a);
    expect(frameRecords(mm, sf).map((r) => [r.magic, r.size])).toEqual([
      [FPSIMD_MAGIC, sizeof_fpsimd_context],
      [SVE_MAGIC, 16],
      [TPIDR2_MAGIC, 16],
      [ZA_MAGIC, 16],
      [0, 0],
    ]);
    const fp = frameRecord(mm, sf, FPSIMD_MAGIC);
    expect(recordField(mm, fp, F.fpsimd_vregs)).toBe(u(1));
    expect(recordField(mm, fp, F.fpsimd_fpsr)).toBe(u(2));
    const sve = frameRecord(mm, sf, SVE_MAGIC);
    expect(recordField(mm, sve, F.sve_vl)).toBe(64);
    expect(recordField(mm, sve, F.sve_flags)).toBe(0);
    expect(recordField(mm, frameRecord(mm, sf, ZA_MAGIC), F.za_vl)).toBe(32);

    // The handler runs and changes its registers.
    returnToUser(w, 0);
    Object.assign(w.machine.cpus[0].regs, { V: h(1), FPSR: h(2) });
    sigreturn(w, 0, mm);
    expect(liveRegs(w, 0)).toMatchObject({ V: u(1), FPSR: u(2), svcr: 0 });
    expect(hasFlag(a, TIF_SVE)).toBe(false);
    expect(w.kernel.findings).toEqual([]);
  });

  it('gives an SVE task all of Z, P, FFR back (full SVE record, VL 64)', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sve: true, values: { V: u(1), Zhi: u(2), P: u(3), FFR: u(4), FPSR: u(5) } });
    const mm = newUserMemory();
    expect(deliver(w, 0, mm)).toBe(0);

    const sf = sp(a);
    const sve = frameRecord(mm, sf, SVE_MAGIC);
    expect(sve.size).toBe(Math.ceil(SVE_SIG_CONTEXT_SIZE(4) / 16) * 16);
    expect(recordField(mm, sve, F.sve_regs(4), 4)).toEqual({
      vq: 4,
      zlo: u(1),
      zhi: u(2),
      p: u(3),
      ffr: u(4),
    });
    // The FPSIMD record carries the V part of Z too.
    expect(recordField(mm, frameRecord(mm, sf, FPSIMD_MAGIC), F.fpsimd_vregs)).toBe(u(1));

    returnToUser(w, 0);
    Object.assign(w.machine.cpus[0].regs, { V: h(1), Zhi: h(2), P: h(3), FFR: h(4), FPSR: h(5) });
    sigreturn(w, 0, mm);
    expect(liveRegs(w, 0)).toMatchObject({ V: u(1), Zhi: u(2), P: u(3), FFR: u(4), FPSR: u(5) });
    expect(hasFlag(a, TIF_SVE)).toBe(true);
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
    expect(w.kernel.findings).toEqual([]);
  });

  it('starts the handler with SM and ZA off and restores streaming mode and ZA at sigreturn', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sm: true, za: true, values: { V: u(1), Zhi: u(2), P: u(3), FPSR: u(5), ZA: u(6) } });
    const mm = newUserMemory();
    expect(deliver(w, 0, mm)).toBe(0);

    const sf = sp(a);
    const sve = frameRecord(mm, sf, SVE_MAGIC);
    expect(recordField(mm, sve, F.sve_flags)).toBe(SVE_SIG_FLAG_SM);
    expect(recordField(mm, sve, F.sve_vl)).toBe(32);
    // Without FA64 the streaming save leaves FFR's slot zero.
    expect(recordField(mm, sve, F.sve_regs(2), 2)).toEqual({
      vq: 2,
      zlo: u(1),
      zhi: u(2),
      p: u(3),
      ffr: ZERO,
    });
    const za = frameRecord(mm, sf, ZA_MAGIC);
    expect(za.size).toBe(ZA_SIG_CONTEXT_SIZE(2));
    expect(recordField(mm, za, F.za_regs(2), 2)).toEqual({ vq: 2, za: u(6) });

    // Handler entry: streaming mode and ZA off in the registers and in the saved SVCR.
    expect(a.thread.svcr).toBe(0);
    expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
    returnToUser(w, 0);
    expect(liveRegs(w, 0)).toMatchObject({ svcr: 0, V: ZERO, FPSR: FPSR_RESET, ZA: ZERO });

    Object.assign(w.machine.cpus[0].regs, { V: h(1) });
    sigreturn(w, 0, mm);
    expect(liveRegs(w, 0)).toMatchObject({
      svcr: SVCR_SM_MASK | SVCR_ZA_MASK,
      V: u(1),
      Zhi: u(2),
      P: u(3),
      FPSR: u(5),
      ZA: u(6),
    });
    expect(hasFlag(a, TIF_SME)).toBe(true);
    expect(w.kernel.findings).toEqual([]);
  });

  it('puts large SVE and ZA records in the extra space and finds them again', () => {
    const w = createTestWorld({ sveVls: [16, 32, 64, 128, 256], smeVls: [16, 32, 64, 128, 256] });
    const a = w.users[0];
    a.thread.vl = [256, 128];
    enterUser(w, a, 0, { sve: true, za: true, values: { V: u(1), Zhi: u(2), P: u(3), FFR: u(4), ZA: u(6) } });
    const mm = newUserMemory();
    expect(deliver(w, 0, mm)).toBe(0);

    const recs = frameRecords(mm, sp(a));
    expect(recs.map((r) => r.magic)).toEqual([
      FPSIMD_MAGIC,
      EXTRA_MAGIC,
      SVE_MAGIC,
      TPIDR2_MAGIC,
      ZA_MAGIC,
      0,
    ]);
    const sve = recs[2];
    expect(sve.addr).toBe(recs[1].addr + 32 + 16);
    expect(recordField(mm, sve, F.sve_regs(16), 16)).toMatchObject({ zlo: u(1), zhi: u(2) });

    returnToUser(w, 0);
    Object.assign(w.machine.cpus[0].regs, { V: h(1), Zhi: h(2), ZA: h(6) });
    sigreturn(w, 0, mm);
    expect(liveRegs(w, 0)).toMatchObject({ V: u(1), Zhi: u(2), P: u(3), FFR: u(4), ZA: u(6) });
    expect(w.kernel.findings).toEqual([]);
  });

  it('writes ZT0 (SME2) while ZA is on and restores it after ZA', () => {
    const w = createTestWorld({ sme2: true });
    const a = w.users[0];
    enterUser(w, a, 0, { za: true, values: { V: u(1), ZA: u(6), ZT0: u(7) } });
    const mm = newUserMemory();
    expect(deliver(w, 0, mm)).toBe(0);
    const zt = frameRecord(mm, sp(a), ZT_MAGIC);
    expect(zt.size).toBe(ZT_SIG_CONTEXT_SIZE(1));
    expect(recordField(mm, zt, F.zt_nregs)).toBe(1);
    expect(recordField(mm, zt, F.zt_regs(1))).toBe(u(7));

    returnToUser(w, 0);
    Object.assign(w.machine.cpus[0].regs, { V: h(1) });
    sigreturn(w, 0, mm);
    expect(liveRegs(w, 0)).toMatchObject({ V: u(1), ZA: u(6), ZT0: u(7), svcr: SVCR_ZA_MASK });
  });

  it('round-trips any shape of user state (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          sve: fc.boolean(),
          sm: fc.boolean(),
          za: fc.boolean(),
          sme2: fc.boolean(),
          fa64: fc.boolean(),
        }),
        (s) => {
          const w = createTestWorld({ sme2: s.sme2, fa64: s.fa64 });
          const a = w.users[0];
          const values = { V: u(1), Zhi: u(2), P: u(3), FFR: u(4), FPSR: u(5), ZA: u(6), ZT0: u(7) };
          enterUser(w, a, 0, { sve: s.sve, sm: s.sm, za: s.za, values, tpidr2: u(8) });
          const before = liveRegs(w, 0);
          const mm = newUserMemory();
          expect(deliver(w, 0, mm)).toBe(0);
          returnToUser(w, 0);
          Object.assign(w.machine.cpus[0].regs, { V: h(1), Zhi: h(2), P: h(3), FFR: h(4), FPSR: h(5) });
          sigreturn(w, 0, mm);
          const after = liveRegs(w, 0);
          // V and FPSR always come back; the rest of the SVE state when SVE or streaming mode was
          // in use; ZA and ZT0 when ZA was on. TPIDR2 is not restored by v6.4 (see below).
          expect(after.V).toBe(before.V);
          expect(after.FPSR).toBe(before.FPSR);
          expect(after.svcr).toBe(before.svcr);
          if (s.sve || s.sm) expect([after.Zhi, after.P]).toEqual([before.Zhi, before.P]);
          // FFR is not accessible in streaming mode without FA64.
          if ((s.sve && !s.sm) || (s.sm && s.fa64)) expect(after.FFR).toBe(before.FFR);
          if (s.za) expect(after.ZA).toBe(before.ZA);
          if (s.za && s.sme2) expect(after.ZT0).toBe(before.ZT0);
          expect(w.kernel.findings).toEqual([]);
        },
      ),
      { numRuns: 64 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Frames built by hand, for the kernel's validation.

type Rec =
  | { kind: 'fpsimd'; size?: number; vregs?: number; fpsr?: number }
  | { kind: 'sve'; size?: number; vl: number; flags?: number; regs?: { vq: number } }
  | { kind: 'za'; size?: number; vl: number; regs?: { vq: number } }
  | { kind: 'zt'; size?: number; nregs?: number }
  | { kind: 'tpidr2'; size?: number; value?: number }
  | { kind: 'extra'; size?: number; datap?: number; extraSize?: number }
  | { kind: 'raw'; magic: number; size: number; span?: number };

const SF = 0x10_0000;

/** Writes the records one after the other into __reserved[] of a frame at SF (and returns addresses). */
function buildFrame(mm: UserMemory, recs: Rec[], start = SF + offsetof_sigframe_reserved): number[] {
  let a = start;
  const at: number[] = [];
  const put = (off: number, len: number, kind: 'num' | 'vregs' | 'fpsr' | 'tpidr2' | 'zt', v: number) =>
    poke(mm, a + off, len, kind, v);
  for (const r of recs) {
    at.push(a);
    let size: number;
    let magic: number;
    switch (r.kind) {
      case 'fpsimd':
        magic = FPSIMD_MAGIC;
        size = r.size ?? sizeof_fpsimd_context;
        put(F.fpsimd_vregs.off, 512, 'vregs', r.vregs ?? u(1));
        put(F.fpsimd_fpsr.off, 8, 'fpsr', r.fpsr ?? u(2));
        break;
      case 'sve':
        magic = SVE_MAGIC;
        size = r.size ?? (r.regs ? Math.ceil(SVE_SIG_CONTEXT_SIZE(r.regs.vq) / 16) * 16 : 16);
        put(F.sve_vl.off, 2, 'num', r.vl);
        put(F.sve_flags.off, 2, 'num', r.flags ?? 0);
        if (r.regs) {
          const f = F.sve_regs(r.regs.vq);
          poke(mm, a + f.off, f.len, 'sve', { vq: r.regs.vq, zlo: u(11), zhi: u(12), p: u(13), ffr: u(14) });
        }
        break;
      case 'za':
        magic = ZA_MAGIC;
        size = r.size ?? (r.regs ? ZA_SIG_CONTEXT_SIZE(r.regs.vq) : 16);
        put(F.za_vl.off, 2, 'num', r.vl);
        if (r.regs) {
          const f = F.za_regs(r.regs.vq);
          poke(mm, a + f.off, f.len, 'za', { vq: r.regs.vq, za: u(16) });
        }
        break;
      case 'zt':
        magic = ZT_MAGIC;
        size = r.size ?? ZT_SIG_CONTEXT_SIZE(1);
        put(F.zt_nregs.off, 2, 'num', r.nregs ?? 1);
        put(F.zt_regs(1).off, 64, 'zt', u(17));
        break;
      case 'tpidr2':
        magic = TPIDR2_MAGIC;
        size = r.size ?? 16;
        put(F.tpidr2_tpidr2.off, 8, 'tpidr2', r.value ?? u(18));
        break;
      case 'extra':
        magic = EXTRA_MAGIC;
        size = r.size ?? 32;
        put(F.extra_datap.off, 8, 'num', r.datap ?? a + size + 16);
        put(F.extra_size.off, 4, 'num', r.extraSize ?? 0);
        break;
      case 'raw':
        magic = r.magic;
        size = r.size;
        break;
    }
    put(0, 4, 'num', magic);
    put(4, 4, 'num', size);
    a += r.kind === 'raw' && r.span !== undefined ? r.span : size;
  }
  // Terminator.
  at.push(a);
  poke(mm, a, 4, 'num', 0);
  poke(mm, a + 4, 4, 'num', 0);
  return at;
}

/** restore_sigframe on the frame at SF for user 0 (in user space before, as an FPSIMD task). */
function restoreWith(w: TestWorld, mm: UserMemory): number {
  const a = w.users[0];
  if (w.kernel.percpu[0].current !== a) enterUser(w, a, 0, { values: { V: h(1) } });
  syscallEntry(w, 0, NR_RT_SIGRETURN);
  return runPath(restore_sigframe(a.regs as sig_pt_regs, { mm, addr: SF })).result;
}

function parse(w: TestWorld, mm: UserMemory): number {
  const a = w.users[0];
  enterUser(w, a, 0);
  const user = {} as user_ctxs;
  return parse_user_sigframe(user, { mm, addr: SF });
}

describe('sigreturn validation (parse_user_sigframe and the restore_* checks)', () => {
  const cases: [string, Rec[], number, Parameters<typeof createTestWorld>[0]?][] = [
    ['a lone fpsimd record', [{ kind: 'fpsimd' }], 0],
    ['no fpsimd record', [{ kind: 'sve', vl: 64 }], -EINVAL],
    ['two fpsimd records', [{ kind: 'fpsimd' }, { kind: 'fpsimd' }], -EINVAL],
    ['an unknown magic', [{ kind: 'fpsimd' }, { kind: 'raw', magic: 0x12345678, size: 16 }], -EINVAL],
    ['an esr record (ignored)', [{ kind: 'fpsimd' }, { kind: 'raw', magic: ESR_MAGIC, size: 16 }], 0],
    [
      'a record smaller than a header',
      [{ kind: 'fpsimd' }, { kind: 'raw', magic: ESR_MAGIC, size: 0, span: 16 }],
      -EINVAL,
    ],
    [
      'a record of unaligned size',
      [{ kind: 'raw', magic: ESR_MAGIC, size: 24 }, { kind: 'fpsimd' }],
      -EINVAL,
    ],
    [
      'a record past __reserved[]',
      [{ kind: 'fpsimd' }, { kind: 'raw', magic: ESR_MAGIC, size: 8192 }],
      -EINVAL,
    ],
    ['a padded fpsimd record', [{ kind: 'fpsimd', size: 544 }], -EINVAL],
    ['an SVE header with another VL', [{ kind: 'fpsimd' }, { kind: 'sve', vl: 32 }], -EINVAL],
    [
      'an SVE record shorter than its registers',
      [{ kind: 'fpsimd' }, { kind: 'sve', vl: 64, size: 512 }],
      -EINVAL,
    ],
    ['an SVE record below the header size', [{ kind: 'fpsimd' }, { kind: 'sve', vl: 64, size: 8 }], -EINVAL],
    ['a full SVE record', [{ kind: 'fpsimd' }, { kind: 'sve', vl: 64, regs: { vq: 4 } }], 0],
    ['two SVE records', [{ kind: 'fpsimd' }, { kind: 'sve', vl: 64 }, { kind: 'sve', vl: 64 }], -EINVAL],
    [
      'a streaming SVE record at the SME VL',
      [{ kind: 'fpsimd' }, { kind: 'sve', vl: 32, flags: 1, regs: { vq: 2 } }],
      0,
    ],
    [
      'a streaming SVE record without SME',
      [{ kind: 'fpsimd' }, { kind: 'sve', vl: 32, flags: 1 }],
      -EINVAL,
      { sme: false },
    ],
    ['a TPIDR2 record without SME', [{ kind: 'fpsimd' }, { kind: 'tpidr2' }], -EINVAL, { sme: false }],
    ['a TPIDR2 record of the wrong size', [{ kind: 'fpsimd' }, { kind: 'tpidr2', size: 32 }], -EINVAL],
    ['a ZA record without SME', [{ kind: 'fpsimd' }, { kind: 'za', vl: 32 }], -EINVAL, { sme: false }],
    ['a ZA record at another VL', [{ kind: 'fpsimd' }, { kind: 'za', vl: 64 }], -EINVAL],
    ['a ZA record shorter than ZA', [{ kind: 'fpsimd' }, { kind: 'za', vl: 32, size: 64 }], -EINVAL],
    ['a full ZA record', [{ kind: 'fpsimd' }, { kind: 'za', vl: 32, regs: { vq: 2 } }], 0],
    [
      'a ZT record without SME2',
      [{ kind: 'fpsimd' }, { kind: 'za', vl: 32, regs: { vq: 2 } }, { kind: 'zt' }],
      -EINVAL,
    ],
    [
      'a ZT record with ZA off',
      [{ kind: 'fpsimd' }, { kind: 'za', vl: 32 }, { kind: 'zt' }],
      -EINVAL,
      { sme2: true },
    ],
    [
      'a ZT record with two registers',
      [{ kind: 'fpsimd' }, { kind: 'za', vl: 32, regs: { vq: 2 } }, { kind: 'zt', nregs: 2 }],
      -EINVAL,
      { sme2: true },
    ],
    [
      'a ZT record of the wrong size',
      [{ kind: 'fpsimd' }, { kind: 'za', vl: 32, regs: { vq: 2 } }, { kind: 'zt', size: 96 }],
      -EINVAL,
      { sme2: true },
    ],
    [
      'ZA and ZT',
      [{ kind: 'fpsimd' }, { kind: 'za', vl: 32, regs: { vq: 2 } }, { kind: 'zt' }],
      0,
      { sme2: true },
    ],
    [
      'an extra_context record pointing elsewhere',
      [{ kind: 'fpsimd' }, { kind: 'extra', datap: SF + 0x4000 }],
      -EINVAL,
    ],
    [
      'an extra_context record of unaligned size',
      [{ kind: 'fpsimd' }, { kind: 'extra', extraSize: 8 }],
      -EINVAL,
    ],
    [
      'an extra_context record beyond SIGFRAME_MAXSZ',
      [{ kind: 'fpsimd' }, { kind: 'extra', extraSize: 1 << 20 }],
      -EINVAL,
    ],
    ['a short extra_context record', [{ kind: 'fpsimd' }, { kind: 'extra', size: 16 }], -EINVAL],
  ];

  for (const [name, recs, expected, opts] of cases) {
    it(`${name}: ${expected === 0 ? 'accepted' : expected}`, () => {
      const w = createTestWorld(opts);
      const mm = newUserMemory();
      buildFrame(mm, recs);
      expect(restoreWith(w, mm)).toBe(expected);
    });
  }

  it('follows an extra_context record into the extra space', () => {
    const w = createTestWorld();
    const mm = newUserMemory();
    // fpsimd, extra, terminator of __reserved[], then the extra space with an SVE record.
    const at = buildFrame(mm, [{ kind: 'fpsimd' }, { kind: 'extra', extraSize: 32 }]);
    const extraSpace = at[2] + 16;
    buildFrame(mm, [{ kind: 'sve', vl: 64 }], extraSpace);
    expect(restoreWith(w, mm)).toBe(0);
    // A second extra_context record in the extra space is refused.
    const mm2 = newUserMemory();
    const at2 = buildFrame(mm2, [{ kind: 'fpsimd' }, { kind: 'extra', extraSize: 64 }]);
    buildFrame(mm2, [{ kind: 'extra', extraSize: 0 }], at2[2] + 16);
    expect(restoreWith(createTestWorld(), mm2)).toBe(-EINVAL);
  });

  it('needs the terminator of __reserved[] right after the extra_context record', () => {
    const w = createTestWorld();
    const mm = newUserMemory();
    const at = buildFrame(mm, [{ kind: 'fpsimd' }, { kind: 'extra', extraSize: 0 }]);
    poke(mm, at[2] + 4, 4, 'num', 16);
    expect(parse(w, mm)).toBe(-EINVAL);
  });

  it('turns a faulting record header into -EFAULT, and faulting register data too', () => {
    const w = createTestWorld();
    const mm = newUserMemory();
    const at = buildFrame(mm, [{ kind: 'fpsimd' }, { kind: 'sve', vl: 64 }]);
    addFault(mm, at[1], at[1] + 8);
    expect(parse(w, mm)).toBe(-EFAULT);

    const w2 = createTestWorld();
    const mm2 = newUserMemory();
    const at2 = buildFrame(mm2, [{ kind: 'fpsimd' }]);
    addFault(mm2, at2[0] + 16, at2[0] + 32);
    const a = w2.users[0];
    enterUser(w2, a, 0, { sve: true, values: { V: h(1) } });
    expect(restoreWith(w2, mm2)).toBe(-EFAULT);
    // The format change happened before the failed load was noticed; the registers were not loaded.
    expect(hasFlag(a, TIF_SVE)).toBe(false);
    expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
    expect(hasFlag(a, TIF_FOREIGN_FPSTATE)).toBe(false);
  });

  it('treats a misaligned stack pointer or a failed restore as a bad frame (SIGSEGV)', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0);
    const mm = newUserMemory();
    buildFrame(mm, [{ kind: 'fpsimd' }]);
    const regs = a.regs as sig_pt_regs;
    regs.sp = SF + 8;
    syscallEntry(w, 0, NR_RT_SIGRETURN);
    expect(runPath(sys_rt_sigreturn(regs, mm)).result).toBe(0);
    expect(findingsOf(w)).toEqual(['signal:arm64_notify_segfault:signal 11']);

    const w2 = createTestWorld();
    const mm2 = newUserMemory();
    buildFrame(mm2, [{ kind: 'sve', vl: 64 }]);
    const b = w2.users[0];
    enterUser(w2, b, 0);
    (b.regs as sig_pt_regs).sp = SF;
    syscallEntry(w2, 0, NR_RT_SIGRETURN);
    runPath(sys_rt_sigreturn(b.regs as sig_pt_regs, mm2));
    expect(findingsOf(w2)).toEqual(['signal:arm64_notify_segfault:signal 11']);
  });

  it('accepts a header-only streaming SVE record and leaves streaming mode', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sm: true, values: { V: h(1) } });
    const mm = newUserMemory();
    buildFrame(mm, [{ kind: 'fpsimd' }, { kind: 'sve', vl: 32, flags: SVE_SIG_FLAG_SM }]);
    expect(restoreWith(w, mm)).toBe(0);
    expect(a.thread.svcr & SVCR_SM_MASK).toBe(0);
    returnToUser(w, 0);
    expect(liveRegs(w, 0)).toMatchObject({ svcr: 0, V: u(1), FPSR: u(2) });
  });

  it('fails delivery when the frame cannot be written, and then does not touch SM/ZA', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sm: true, za: true, values: { V: u(1) } });
    const mm = newUserMemory();
    // Fault the whole region below the stack pointer where the frame goes.
    const top = (a.regs as sig_pt_regs).sp;
    addFault(mm, top - 0x2000, top - 0x800);
    expect(deliver(w, 0, mm)).not.toBe(0);
    expect(a.thread.svcr).toBe(SVCR_SM_MASK | SVCR_ZA_MASK);
    expect((a.regs as sig_pt_regs).sp).toBe(top);
  });

  it('computes the worst-case frame size for AT_MINSIGSTKSZ', () => {
    const w = createTestWorld({ sveVls: [16, 32, 64, 128, 256], smeVls: [16, 32, 64, 128, 256], sme2: true });
    onCpu(w, 0);
    // __reserved[] offset 592; fpsimd 528, esr 16; SVE at vq 16 (8752) does not fit, so extra (32)
    // and the __reserved[] terminator (16) come first; then TPIDR2 16, ZA 16, ZT 80, the end 16.
    // ZA counts as a bare header: even for the worst case, its size follows whether the task doing
    // the computation has ZA on (at boot it has not), so a ZA payload is not provided for.
    // Then the frame record (16) and alignment slack (16).
    expect(minsigstksz_setup()).toBe(592 + 528 + 16 + 32 + 16 + 8752 + 16 + 16 + 80 + 16 + 16 + 16);
  });
});

// ---------------------------------------------------------------------------------------------
// Behaviour of v6.4 that looks unintended (each test pins what v6.4 does).

describe('v6.4 behaviour worth knowing', () => {
  it('restores TPIDR2 only into the saved copy, so the handler value stays live', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { tpidr2: u(8) });
    const mm = newUserMemory();
    deliver(w, 0, mm);
    expect(recordField(mm, frameRecord(mm, sp(a), TPIDR2_MAGIC), F.tpidr2_tpidr2)).toBe(u(8));
    returnToUser(w, 0);
    w.machine.cpus[0].sys.tpidr2_el0 = h(8);
    sigreturn(w, 0, mm);
    expect(a.thread.tpidr2_el0).toBe(u(8));
    expect(liveRegs(w, 0).tpidr2).toBe(h(8));
    // The next context switch saves the live value over the restored one.
    switchTo(w, 0, w.idle[0]);
    expect(a.thread.tpidr2_el0).toBe(h(8));
  });

  it('writes a stale FPSIMD record for a streaming task without TIF_SVE', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sm: true, values: { V: u(1), Zhi: u(2), P: u(3), FPSR: u(5) } });
    const mm = newUserMemory();
    deliver(w, 0, mm);
    const sf = sp(a);
    expect(recordField(mm, frameRecord(mm, sf, SVE_MAGIC), F.sve_regs(2), 2).zlo).toBe(u(1));
    // The FPSIMD record's V0-V31 come from the FPSIMD copy, which the streaming save did not touch.
    expect(recordField(mm, frameRecord(mm, sf, FPSIMD_MAGIC), F.fpsimd_vregs)).toBe(ZERO);
  });

  it('can enter the handler in streaming mode with ZA on if preempted inside setup_return', () => {
    const w = createTestWorld();
    const [a, b] = w.users;
    enterUser(w, a, 0, { sm: true, za: true, values: { V: u(1), ZA: u(6) } });
    const mm = newUserMemory();
    const r = deliver(w, 0, mm, (label) => {
      if (label !== 'setup_return:before sme_smstop') return;
      // Preempted: b runs on this CPU and uses FP, then a is switched back in.
      switchTo(w, 0, b);
      returnToUser(w, 0);
      w.machine.cpus[0].regs.V = symbolic(2, 1);
      switchTo(w, 0, a);
    });
    expect(r).toBe(0);
    returnToUser(w, 0);
    // The saved SVCR was rewritten by the preemption's save, so the handler gets SM and ZA.
    expect(liveRegs(w, 0).svcr).toBe(SVCR_SM_MASK | SVCR_ZA_MASK);
    expect(liveRegs(w, 0).ZA).toBe(u(6));
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
  });

  it('leaves ZA on after sigreturn when the handler turned it on and was switched out', () => {
    const w = createTestWorld();
    const a = w.users[0];
    // a has used SME (TIF_SME), ZA is off when the signal comes.
    enterUser(w, a, 0, { za: true, values: { V: u(1) } });
    w.machine.cpus[0].sys.svcr = 0;
    a.thread.svcr = 0;
    const mm = newUserMemory();
    deliver(w, 0, mm);
    expect(frameRecord(mm, sp(a), ZA_MAGIC).size).toBe(16);
    returnToUser(w, 0);
    // The handler turns ZA on (no trap: TIF_SME) and writes it, then is preempted and comes back.
    w.machine.cpus[0].sys.svcr = SVCR_ZA_MASK;
    w.machine.cpus[0].regs.ZA = h(6);
    switchTo(w, 0, w.idle[0]);
    switchTo(w, 0, a);
    returnToUser(w, 0);
    sigreturn(w, 0, mm);
    // The frame said ZA off; the registers, loaded from the stale saved SVCR, keep it on.
    expect(a.thread.svcr & SVCR_ZA_MASK).toBe(0);
    expect(liveRegs(w, 0).svcr & SVCR_ZA_MASK).toBe(SVCR_ZA_MASK);
    expect(liveRegs(w, 0).ZA).toBe(h(6));
    expect(UNKNOWN).not.toBe(h(6));
  });
});
