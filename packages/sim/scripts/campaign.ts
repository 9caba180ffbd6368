// The exploration campaign: `kvmfp explore` on every configuration of fixtures/configs (or those
// named), each to exhaustion or to a time budget, with the known findings, one run at a time by
// default; each run's --json report gives one row of a markdown table (reports/out/campaign.md,
// git-ignored), rewritten after every run and printed at the end. `--shard i/n` is passed to every
// run so a batch scheduler can split the configurations across machines; `--merge` then merges
// the shard reports of each configuration (kvmfp merge) into the table of the whole run.
//
//   npm run campaign -- [CONFIG...] [--budget 600] [--jobs 1] [--shard i/n] [--depth 64]
//   npm run campaign -- --merge [CONFIG...]      # after every shard's reports are in --out
//
// Exit status: 0 nothing new, 1 new violations or matches by symptom only, 2 bad input, 3 a run failed.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  campaignTable,
  type CampaignReport,
  type CampaignRow,
  failedRow,
  mergedRow,
  rowOf,
} from '../src/campaign.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const kvmfpBin = join(root, 'packages/sim/bin/kvmfp.mjs');

class BadInput extends Error {}

interface Options {
  configs: string[];
  budget: number;
  jobs: number;
  depth: number;
  shard: [number, number] | null;
  out: string;
  table: string;
  known: string;
  heap: number;
  rev: string;
  merge: boolean;
}

function intFlag(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new BadInput(`campaign: --${name}: expected an integer from ${min} to ${max}, found '${text}'`);
  return Number(text);
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        budget: { type: 'string' },
        jobs: { type: 'string' },
        depth: { type: 'string' },
        shard: { type: 'string' },
        out: { type: 'string' },
        table: { type: 'string' },
        known: { type: 'string' },
        heap: { type: 'string' },
        rev: { type: 'string' },
        merge: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new BadInput(`campaign: ${(e as Error).message.split('\n')[0]}`);
  }
  const v = parsed.values;
  let shard: [number, number] | null = null;
  if (v.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(v.shard);
    if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) > 4096)
      throw new BadInput(`campaign: --shard: expected i/n with i < n <= 4096, found '${v.shard}'`);
    shard = [Number(m[1]), Number(m[2])];
  }
  if (v.merge && shard)
    throw new BadInput(`campaign: --shard: expected nothing with --merge, found '${v.shard}'`);
  const out = resolve(v.out ?? join(root, 'reports/out/campaign'));
  const suffix = shard ? `-shard-${shard[0]}-of-${shard[1]}` : '';
  return {
    configs: configFiles(parsed.positionals),
    budget: intFlag('budget', v.budget, 600, 1, 7 * 24 * 3600),
    jobs: intFlag('jobs', v.jobs, 1, 1, 64),
    depth: intFlag('depth', v.depth, 64, 1, 64),
    shard,
    out,
    table: resolve(v.table ?? join(root, `reports/out/campaign${suffix}.md`)),
    known: resolve(v.known ?? join(root, 'fixtures/findings')),
    heap: intFlag('heap', v.heap, 6144, 256, 1 << 20),
    rev: v.rev ?? 'v6.4',
    merge: Boolean(v.merge),
  };
}

/** Every configuration in fixtures/configs, or the named ones (a file, or a name in fixtures/configs). */
function configFiles(names: string[]): string[] {
  const dir = join(root, 'fixtures/configs');
  if (!names.length)
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f));
  return names.map((n) => {
    for (const p of [n, join(dir, n), join(dir, `${n}.yaml`)]) if (existsSync(p)) return resolve(p);
    throw new BadInput(
      `campaign: ${n}: expected a configuration file or a name in fixtures/configs, found nothing`,
    );
  });
}

const nameOf = (file: string) => basename(file).replace(/\.(ya?ml|json)$/, '');

function shardTag(shard: [number, number] | null): string {
  return shard ? `.shard-${shard[0]}-of-${shard[1]}` : '';
}

/** One configuration explored by a child `kvmfp explore`; resolves with its row. */
function runOne(o: Options, file: string, children: Set<ReturnType<typeof spawn>>): Promise<CampaignRow> {
  const name = nameOf(file) + (o.shard ? ` (shard ${o.shard[0]}/${o.shard[1]})` : '');
  const base = join(o.out, nameOf(file) + shardTag(o.shard));
  const args = [
    `--max-old-space-size=${o.heap}`,
    kvmfpBin,
    'explore',
    file,
    '--rev',
    o.rev,
    '--depth',
    String(o.depth),
    '--time-limit',
    `${o.budget}s`,
    '--known',
    o.known,
    '--report',
    `${base}.report.json`,
    '--out',
    `${base}.counterexamples`,
    '--json',
    '--no-progress',
    ...(o.shard ? ['--shard', `${o.shard[0]}/${o.shard[1]}`] : []),
  ];
  const t0 = Date.now();
  const log = createWriteStream(`${base}.log`);
  const stdout: Buffer[] = [];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.pipe(log);
    child.on('close', (code, signal) => {
      children.delete(child);
      log.end();
      const seconds = (Date.now() - t0) / 1000;
      const text = Buffer.concat(stdout).toString('utf8');
      let row: CampaignRow;
      try {
        const report = JSON.parse(text) as CampaignReport;
        writeFileSync(`${base}.explore.json`, text);
        row = rowOf(name, report, seconds);
      } catch {
        const lastErr = readLastLine(`${base}.log`);
        row = failedRow(name, seconds, `exit ${code ?? signal}${lastErr ? `: ${lastErr}` : ''}`);
      }
      writeFileSync(`${base}.row.json`, JSON.stringify(row, null, 2) + '\n');
      done(row);
    });
  });
}

function readLastLine(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return lines[lines.length - 1].slice(0, 200);
  } catch {
    return '';
  }
}

/** The shard reports of one configuration in --out, merged by `kvmfp merge`, as one row. */
function mergeOne(o: Options, file: string): CampaignRow {
  const stem = nameOf(file);
  const parts = readdirSync(o.out)
    .filter((f) => f.startsWith(`${stem}.shard-`) && f.endsWith('.report.json'))
    .sort();
  if (!parts.length) return failedRow(stem, 0, `no shard reports ${stem}.shard-*.report.json in ${o.out}`);
  const r = spawnSync(process.execPath, [kvmfpBin, 'merge', ...parts.map((p) => join(o.out, p)), '--json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  let report: CampaignReport;
  try {
    report = JSON.parse(r.stdout) as CampaignReport;
  } catch {
    return failedRow(
      stem,
      0,
      `kvmfp merge: ${(r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}`}`,
    );
  }
  const seconds = parts.map((p) => {
    try {
      return (
        JSON.parse(
          readFileSync(join(o.out, p.replace(/\.report\.json$/, '.row.json')), 'utf8'),
        ) as CampaignRow
      ).seconds;
    } catch {
      return 0;
    }
  });
  return mergedRow(`${stem} (${parts.length} shards merged)`, report, seconds);
}

function commitOf(): string {
  const r = spawnSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return 'unknown commit';
  return r.stdout.trim() + (dirty.stdout.trim() ? ' (with uncommitted changes)' : '');
}

function headingOf(o: Options): string {
  const what = o.merge
    ? 'merged shard reports'
    : `budget ${o.budget} s per run, depth bound ${o.depth}${o.shard ? `, shard ${o.shard[0]}/${o.shard[1]}` : ''}, ${o.jobs} at a time`;
  return `# Exploration campaign: ${o.rev} at ${commitOf()}; ${what}; known findings from ${o.known.startsWith(root) ? o.known.slice(root.length) : o.known}`;
}

const USAGE = `usage: npm run campaign -- [CONFIG...] [--budget SECONDS (600)] [--jobs N (1)] [--depth N (64)]
         [--shard i/n] [--out DIR (reports/out/campaign)] [--table FILE (reports/out/campaign.md)]
         [--known DIR (fixtures/findings)] [--heap MiB (6144)] [--rev v6.4]
       npm run campaign -- --merge [CONFIG...] [--out DIR]   (the shard reports in DIR, merged)
Each configuration (all of fixtures/configs, or those named) is explored by kvmfp explore to
exhaustion, the budget or the heap bound, one run at a time; the table is rewritten after each run.
Exit status: 0 nothing new, 1 new violations or matches by symptom only, 2 bad input, 3 a run failed.`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const o = parseOptions(argv);
  mkdirSync(o.out, { recursive: true });
  mkdirSync(resolve(o.table, '..'), { recursive: true });
  const heading = headingOf(o);
  const rows: (CampaignRow | undefined)[] = new Array<CampaignRow | undefined>(o.configs.length);
  const write = () =>
    writeFileSync(
      o.table,
      campaignTable(
        rows.filter((r): r is CampaignRow => !!r),
        heading,
      ),
    );
  if (o.merge) {
    o.configs.forEach((f, i) => (rows[i] = mergeOne(o, f)));
  } else {
    const children = new Set<ReturnType<typeof spawn>>();
    let stopping = false;
    const stop = () => {
      stopping = true;
      for (const c of children) c.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    let next = 0;
    const lane = async () => {
      while (!stopping && next < o.configs.length) {
        const i = next++;
        process.stderr.write(`campaign: ${nameOf(o.configs[i])} started ${new Date().toISOString()}\n`);
        rows[i] = await runOne(o, o.configs[i], children);
        process.stderr.write(`campaign: ${nameOf(o.configs[i])} done: ${rows[i].reach}\n`);
        write();
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, o.configs.length) }, lane));
  }
  write();
  const done = rows.filter((r): r is CampaignRow => !!r);
  process.stdout.write(campaignTable(done, heading));
  process.stdout.write(`\n(table written to ${o.table})\n`);
  if (done.some((r) => r.error)) return 3;
  return done.some((r) => r.fresh || r.symptomOnly) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof BadInput) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`campaign: internal error: ${String(e)}\n`);
    process.exit(3);
  },
);
