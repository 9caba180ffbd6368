// Every kind of bad input issue 19 found getting through, each answered now with exit 2 and one
// line `FILE: FIELD: expected ..., found ...` (or, where the input is valid, a normal run).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, CONFIG, edit, expectInputError, put, SCENARIO, tmpDir } from '../test/cli-harness.js';

const dir = tmpDir();
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const mainTs = join(import.meta.dirname, 'cli/main.ts');
let n = 0;
const scenarioFile = (data: unknown, ext = 'json') => put(dir, `s${n++}.${ext}`, data);
const configFile = (data: unknown, ext = 'json') => put(dir, `c${n++}.${ext}`, data);

describe('the valid bases', () => {
  it('run and explore normally', async () => {
    const r = await cli('run', scenarioFile(SCENARIO));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const e = await cli('explore', configFile(CONFIG), '--out', join(dir, 'cx'));
    expect(e.err).toEqual([]);
    expect(e.code).toBe(0);
  });
});

describe('files that are not regular, not text or not strict YAML', () => {
  it('refuses a directory', async () => {
    expectInputError(await cli('run', dir), dir, '(file)');
  });

  // In a child process under a timeout: on a loader that reads first and checks later, these block
  // (a FIFO with no writer) or never end (/dev/zero), and no in-process timeout could stop that.
  it.each([
    ['run', 'a FIFO'],
    ['explore', 'a FIFO'],
    ['run', '/dev/zero'],
  ])(
    'kvmfp %s on %s answers at once',
    (command, what) => {
      const file = what === 'a FIFO' ? join(dir, `fifo${n++}`) : what;
      if (what === 'a FIFO') execFileSync('mkfifo', [file]);
      const r = spawnSync(process.execPath, [tsxCli, '--conditions=@kvmfp/source', mainTs, command, file], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.error, 'the CLI did not end in time').toBeUndefined();
      expectInputError(
        { code: r.status ?? -1, out: [], err: r.stderr.trimEnd().split('\n') },
        file,
        '(file)',
      );
    },
    40_000,
  );

  it('refuses a file above the size limit', async () => {
    const big = scenarioFile(' '.repeat(2 * 2 ** 20) + '{}', 'yaml');
    expectInputError(await cli('run', big), big, '(file)');
  });

  it('refuses NUL bytes and invalid UTF-8', async () => {
    const nul = scenarioFile('title: a\u0000b\n', 'yaml');
    expectInputError(await cli('run', nul), nul, '(file)');
    const bad = scenarioFile(Buffer.from([0x74, 0x3a, 0x20, 0xc3, 0x28, 0x0a]), 'yaml');
    expectInputError(await cli('run', bad), bad, '(file)');
  });

  it.each([
    ['a JavaScript function tag', 'title: !!js/function "function () {}"\n'],
    ['a Python object tag', 'title: !!python/object/apply:os.system ["true"]\n'],
    ['a local tag', 'title: !thing x\n'],
    ['an unknown directive', '%FOO bar\n---\ntitle: x\n'],
    ['a YAML 1.1 directive', '%YAML 1.1\n---\ntitle: x\n'],
    ['two documents', 'title: x\n---\ntitle: y\n'],
    ['a collection as a key', '? [a]\n: 1\n'],
  ])('refuses %s', async (_, text) => {
    const f = scenarioFile(text, 'yaml');
    expectInputError(await cli('run', f), f, /^\(file\)$|^line \d+ column \d+$|^offset \d+$/);
  });

  it('refuses deep nesting, JSON or YAML, as nesting (not as a syntax error or a crash)', async () => {
    for (const text of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '- '.repeat(50_000) + '1\n',
      '{"a":'.repeat(40) + '1' + '}'.repeat(40),
    ]) {
      const f = scenarioFile(text, 'yaml');
      const r = await cli('run', f);
      expectInputError(r, f, '(file)');
      expect(r.err[0]).toContain('levels of nesting');
    }
  });

  it('bounds aliases', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    const f = scenarioFile(bomb + '\n', 'yaml');
    expectInputError(await cli('run', f), f, '(file)');
  });
});

describe('schema errors name the field, what was expected and what was found', () => {
  it('an unknown mutant or revision in a file', async () => {
    const m = scenarioFile(edit(SCENARIO, (s) => Object.assign(s, { mutant: 'no-such-mutant' })));
    expectInputError(await cli('run', m), m, 'mutant');
    const r = configFile(edit(CONFIG, (c) => Object.assign(c, { revision: 'v9.9' })));
    const out = await cli('explore', r);
    expectInputError(out, r, 'revision');
    expect(out.err[0]).toContain('found "v9.9"');
  });

  it('mutant: "" is not "no mutant"', async () => {
    const f = scenarioFile(edit(SCENARIO, (s) => Object.assign(s, { mutant: '' })));
    expectInputError(await cli('run', f), f, 'mutant');
    expectInputError(await cli('run', scenarioFile(SCENARIO), '--mutant', ''), 'kvmfp', '--mutant');
  });

  it('an event of an unknown kind, or with a wrong field, is named by its own fields', async () => {
    const kind = scenarioFile(edit(SCENARIO, (s) => s.events.push({ do: 'dance', task: 'vmm' } as never)));
    expectInputError(await cli('run', kind), kind, 'events.3.do');
    const field = scenarioFile(
      edit(SCENARIO, (s) => s.events.push({ do: 'syscall', task: 'vmm', neon: 'yes' } as never)),
    );
    expectInputError(await cli('run', field), field, 'events.3.neon');
  });

  it('a configuration error has an expected and a found', async () => {
    const f = configFile(edit(CONFIG, (c) => (c.alphabet.user = ['fly'])));
    const r = await cli('explore', f);
    expectInputError(r, f, 'alphabet.user.0');
    expect(r.err[0]).toContain('found "fly"');
  });
});

describe('cross-references, shared by scenarios and configurations', () => {
  it.each([
    [
      'tracer',
      (s: typeof SCENARIO) =>
        s.events.push({ do: 'ptrace_get', tracer: 'ghost', task: 't1', regset: 'fpr' } as never),
      'events.3.tracer',
    ],
    [
      'fork child',
      (s: typeof SCENARIO) => s.events.push({ do: 'fork', task: 't1', child: 'nobody' } as never),
      'events.3.child',
    ],
    [
      'fork child that is born',
      (s: typeof SCENARIO) => s.events.push({ do: 'fork', task: 't1', child: 'vmm' } as never),
      'events.3.child',
    ],
    [
      'notFunctions',
      (s: typeof SCENARIO) =>
        (s.expect = { violations: [], notFunctions: ['kvm_arch_vcpu_load_fq'] } as never),
      'expect.notFunctions.0',
    ],
    [
      'functions',
      (s: typeof SCENARIO) => (s.expect = { violations: [], functions: ['no_such_fn'] } as never),
      'expect.functions.0',
    ],
  ])('a scenario event or expectation naming no %s', async (_, change, field) => {
    const f = scenarioFile(edit(SCENARIO, change));
    expectInputError(await cli('run', f), f, field);
  });

  type Cfg = typeof CONFIG;
  const worldCases: [string, (c: Cfg) => void, string][] = [
    ['a vcpu whose VMM is no task', (c) => (c.vcpus[0].vmm = 'ghost'), 'vcpus.0.vmm'],
    [
      'a vcpu whose VMM is not a VMM',
      (c) => (c.tasks.push({ name: 'plain' } as never), (c.vcpus[0].vmm = 'plain')),
      'vcpus.0.vmm',
    ],
    ['duplicate vcpu names', (c) => c.vcpus.push({ ...c.vcpus[0] }), 'vcpus.1.name'],
    ['duplicate task names', (c) => c.tasks.push({ name: 'vmm' } as never), 'tasks.1.name'],
    [
      'a task on a CPU the machine lacks',
      (c) => c.tasks.push({ name: 'far', cpu: 3 } as never),
      'tasks.1.cpu',
    ],
    ['two tasks starting on one CPU', (c) => c.tasks.push({ name: 'twin', cpu: 0 } as never), 'tasks.1.cpu'],
    ['sve with no SVE vector length', (c) => (c.machine.sveVls = []), 'machine.sveVls'],
    ['sme with no SME vector length', (c) => (c.machine.smeVls = []), 'machine.smeVls'],
    ['a task SVE VL of 7', (c) => Object.assign(c.tasks[0], { sveVl: 7 }), 'tasks.0.sveVl'],
    ['a task SME VL of 100000', (c) => Object.assign(c.tasks[0], { smeVl: 100000 }), 'tasks.0.smeVl'],
    ['a task SVE VL the machine lacks', (c) => Object.assign(c.tasks[0], { sveVl: 64 }), 'tasks.0.sveVl'],
    [
      'no FP/SIMD under SME2 and FA64',
      (c) => (c.machine.features = { fpsimd: false, sve: false, sme: true, sme2: true, fa64: true } as never),
      'machine.features.fpsimd',
    ],
    [
      'SME2 without SME',
      (c) => (c.machine.features = { sve: true, sme: false, sme2: true } as never),
      'machine.features.sme2',
    ],
    [
      'an SVE vcpu on a machine without SVE',
      (c) => ((c.machine.features = { sve: false } as never), (c.vcpus[0].sve = true)),
      'vcpus.0.sve',
    ],
  ];

  it.each(worldCases)('a configuration with %s', async (_, change, field) => {
    const f = configFile(edit(CONFIG, change));
    expectInputError(await cli('explore', f, '--depth', '1'), f, field);
  });

  it.each(worldCases)('a scenario with %s', async (_, change, field) => {
    const f = scenarioFile({
      ...SCENARIO,
      ...edit(
        { machine: SCENARIO.machine, tasks: [SCENARIO.tasks[0]], vcpus: SCENARIO.vcpus } as unknown as Cfg,
        change,
      ),
      events: [],
    });
    expectInputError(await cli('run', f), f, field);
  });

  it('a configuration whose tasks are all unborn', async () => {
    const f = configFile(
      edit(CONFIG, (c) => ((c.tasks = [{ name: 'vmm', unborn: true } as never]), (c.vcpus = []))),
    );
    expectInputError(await cli('explore', f), f, 'tasks');
  });
});

describe('flags', () => {
  it.each([
    ['--depth', '1e9'],
    ['--depth', '65'],
    ['--depth', '0x10'],
    ['--workers', '1e9'],
    ['--workers', '100000'],
    ['--shard', '0/1e20'],
    ['--shard', '0/100000'],
    ['--shard', '2/2'],
    ['--max-mem', '1e12'],
    ['--max-mem', String(2 ** 40)],
    ['--max-states', '-1'],
    ['--rev', 'v9.9'],
    ['--mutant', 'no-such'],
  ])('explore %s %s', async (flag, value) => {
    // The configuration does not exist: flags are checked first, and a check that let the value
    // through would report the file instead (rather than start a run that never ends).
    const r = await cli('explore', join(dir, 'missing.yaml'), flag, value);
    expectInputError(r, 'kvmfp', flag);
    expect(r.err[0]).toContain(`found ${JSON.stringify(value)}`);
  });

  it('refuses --html and --report naming a directory before the run prints anything', async () => {
    const html = await cli('run', scenarioFile(SCENARIO), '--html', dir);
    expectInputError(html, 'kvmfp', '--html');
    expect(html.out).toEqual([]);
    const report = await cli('explore', configFile(CONFIG), '--report', dir);
    expectInputError(report, 'kvmfp', '--report');
    expect(report.out).toEqual([]);
    const notDir = put(dir, `plain${n++}`, 'x');
    expectInputError(await cli('explore', configFile(CONFIG), '--out', notDir), 'kvmfp', '--out');
    expectInputError(
      await cli('explore', configFile(CONFIG), '--report', join(notDir, 'r.json')),
      'kvmfp',
      '--report',
    );
  });

  it('writes --html into a folder that does not exist yet', async () => {
    const out = join(dir, `new${n++}`, 'trace.html');
    const r = await cli('run', scenarioFile(SCENARIO), '--html', out, '--reader', join(dir, 'no-reader'));
    expect(r.err).toEqual([]);
    expect(readFileSync(out, 'utf8')).toContain('<html');
  });

  it('refuses a corrupt reader map', async () => {
    const reader = join(dir, `reader${n++}`);
    mkdirSync(reader);
    for (const text of ['{"kvm_arch_vcpu_load_fp": 3}', '[', '{"a": {"b": "c"}}']) {
      writeFileSync(join(reader, 'functions.json'), text);
      const r = await cli('run', scenarioFile(SCENARIO), '--html', join(dir, 't.html'), '--reader', reader);
      expectInputError(r, join(reader, 'functions.json'), /.+/);
      expect(r.out).toEqual([]);
    }
  });

  it('answers a command line commander refuses in one line', async () => {
    for (const argv of [['--json'], ['nope'], ['explore'], ['run', 'a', 'b'], ['explore', 'x', '--depth']])
      expectInputError(await cli(...argv), 'kvmfp', 'arguments');
  });

  it('kvmfp with no arguments prints help on stdout and exits 0', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out.join('\n')).toContain('Usage: kvmfp');
  });
});

describe('kvmfp equiv and a configuration naming a mutant or revision', () => {
  it('refuses a configuration mutant', async () => {
    const f = configFile(edit(CONFIG, (c) => Object.assign(c, { mutant: 'load-fp-leaves-sm' })));
    expectInputError(await cli('equiv', 'v6.3', 'v6.4', f, '--depth', '1'), f, 'mutant');
  });

  it("runs a mutant side on the configuration's revision and says so", async () => {
    const f = configFile(edit(CONFIG, (c) => (c.revision = 'v6.3')));
    const r = await cli('equiv', 'v6.3', 'load-fp-leaves-sm', f, '--depth', '1', '--json');
    expect(r.err).toEqual([]);
    const sides = (JSON.parse(r.out.join('\n')) as { sides: unknown }).sides;
    expect(sides).toEqual([
      { name: 'v6.3', revision: 'v6.3', mutant: null },
      { name: 'load-fp-leaves-sm', revision: 'v6.3', mutant: 'load-fp-leaves-sm' },
    ]);
    const text = await cli('equiv', 'v6.4', 'load-fp-leaves-sm', f, '--depth', '1');
    expect(text.out[0]).toContain('load-fp-leaves-sm (a mutant of v6.3)');
  });

  it('names an unknown side', async () => {
    const r = await cli('equiv', 'v6.3', 'nope', configFile(CONFIG));
    expectInputError(r, 'kvmfp', 'equiv b');
    expect(r.err[0]).toMatch(/expected one of v6\.3, v6\.4, .+, found "nope"$/);
  });
});

describe('kvmfp merge', () => {
  const cfg = () => configFile(CONFIG);
  let a = '';
  let b = '';
  beforeAll(async () => {
    const c = cfg();
    a = join(dir, 'a.json');
    b = join(dir, 'b.json');
    expect((await cli('explore', c, '--shard', '0/2', '--report', a, '--out', join(dir, 'cx'))).code).toBe(0);
    expect((await cli('explore', c, '--shard', '1/2', '--report', b, '--out', join(dir, 'cx'))).code).toBe(0);
  });

  const report = () => JSON.parse(readFileSync(a, 'utf8')) as Record<string, unknown>;
  /** A copy of shard a with `change`, next to its visited set. */
  const broken = (change: (r: Record<string, unknown>) => unknown) => {
    const r = report();
    const replaced = change(r);
    const f = join(dir, `m${n++}.json`);
    writeFileSync(f, JSON.stringify(replaced === undefined ? r : replaced));
    writeFileSync(`${f}.fps`, readFileSync(`${a}.fps`));
    return f;
  };

  it('merges a complete set, recording shard and run', async () => {
    const r = await cli('merge', a, b, '--json');
    expect(r.code).toBe(0);
    expect(report()).toMatchObject({
      shard: { index: 0, count: 2 },
      run: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
    });
  });

  it('refuses one shard of two, and the same shard twice', async () => {
    const one = await cli('merge', a);
    expect(one.err[0]).toMatch(
      /^kvmfp merge: shards: expected all 2 shards of run [0-9a-f]{16}, found shard 1 missing$/,
    );
    expect(one.code).toBe(2);
    expectInputError(await cli('merge', a, a), a, 'shard.index');
  });

  it.each([
    ['null', () => null, '(top level)'],
    ['a null violation', (r: Record<string, unknown>) => void (r.violations = [null]), 'violations.0'],
    ['a string violation', (r: Record<string, unknown>) => void (r.violations = ['x']), 'violations.0'],
    [
      'a violation without events',
      (r: Record<string, unknown>) => void (r.violations = [{ invariant: 'x', detail: 'y', depth: 1 }]),
      'violations.0.events',
    ],
    ['a huge depth', (r: Record<string, unknown>) => void (r.depth = 1e9), 'depth'],
    ['a negative depth', (r: Record<string, unknown>) => void (r.depth = -1), 'depth'],
    ['complete: "no"', (r: Record<string, unknown>) => void (r.complete = 'no'), 'complete'],
    ['no run', (r: Record<string, unknown>) => void delete r.run, 'run'],
    ['no shard', (r: Record<string, unknown>) => void delete r.shard, 'shard'],
  ])('refuses a report with %s', async (_, change, field) => {
    const f = broken(change);
    expectInputError(await cli('merge', f, b), f, field);
  });

  it('names the file and field of a report from another run', async () => {
    const f = broken((r) => void (r.run = '0123456789abcdef'));
    expectInputError(await cli('merge', a, f), f, 'run');
    const g = broken((r) => void (r.revision = 'v6.3'));
    expectInputError(await cli('merge', g, b), b, /^(run|revision)$/);
  });

  it('refuses a visited set shorter than its header, or deeper than its report', async () => {
    const f = broken(() => undefined);
    writeFileSync(`${f}.fps`, Buffer.from([1, 0]));
    expectInputError(await cli('merge', f, b), `${f}.fps`, '(file)');
    const fps = Buffer.from(readFileSync(`${a}.fps`));
    fps.writeUInt8(9, 4 + 8);
    writeFileSync(`${f}.fps`, fps);
    expectInputError(await cli('merge', f, b), `${f}.fps`, 'states.0.depth');
  });
});
