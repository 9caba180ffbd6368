import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { gitSource, treeSource, type KernelSource } from '../shared/source.js';
import {
  have61,
  haveV64,
  LINUX_61_MISSING,
  LINUX_61_TREE,
  runTool,
  skipNote,
  V64_COMMIT,
  V64_GIT_DIR,
  V64_MISSING,
} from '../shared/test-support.js';
import { totals } from './compare.js';
import { checkSource, report, sysregCheck } from './main.js';
import { factsOf } from './ours.js';

const memorySource = (files: Record<string, string>): KernelSource => ({
  label: 'memory',
  read: (path) => files[path],
});

describe('checkSource', () => {
  const exports = {
    SYSREGS: [{ name: 'STATE', encoding: [3, 3, 4, 2, 2], fields: [{ name: 'SM', msb: 0, lsb: 0 }] }],
    DEMO_EC: 0x19,
    helper: () => 1,
    NAMES: ['a'],
  };
  const sysreg = 'Sysreg STATE 3 3 4 2 2\nRes0 63:1\nField 0 SM\nEndSysreg\n';

  it('compares tables and numeric UPPER_CASE exports, skipping the rest', () => {
    const src = memorySource({
      'arch/arm64/tools/sysreg': sysreg,
      'arch/arm64/include/asm/esr.h': '#define DEMO_EC 0x18\n',
    });
    const result = checkSource(src, factsOf(exports));
    expect(result.rows.map((r) => `${r.name}:${r.status}`)).toEqual([
      'SYS_STATE encoding:matches',
      'STATE.SM:matches',
      'DEMO_EC:differs',
    ]);
    expect(result.missing).toEqual(['arch/arm64/include/asm/sysreg.h', 'arch/arm64/include/asm/kvm_arm.h']);
    expect(report('memory', result, true)).toMatch(/checked 3, matches 2, differs 1, absent in tree 0/);
  });

  it('turns a sysreg syntax error into a one-line user error', () => {
    const src = memorySource({ 'arch/arm64/tools/sysreg': 'Sysreg STATE 3 3\n' });
    expect(() => checkSource(src, factsOf(exports))).toThrow(/arch\/arm64\/tools\/sysreg: sysreg line 1/);
  });
});

describe('@kvmfp/sysreg against real kernel trees', () => {
  it.skipIf(!have61)(`linux-source-6.1 has no differing fact${skipNote(have61, LINUX_61_MISSING)}`, () => {
    const t = totals(checkSource(treeSource(LINUX_61_TREE)).rows);
    expect(t.differs).toBe(0);
    expect(t.matches).toBeGreaterThan(100);
  });

  it.skipIf(!haveV64)(`v6.4 has no differing or absent table fact${skipNote(haveV64, V64_MISSING)}`, () => {
    const rows = checkSource(gitSource(V64_GIT_DIR, V64_COMMIT)).rows;
    expect(totals(rows).differs).toBe(0);
    // Everything in the register tables is in the v6.4 sysreg file; only port-only helpers may be absent.
    expect(rows.filter((r) => r.status === 'absent in tree' && r.name.includes('.'))).toEqual([]);
  });
});

describe('sysreg-check CLI', () => {
  it('exits 1 and says differs when a fact is wrong in the tree', () => {
    const tree = mkdtempSync(join(tmpdir(), 'sysreg-check-'));
    mkdirSync(join(tree, 'arch/arm64/include/asm'), { recursive: true });
    writeFileSync(join(tree, 'arch/arm64/include/asm/esr.h'), '#define ESR_ELx_EC_SVE 0x18\n');
    const r = runTool('sysreg-check/main.ts', ['--tree', tree, '--problems-only']);
    expect(r.stdout).toMatch(/ESR_ELx_EC_SVE\s+0x19\s+0x18\s+differs/);
    expect(r.status).toBe(1);
  });

  it('exits 2 with one line naming the option when the tree is missing', async () => {
    const r = await capture('sysreg-check', sysregCheck, ['--tree', '/nonexistent/tree']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'sysreg-check: --tree: /nonexistent/tree: expected a kernel source directory',
    ]);
  });
});
