// The reader without a browser: alignment, TS extraction, fixtures, and a whole site built from the
// manifest tool's made-up demo package and demo trees (so statuses, anchors and links are checked
// on text this repository owns).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { treeSource } from '../shared/source.js';
import { runTool, WORKSPACE_ROOT } from '../shared/test-support.js';
import { loadManifest } from '../manifest/manifests.js';
import { alignLines, lineSignature } from './align.js';
import { fixtureFiles, grepNames, loadTraces, tracesByFunction } from './fixtures.js';
import { readerCli } from './main.js';
import { buildSite } from './site.js';
import { extractFunction, parseTs } from './ts-extract.js';

const testdata = join(import.meta.dirname, '../manifest/testdata');
const DEMO_MANIFEST = join(testdata, 'pkg/manifest.json');

describe('alignLines', () => {
  it('pairs lines that share their identifiers and keeps both orders', () => {
    const c = ['int f(int a)', '{', '\tif (a > limit)', '\t\treturn g(a);', '\treturn 0;', '}'];
    const t = [
      '// our note',
      'export function f(a: number): number {',
      '  // why the limit',
      '  if (a > limit)',
      '    return g(a);',
      '  return 0;',
      '}',
    ];
    const rows = alignLines(c, t);
    const matched = rows.filter((r) => r.matched).map((r) => [r.left, r.right]);
    expect(matched).toEqual([
      [0, 1],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    // Every line appears exactly once on its side, in order.
    expect(rows.flatMap((r) => (r.left === undefined ? [] : [r.left]))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows.flatMap((r) => (r.right === undefined ? [] : [r.right]))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('ignores comments and treats closing braces as their own signature', () => {
    expect(lineSignature('  // if (x) y();').size).toBe(0);
    expect(lineSignature(' * if (x) y();').size).toBe(0);
    expect([...lineSignature('\tcount += by; /* why */ // and why')]).toEqual(['count', 'by']);
    expect([...lineSignature('\t*ptr = 0;')]).toEqual(['ptr']);
    expect([...lineSignature('\t}')]).toEqual(['}']);
    expect([...lineSignature('  });')]).toEqual(['}']);
  });
});

describe('extractFunction', () => {
  const sf = parseTs(
    [
      '// file header',
      '',
      '// first note',
      '// second note',
      'export function* walk(x: number): Generator<number> {',
      '  yield* step(x);',
      '  E.hook(x);',
      '  (helper as () => void)();',
      '}',
      '',
      'export const arrow = (y: number): number => twice(y);',
      'export function over(a: string): void;',
      'export function over(a: number): void;',
      'export function over(a: unknown): void { log(a); }',
    ].join('\n'),
  );

  it('takes the comments directly above, the body and the calls in order', () => {
    const fn = extractFunction(sf, 'walk');
    expect(fn?.line).toBe(3);
    expect(fn?.text.startsWith('// first note\n// second note\nexport function* walk')).toBe(true);
    expect(fn?.text.includes('file header')).toBe(false);
    expect(fn?.calls).toEqual(['step', 'hook', 'helper']);
  });

  it('finds arrow functions and overloaded functions', () => {
    expect(extractFunction(sf, 'arrow')?.calls).toEqual(['twice']);
    const over = extractFunction(sf, 'over');
    expect(over?.text.split('\n')).toHaveLength(3);
    expect(over?.calls).toEqual(['log']);
    expect(extractFunction(sf, 'absent')).toBeUndefined();
  });
});

describe('fixtures', () => {
  it('finds names in fixture files and functions in run traces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reader-fixtures-'));
    mkdirSync(join(dir, 'scenarios'));
    mkdirSync(join(dir, 'schema'));
    writeFileSync(
      join(dir, 'scenarios/a.yaml'),
      'title: t\nexpect:\n  functions: [demo_flush, demo_bumpy]\n',
    );
    writeFileSync(join(dir, 'schema/s.json'), '{"demo_flush": 1}');
    writeFileSync(join(dir, 'package.json'), '{"demo_flush": 1}');
    const files = fixtureFiles(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['scenarios/a.yaml']);
    const named = grepNames(files, new Set(['demo_flush', 'demo_bump']), dir);
    expect(named.get('demo_flush')).toEqual([{ file: 'scenarios/a.yaml', lines: [3] }]);
    expect(named.has('demo_bump')).toBe(false);

    const trace = join(dir, 'run.json');
    writeFileSync(
      trace,
      JSON.stringify({
        title: 'demo run',
        steps: [
          { n: 1, functions: ['demo_flush', 'demo_bump'] },
          { n: 2, functions: ['demo_bump'] },
        ],
      }),
    );
    const ran = tracesByFunction(loadTraces([trace]));
    expect(ran.get('demo_bump')).toEqual([{ scenario: 'demo run', source: 'run.json', steps: [1, 2] }]);
    writeFileSync(trace, '{"title": 1}');
    expect(() => loadTraces([trace])).toThrow(/run\.json: expected a run result/);
  });
});

describe('buildSite on the demo package', () => {
  async function build(treeName: string) {
    const out = mkdtempSync(join(tmpdir(), 'reader-site-'));
    const fixturesDir = mkdtempSync(join(tmpdir(), 'reader-fx-'));
    writeFileSync(join(fixturesDir, 'demo.yaml'), 'functions: [demo_flush]\n');
    const trace = join(fixturesDir, 'trace.json');
    writeFileSync(
      trace,
      JSON.stringify({ title: 'demo trace', steps: [{ n: 3, functions: ['demo_bump'] }] }),
    );
    const result = await buildSite({
      manifests: [loadManifest(DEMO_MANIFEST)],
      source: treeSource(join(testdata, treeName)),
      outDir: out,
      root: fixturesDir,
      fixturesDir,
      traces: [trace],
    });
    return { out, ...result };
  }

  it('shows statuses, kernel order, revisions, calls both ways and fixtures', async () => {
    const { out, model, files } = await build('tree');
    const status = Object.fromEntries(
      model.entries.map((e) => [`${e.entry.function}@${e.entry.revision}`, e.status]),
    );
    expect(status).toEqual({
      'demo_bump@v6.4': 'matches',
      'demo_feature_level@v6.4': 'matches',
      'demo_flush@v6.4': 'matches',
      'demo_setup@v6.4': 'matches',
      'demo_bump@v6.3': 'drifted',
    });
    expect(files).toContain('arch_demo_demo.c.html');
    expect(files).toContain('f/demo_flush.html');
    const page = readFileSync(join(out, 'arch_demo_demo.c.html'), 'utf8');
    // Two revisions of demo_bump: one section, one block per revision, newest first.
    expect(page).toMatch(/<section class="fn" id="demo_bump">.*id="demo_bump@v6\.4".*id="demo_bump@v6\.3"/s);
    // demo_flush calls demo_bump: a link in the code and in both cross-reference lists.
    const flush = model.entries.find((e) => e.entry.function === 'demo_flush')!;
    expect(flush.calls.map((c) => c.anchor)).toEqual(['demo_bump@v6.4']);
    expect(page).toContain('<a class="call" href="arch_demo_demo.c.html#demo_bump@v6.4">demo_bump</a>');
    const bump = model.entries.find((e) => e.anchor === 'demo_bump@v6.4')!;
    expect(bump.calledBy.map((c) => c.entry.function)).toEqual(['demo_flush']);
    expect(flush.fixtures.named).toEqual([{ file: 'demo.yaml', lines: [1] }]);
    expect(bump.fixtures.ran).toEqual([{ scenario: 'demo trace', source: 'trace.json', steps: [3] }]);
    // The configuration entry has a kernel side and says it is not ported.
    expect(page).toContain('configuration, not ported');
    // Functions are in the order the kernel file defines them.
    const order = model.files[0].functions.map((f) => f.name);
    const kernelText = readFileSync(join(testdata, 'tree/arch/demo/demo.c'), 'utf8');
    expect(order).toEqual(
      [...order].sort((a, b) => kernelText.indexOf(`${a}(`) - kernelText.indexOf(`${b}(`)),
    );
    const map = JSON.parse(readFileSync(join(out, 'functions.json'), 'utf8')) as Record<string, string>;
    expect(map['demo_flush']).toBe('arch_demo_demo.c.html#demo_flush');
    expect(readFileSync(join(out, 'f/demo_flush.html'), 'utf8')).toContain(
      'url=../arch_demo_demo.c.html#demo_flush',
    );
  });

  it('marks a changed kernel function as drifted', async () => {
    const { model } = await build('tree-changed');
    expect(model.entries.find((e) => e.entry.function === 'demo_feature_level')?.statusText).toBe(
      'drifted from v6.4',
    );
  });
});

describe('read CLI', () => {
  it('builds a site from a tree given with --kernel-tree', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reader-cli-'));
    const r = await capture('read', readerCli, [
      '--kernel-tree',
      join(testdata, 'tree'),
      '--manifest',
      DEMO_MANIFEST,
      '--out',
      out,
      '--no-run-fixtures',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/5 entries from 1 manifests against tree .*: 4 match, 1 drifted, 0 not found/);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
  });

  it('says what it expected on a usage error, exit 2', async () => {
    const r = await capture('read', readerCli, ['--kernel-tree', '/nonexistent-tree']);
    expect(r.stderr).toBe('read: options: expected --out DIR\n');
    expect(r.status).toBe(2);
    const bad = await capture('read', readerCli, ['--kernel-tree', '/nonexistent-tree', '--out', tmpdir()]);
    expect(bad.stderr).toBe('read: --kernel-tree: /nonexistent-tree: expected a kernel source directory\n');
    expect(bad.status).toBe(2);
  });

  it('runs as a script with tsx', () => {
    const r = runTool('reader/main.ts', ['--help']);
    expect(r.stdout).toMatch(/^usage: kvmfp read/);
    expect(r.status).toBe(0);
  });
});

describe('trace page of a real run', () => {
  it('renders every step of a fixture scenario in the lane of its CPU, functions linked', async (ctx) => {
    const files = fixtureFiles(join(WORKSPACE_ROOT, 'fixtures/scenarios')).filter((f) => /\.ya?ml$/.test(f));
    if (!files.length) return ctx.skip('no fixture scenarios yet');
    const sim = await import('@kvmfp/sim');
    const { renderTraceHtml } = (await import(
      pathToFileURL(join(WORKSPACE_ROOT, 'packages/sim/src/html.ts')).href
    )) as { renderTraceHtml: (r: unknown, o?: { functionPages?: Record<string, string> }) => string };
    const result = sim.runScenario(sim.loadScenario(files[0] ?? ''));
    const pages = { [result.steps.flatMap((s) => s.functions)[0] ?? 'none']: 'x.html#f' };
    const html = renderTraceHtml(result, { functionPages: pages });
    const ncpu = result.steps[0]?.cpus.length ?? 0;
    expect(html.match(/<th class="lane-head">/g)?.length).toBe(ncpu);
    expect(html.match(/<tr class="step/g)?.length).toBe(result.steps.length);
    for (const s of result.steps) {
      const cpu = /cpu=(\d+)/.exec(s.event)?.[1];
      if (cpu !== undefined) expect(html).toContain(`id="step-${s.n}" data-cpu="${cpu}"`);
    }
    // Only names in the map are links; they point into the reader.
    expect(html.match(/<a class="fn"/g)?.length ?? 0).toBe(
      result.steps.filter((s) => s.functions.includes(Object.keys(pages)[0] ?? '')).length,
    );
    expect(html).toContain('href="../reader/x.html#f"');
    expect(html.match(/class="fact[^"]*" data-fact="last"/g)?.length).toBe(ncpu * result.steps.length);
  });
});
