// Property tests of the asm primitives on the banks: a save then a load at the same vector length
// gives the registers back; a load at another length reads garbage; a flush zeroes exactly what the
// primitive zeroes and nothing else.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindCpu, createMachine, FpsimdStorage, SveBuffer, UNKNOWN, ZERO } from './index.js';
import {
  fpsimd_load_state,
  fpsimd_save_state,
  sve_flush_live,
  sve_load_state,
  sve_save_state,
} from './v6.4/entry-fpsimd.js';

const val = fc.integer({ min: 4096, max: 4096 * 20 });
const banks = fc.record({ V: val, Zhi: val, P: val, FFR: val, ZA: val, ZT0: val, FPSR: val });

function machineAt(vq: number) {
  const m = createMachine({
    ncpus: 1,
    features: { fpsimd: true, sve: true, sme: true, sme2: false, fa64: false, vhe: false },
    sveVls: [16, 32, 64],
    smeVls: [16, 32],
  });
  const cpu = m.cpus[0];
  cpu.el = 1;
  cpu.sys.zcr_el1 = vq - 1;
  cpu.sys.zcr_el2 = 3;
  bindCpu(m, 0, () => undefined);
  return cpu;
}

const buffer = (): SveBuffer => ({ capacityVq: 4, layoutVq: 0, zlo: ZERO, zhi: ZERO, p: ZERO, ffr: ZERO });

describe('bank primitives', () => {
  it('fpsimd save then load restores V and FPSR and zeroes the Z bits above 128', () => {
    fc.assert(
      fc.property(banks, banks, (a, b) => {
        const cpu = machineAt(2);
        cpu.regs = { ...a };
        const st: FpsimdStorage = { vregs: ZERO, fpsr: ZERO };
        fpsimd_save_state(st);
        cpu.regs = { ...b };
        fpsimd_load_state(st);
        expect([cpu.regs.V, cpu.regs.FPSR, cpu.regs.Zhi]).toEqual([a.V, a.FPSR, ZERO]);
        expect([cpu.regs.P, cpu.regs.FFR, cpu.regs.ZA]).toEqual([b.P, b.FFR, b.ZA]);
      }),
    );
  });

  it('sve save then load at the same VL restores Z, P, FFR and FPSR', () => {
    fc.assert(
      fc.property(banks, banks, fc.constantFrom(2, 4), fc.boolean(), (a, b, vq, ffr) => {
        const cpu = machineAt(vq);
        cpu.regs = { ...a };
        const buf = buffer();
        const st: FpsimdStorage = { vregs: ZERO, fpsr: ZERO };
        sve_save_state({ buf, vq }, st, ffr);
        cpu.regs = { ...b };
        sve_load_state({ buf, vq }, st, true);
        expect([cpu.regs.V, cpu.regs.Zhi, cpu.regs.P, cpu.regs.FPSR]).toEqual([a.V, a.Zhi, a.P, a.FPSR]);
        expect(cpu.regs.FFR).toBe(ffr ? a.FFR : ZERO);
      }),
    );
  });

  it('a load at another VL than the save reads garbage', () => {
    fc.assert(
      fc.property(banks, (a) => {
        const cpu = machineAt(2);
        cpu.regs = { ...a };
        const buf = buffer();
        const st: FpsimdStorage = { vregs: ZERO, fpsr: ZERO };
        sve_save_state({ buf, vq: 2 }, st, true);
        cpu.sys.zcr_el1 = 3;
        sve_load_state({ buf, vq: 4 }, st, true);
        expect([cpu.regs.V, cpu.regs.Zhi, cpu.regs.P]).toEqual([UNKNOWN, UNKNOWN, UNKNOWN]);
      }),
    );
  });

  it('sve_flush_live zeroes the high Z bits (unless VL is 128), P, and FFR only when asked', () => {
    fc.assert(
      fc.property(banks, fc.constantFrom(0, 1, 3), fc.boolean(), (a, vqMinus1, flushFfr) => {
        const cpu = machineAt(vqMinus1 + 1);
        cpu.regs = { ...a };
        sve_flush_live(flushFfr, vqMinus1);
        expect(cpu.regs).toEqual({
          ...a,
          Zhi: vqMinus1 === 0 ? a.Zhi : ZERO,
          P: ZERO,
          FFR: flushFfr ? ZERO : a.FFR,
        });
      }),
    );
  });
});
