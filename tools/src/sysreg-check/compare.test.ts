import { describe, expect, it } from 'vitest';
import { compareFacts, totals, type OurFacts, type OurRegister } from './compare.js';
import { treeFactsFromText } from './tree.js';

// A hand-made tree: a sysreg file, a header with constants, and an older-style register that is
// described only by header macros (as some are in older kernels).
const SYSREG = `
SysregFields\tDEMO_ELx
Res0\t63:8
UnsignedEnum\t7:4\tMODE
\t0b0000\tNI
\t0b0001\tIMP
EndEnum
Field\t3:0\tLEN
EndSysregFields

Sysreg\tDEMO_EL1\t3\t0\t1\t2\t0
Fields\tDEMO_ELx
EndSysreg

Sysreg\tSTATE\t3\t3\t4\t2\t2
Res0\t63:2
Field\t1\tZA
Field\t0\tSM
EndSysreg
`;
const HEADER = `
#define sys_reg(op0, op1, crn, crm, op2) (((op0) << 19) | ((op1) << 16) | ((crn) << 12) | ((crm) << 8) | ((op2) << 5))
#define DEMO_EN_BIT\t(BIT(20))
#define DEMO_EC_SVE\t0x19
#define SYS_OLD_EL2\tsys_reg(3, 4, 1, 1, 2)
#define OLD_EL2_TZ_SHIFT\t8
#define OLD_EL2_TZ_WIDTH\t1
`;

function correctOurs(): OurFacts {
  const demoFields = [
    { name: 'MODE', msb: 7, lsb: 4, values: { NI: 0, IMP: 1 } },
    { name: 'LEN', msb: 3, lsb: 0 },
  ];
  return {
    sysregFields: [{ name: 'DEMO_ELx', fields: demoFields }],
    sysregs: [
      { name: 'DEMO_EL1', encoding: [3, 0, 1, 2, 0], fieldsFrom: 'DEMO_ELx', fields: demoFields },
      { name: 'STATE', encoding: [3, 3, 4, 2, 2], fields: [{ name: 'ZA', msb: 1, lsb: 1 }] },
      { name: 'OLD_EL2', encoding: [3, 4, 1, 1, 2], fields: [{ name: 'TZ', msb: 8, lsb: 8 }] },
    ],
    constants: new Map([
      ['DEMO_EN_BIT', 2 ** 20],
      ['DEMO_EC_SVE', 0x19],
      ['SYS_STATE', (3 << 19) | (3 << 16) | (4 << 12) | (2 << 8) | (2 << 5)],
      ['DEMO_ELx_LEN_MASK', 0xf],
      ['DEMO_ELx_MODE_IMP', 1],
      ['OURS_ONLY_MACRO', 5],
    ]),
  };
}

/** Replaces one of our registers by name, as a porter's mistake would. */
function withRegister(ours: OurFacts, reg: OurRegister): OurFacts {
  return { ...ours, sysregs: ours.sysregs.map((r) => (r.name === reg.name ? reg : r)) };
}

const facts = () => treeFactsFromText(SYSREG, [['demo.h', HEADER]]);
const statusOf = (ours: OurFacts, name: string) =>
  compareFacts(ours, facts()).find((r) => r.name === name)?.status;

describe('compareFacts', () => {
  it('matches a correct description; a constant missing from the tree is absent, not failed', () => {
    const rows = compareFacts(correctOurs(), facts());
    expect(totals(rows)).toMatchObject({ differs: 0, absent: 1, notEvaluated: 0 });
    expect(rows.find((r) => r.status !== 'matches')?.name).toBe('OURS_ONLY_MACRO');
  });

  it('checks a shared layout once, under its SysregFields name', () => {
    const names = compareFacts(correctOurs(), facts()).map((r) => r.name);
    expect(names).toContain('DEMO_ELx.MODE');
    expect(names).toContain('DEMO_EL1 Fields');
    expect(names).not.toContain('DEMO_EL1.MODE');
  });

  it('catches a wrong field position', () => {
    const ours = withRegister(correctOurs(), {
      name: 'STATE',
      encoding: [3, 3, 4, 2, 2],
      fields: [{ name: 'ZA', msb: 2, lsb: 2 }],
    });
    expect(statusOf(ours, 'STATE.ZA')).toBe('differs');
  });

  it('catches a wrong enum value and a wrong encoding', () => {
    const ours = withRegister(correctOurs(), {
      name: 'DEMO_EL1',
      encoding: [3, 0, 1, 2, 1],
      fieldsFrom: 'DEMO_ELx',
      fields: [],
    });
    ours.sysregFields = [
      { name: 'DEMO_ELx', fields: [{ name: 'MODE', msb: 7, lsb: 4, values: { IMP: 2 } }] },
    ];
    expect(statusOf(ours, 'DEMO_ELx.MODE.IMP')).toBe('differs');
    expect(statusOf(ours, 'SYS_DEMO_EL1 encoding')).toBe('differs');
  });

  it('catches a wrong constant, from a header or from the generated macros', () => {
    const ours = correctOurs();
    ours.constants.set('DEMO_EC_SVE', 0x18);
    ours.constants.set('DEMO_ELx_LEN_MASK', 0x7);
    expect(statusOf(ours, 'DEMO_EC_SVE')).toBe('differs');
    expect(statusOf(ours, 'DEMO_ELx_LEN_MASK')).toBe('differs');
  });

  it('falls back to header macros for a register the sysreg file lacks', () => {
    const rows = compareFacts(correctOurs(), facts());
    expect(rows.find((r) => r.name === 'SYS_OLD_EL2 encoding')?.status).toBe('matches');
    expect(rows.find((r) => r.name === 'OLD_EL2.TZ')?.status).toBe('matches');
    const ours = withRegister(correctOurs(), {
      name: 'OLD_EL2',
      encoding: [3, 4, 1, 1, 2],
      fields: [{ name: 'TZ', msb: 9, lsb: 9 }],
    });
    expect(statusOf(ours, 'OLD_EL2.TZ')).toBe('differs');
  });

  it('reports a register the tree does not have as absent', () => {
    const ours = correctOurs();
    ours.sysregs = [{ name: 'NEW_EL3', encoding: [3, 6, 1, 1, 1], fields: [{ name: 'X', msb: 0, lsb: 0 }] }];
    expect(statusOf(ours, 'SYS_NEW_EL3 encoding')).toBe('absent in tree');
    expect(statusOf(ours, 'NEW_EL3.X')).toBe('absent in tree');
  });
});
