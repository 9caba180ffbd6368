// Bad input never gets through: a property test over every command that reads input and every kind
// of file it reads (scenario, explorer configuration, shard report and its visited set, the reader's
// function map) and over argument lists. Inputs are valid ones broken in one place (a field deleted,
// replaced or added; the text corrupted: tags, directives, NUL, invalid UTF-8, truncation, deep
// nesting, alias bombs, duplicate keys; the file replaced by a directory, a device or nothing).
// For each case: exit 2 with one line `SOURCE: FIELD: expected ..., found ...` naming a file of the
// case (or `kvmfp` for the command line), or a normal run (exit 0 or 1) — never an internal error
// (exit 3), never a hang (each case runs in a worker under a timeout). KVMFP_FUZZ_SCALE=10 runs ten
// times as many cases (`npm run fuzz`).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliInWorker } from '../test/cli-in-worker.js';
import { cli, CONFIG, type CliRun, INPUT_ERROR, SCENARIO, tmpDir } from '../test/cli-harness.js';

const SCALE = Number(process.env.KVMFP_FUZZ_SCALE ?? 1);
// Each explore or equiv starts a worker thread (seconds on a loaded machine); a hang is far longer.
const CASE_TIMEOUT_MS = 60_000;
const dir = tmpDir('kvmfp-fuzz-');
let fileCount = 0;
/** Per kind of input: how many cases ended in a normal run (exit 0 or 1) and how many as bad input. */
const tried: Record<string, { runs: number; bad: number }> = {};
let worker: CliInWorker;

beforeAll(() => {
  worker = new CliInWorker();
});
afterAll(async () => {
  await worker.close();
  const total = Object.values(tried).reduce((a, t) => a + t.runs + t.bad, 0);
  const parts = Object.entries(tried).map(
    ([k, t]) => `${k} ${t.runs + t.bad} (${t.runs} ran, ${t.bad} refused)`,
  );
  console.log(`fuzz: ${total} cases: ${parts.join(', ')}`);
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A mutation at a random path: delete a field, replace it with another value, or add a stray field. */
function mutate(base: Json, path: number[], replacement: Json, kind: number): Json {
  const copy = structuredClone(base);
  let node: Json = copy;
  for (let depth = 0; depth < path.length; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (!keys.length) break;
    const key = keys[path[depth] % keys.length];
    const child: Json = (node as Record<string, Json>)[key];
    const last = depth === path.length - 1 || child === null || typeof child !== 'object';
    if (last) {
      if (kind === 0 && !Array.isArray(node)) delete (node as Record<string, Json>)[key];
      else if (kind === 1) (node as Record<string, Json>)[key] = replacement;
      else if (!Array.isArray(node)) (node as Record<string, Json>)[`x${path[0]}`] = replacement;
      else node.push(replacement);
      return copy;
    }
    node = child;
  }
  return copy;
}

const structural = (base: Json) =>
  fc
    .tuple(
      fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
      fc.jsonValue() as fc.Arbitrary<Json>,
      fc.nat(2),
    )
    .map(([path, replacement, kind]) => mutate(base, path, replacement, kind));

/** Ways to break a text (or its bytes) in one place. */
const corruptions: fc.Arbitrary<(text: string) => string | Uint8Array> = fc.oneof(
  fc
    .constantFrom('!!js/function', '!!python/object/apply:os.system', '!foo', '!!binary', '!!str')
    .map((tag) => (t: string) => t.replace(/: /, `: ${tag} `)),
  fc
    .constantFrom('%FOO bar\n---\n', '%YAML 1.1\n---\n', '%TAG ! tag:x.org,2000:\n---\n', '---\n')
    .map((d) => (t: string) => d + t),
  fc
    .nat()
    .map((at) => (t: string) => t.slice(0, at % (t.length + 1)) + '\u0000' + t.slice(at % (t.length + 1))),
  fc
    .tuple(fc.nat(), fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]))
    .map(([at, bytes]) => (t: string) => {
      const b = Buffer.from(t);
      const i = at % (b.length + 1);
      return Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]);
    }),
  fc.nat().map((at) => (t: string) => t.slice(0, at % (t.length + 1))),
  fc.integer({ min: 20, max: 5000 }).map((k) => (t: string) => '['.repeat(k) + t + ']'.repeat(k)),
  fc.integer({ min: 20, max: 5000 }).map((k) => (t: string) => '- '.repeat(k) + t.replace(/\n/g, ' ')),
  fc.constant((t: string) => t + '\ntitle: again\n'),
  fc.constant(() =>
    [
      'a: &a [x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(8).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ].join('\n'),
  ),
  fc.string({ maxLength: 200 }).map((s) => () => s),
  fc.uint8Array({ maxLength: 200 }).map((b) => () => b),
);

/** What a case puts where a file should be: text, bytes, or something that is not a text file. */
type Special = { special: 'dir' | 'missing' | 'device' };
type Content = string | Uint8Array | Special;
const isSpecial = (c: Content): c is Special => typeof c === 'object' && 'special' in c;

function place(content: Content, ext: string): { path: string } {
  if (isSpecial(content) && content.special === 'device') return { path: '/dev/zero' };
  const path = join(dir, `f${fileCount++}.${ext}`);
  if (!isSpecial(content)) writeFileSync(path, content);
  else if (content.special === 'dir') mkdirSync(path);
  return { path };
}

/** A broken rendering of `base`: structural mutation, text corruption, or a non-file. */
function brokenFile(base: Json): fc.Arbitrary<{ content: Content; ext: string }> {
  const ext = fc.constantFrom('yaml', 'json');
  const render = (v: Json, e: string) => (e === 'yaml' ? stringify(v) : JSON.stringify(v, null, 1));
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.tuple(structural(base), ext).map(([v, e]) => ({ content: render(v, e), ext: e })),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(corruptions, ext).map(([c, e]) => ({ content: c(render(base, e)), ext: e })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<Content>({ special: 'dir' }, { special: 'missing' }, { special: 'device' }, '')
        .map((content) => ({ content, ext: 'yaml' })),
    },
  );
}

/** The property every case must have; `files` are the sources a bad-input line may name. */
function expectWellBehaved(r: CliRun | 'timeout', argv: string[], files: string[]): void {
  const what = `kvmfp ${argv.join(' ')}`;
  expect(r, `${what}: a case must end within ${CASE_TIMEOUT_MS} ms`).not.toBe('timeout');
  const run = r as CliRun;
  expect([0, 1, 2], `${what}: exit ${run.code}: ${run.err.join(' | ')}`).toContain(run.code);
  if (run.code !== 2) return;
  expect(run.err, `${what}: one line on stderr`).toHaveLength(1);
  const m = INPUT_ERROR.exec(run.err[0]);
  expect(m, `${what}: ${run.err[0]}`).not.toBeNull();
  const sources = ['kvmfp', ...files.flatMap((f) => [f, `${f}.fps`, join(f, 'functions.json')])];
  expect(sources, `${what}: ${run.err[0]}`).toContain(m![1]);
}

async function check(kind: string, argv: string[], files: string[]): Promise<void> {
  const r = await worker.run(argv, CASE_TIMEOUT_MS);
  expectWellBehaved(r, argv, files);
  const t = (tried[kind] ??= { runs: 0, bad: 0 });
  if ((r as CliRun).code === 2) t.bad++;
  else t.runs++;
}

const runs = (n: number) => ({ numRuns: Math.round(n * SCALE), seed: 19, endOnFailure: true });

describe('bad input never gets through', () => {
  it('scenario files: kvmfp run', async () => {
    await fc.assert(
      fc.asyncProperty(
        brokenFile(SCENARIO as unknown as Json),
        fc.boolean(),
        async ({ content, ext }, json) => {
          const { path } = place(content, ext);
          await check('scenario', ['run', path, ...(json ? ['--json'] : [])], [path]);
        },
      ),
      runs(800),
    );
  }, 600_000);

  it('explorer configurations: kvmfp explore and kvmfp equiv', async () => {
    const out = join(dir, 'cx');
    await fc.assert(
      fc.asyncProperty(
        brokenFile(CONFIG as unknown as Json),
        fc.constantFrom('explore', 'explore-shard', 'explore-atomic', 'equiv'),
        fc.constantFrom('1', '2'),
        async ({ content, ext }, command, depth) => {
          const { path } = place(content, ext);
          // --no-known: learning the known findings runs every finding scenario, the same work for every case.
          const bound = ['--depth', depth, '--max-states', '300', '--no-known'];
          const argv =
            command === 'equiv'
              ? ['equiv', 'v6.3', 'v6.4', path, '--depth', '1']
              : command === 'explore-shard'
                ? [
                    'explore',
                    path,
                    ...bound,
                    '--shard',
                    '1/2',
                    '--out',
                    out,
                    '--report',
                    join(dir, `r${fileCount++}.json`),
                  ]
                : [
                    'explore',
                    path,
                    ...bound,
                    '--out',
                    out,
                    ...(command === 'explore-atomic' ? ['--atomic-paths'] : []),
                  ];
          await check('configuration', argv, [path]);
        },
      ),
      // Fewer than the others: each valid one starts an explorer worker thread (seconds when loaded).
      runs(300),
    );
  }, 600_000);

  describe('shard reports and visited sets: kvmfp merge', () => {
    let a = '';
    let b = '';
    let report: Json = null;
    beforeAll(async () => {
      const cfg = join(dir, 'merge-config.json');
      writeFileSync(cfg, JSON.stringify(CONFIG));
      a = join(dir, 'shard-a.json');
      b = join(dir, 'shard-b.json');
      for (const [i, f] of [a, b].entries())
        expect(
          (
            await cli(
              'explore',
              cfg,
              '--shard',
              `${i}/2`,
              '--report',
              f,
              '--out',
              join(dir, 'cx'),
              '--no-known',
            )
          ).code,
        ).toBe(0);
      report = JSON.parse(readFileSync(a, 'utf8')) as Json;
    }, 120_000);

    /** A broken visited set: truncated, grown, random, a changed count or a changed depth. */
    const brokenFps = fc.oneof(
      fc.constant((fps: Buffer) => fps),
      fc.nat().map((at) => (fps: Buffer) => fps.subarray(0, at % (fps.length + 1))),
      fc.uint8Array({ maxLength: 64 }).map((extra) => (fps: Buffer) => Buffer.concat([fps, extra])),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => () => Buffer.from(bytes)),
      fc.tuple(fc.nat(), fc.nat(255)).map(([at, value]) => (fps: Buffer) => {
        const copy = Buffer.from(fps);
        if (copy.length) copy[at % copy.length] = value;
        return copy;
      }),
    );

    it('kvmfp merge of broken reports, in any combination', async () => {
      await fc.assert(
        fc.asyncProperty(
          brokenFile(report),
          brokenFps,
          fc.array(fc.constantFrom('broken', 'a', 'b'), { minLength: 1, maxLength: 4 }),
          async ({ content, ext }, fpsChange, order) => {
            const { path } = place(content, ext);
            if (!isSpecial(content)) writeFileSync(`${path}.fps`, fpsChange(readFileSync(`${a}.fps`)));
            const files = order.map((o) => (o === 'broken' ? path : o === 'a' ? a : b));
            await check('report', ['merge', ...files], [path, a, b]);
          },
        ),
        runs(400),
      );
    }, 600_000);
  });

  it("the reader's function map: kvmfp run --html --reader", async () => {
    const scenario = join(dir, 'reader-scenario.json');
    writeFileSync(scenario, JSON.stringify(SCENARIO));
    const base = { kvm_arch_vcpu_load_fp: 'kvm-fpsimd/kvm_arch_vcpu_load_fp.html' } as Json;
    await fc.assert(
      fc.asyncProperty(brokenFile(base), async ({ content }) => {
        const reader = join(dir, `reader${fileCount++}`);
        mkdirSync(reader);
        if (!isSpecial(content)) writeFileSync(join(reader, 'functions.json'), content);
        else if (content.special === 'dir') mkdirSync(join(reader, 'functions.json'));
        const argv = ['run', scenario, '--html', join(reader, 'trace.html'), '--reader', reader];
        await check('reader map', argv, [reader, scenario]);
      }),
      runs(200),
    );
  }, 600_000);

  it('argument lists over every command', async () => {
    const scenario = join(dir, 'args-scenario.json');
    const config = join(dir, 'args-config.json');
    writeFileSync(scenario, JSON.stringify(SCENARIO));
    writeFileSync(config, JSON.stringify(CONFIG));
    const plainFile = join(dir, 'plain.txt');
    writeFileSync(plainFile, 'x');
    const words = [
      ...['run', 'explore', 'equiv', 'merge', 'help', 'nope', ''],
      ...['--json', '--rev', 'v6.3', 'v9.9', '--mutant', 'load-fp-leaves-sm', 'nope', ''],
      ...['--depth', '-1', '0', '1', '2', '65', '1e9', '0x2', '2.0', 'x'],
      ...['--shard', '0/2', '1/2', '2/2', '0/1e20', '0/0', '--workers', '1', '1e9', '99999'],
      ...['--max-mem', '1', '1e12', '--max-states', '10', '--atomic-paths', '--free-steps', '--moves'],
      ...['--html', '--report', '--out', '--reader', '--tap', '--quick', '--help', '--no-known', '--known'],
      ...[scenario, config, dir, plainFile, join(dir, 'missing.yaml'), join(plainFile, 'under'), '/dev/zero'],
    ];
    // `check` runs the whole corpus and `read`/`revision` start other programs: only with a bad directory.
    const checkArgv = fc.constantFrom<string[]>(
      ['check', '--dir', join(dir, 'missing')],
      ['check', '--dir', plainFile],
      ['check', '--dir', '/dev/zero'],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 9, arbitrary: fc.array(fc.constantFrom(...words), { maxLength: 7 }) },
          { weight: 1, arbitrary: checkArgv },
        ),
        async (argv) => {
          // A bad-input line may name any word of the command line as its file.
          await check('argument list', argv, argv);
        },
      ),
      runs(600),
    );
  }, 600_000);
});
