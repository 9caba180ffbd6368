// The CLI's commands, as a function from arguments to an exit status, so tests (and the fuzzer)
// drive it in-process. Exit status: 0 ok, 1 expectations not met / violations found, 2 bad input.

import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTraceHtml } from '../html.js';
import { formatRun, runJson } from '../format.js';
import { runScenario } from '../run.js';
import { InputError, loadScenario } from '../scenario.js';
import { checkCorpus } from './check.js';
import { equivCommand, exploreCommand, mergeCommand } from './explore-cmd.js';
import { ALPHABET_DOC } from '../explore-alphabet.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

class ExitWith extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function buildProgram(io: Io): Command {
  const program = new Command('kvmfp')
    .description('kernel-faithful port of arm64 FP/SVE/SME state management (Linux v6.4)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('run')
    .argument('<file>', 'scenario file (YAML or JSON)')
    .option('--json', 'machine-readable output')
    .option('--rev <rev>', 'revision to run (overrides the file)')
    .option('--mutant <name>', 'mutant to run (overrides the file)')
    .option('--html <out>', 'write a per-CPU timeline page')
    .option('--reader <dir>', 'the reader site the timeline links into (kvmfp read --out)', 'site/reader')
    .description('run one scenario and check its expectations')
    .action(
      (file: string, o: { json?: boolean; rev?: string; mutant?: string; html?: string; reader: string }) => {
        const s = loadScenario(file);
        const r = runScenario(s, { revision: o.rev, mutant: o.mutant });
        io.out(o.json ? runJson(r) : formatRun(r));
        if (o.html) writeFileSync(o.html, traceHtml(r, o.html, o.reader));
        throw new ExitWith(r.passed ? 0 : 1);
      },
    );

  program
    .command('read')
    .description('build the side-by-side reader site (see tools/src/reader; --help there)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action((args: string[]) => {
      throw new ExitWith(runTool('tools/src/reader/main.ts', args));
    });

  program
    .command('revision')
    .description(
      'add a revision for a later kernel patch: revision new NAME --from v6.4 --files ... (see tools/src/revision)',
    )
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action((args: string[]) => {
      throw new ExitWith(runTool('tools/src/revision/main.ts', args));
    });

  program
    .command('check')
    .option('--tap', 'TAP output')
    .option('--dir <dir>', 'fixture corpus directory', 'fixtures')
    .option('--quick', 'the corpus and the kill table only')
    .description(
      'the main job: run the whole fixture corpus (and, once present, exploration and equivalence)',
    )
    .action((o: { tap?: boolean; dir: string; quick?: boolean }) => {
      throw new ExitWith(checkCorpus(o.dir, io, o.tap ?? false, o.quick ?? false));
    });
  program
    .command('explore')
    .argument('<config>', 'explorer configuration (YAML or JSON)')
    .option('--depth <n>', 'bound on the number of events', (v) => parsePositive('--depth', v))
    .option('--rev <rev>', 'revision (overrides the file)')
    .option('--mutant <name>', 'mutant (overrides the file)')
    .option('--out <dir>', 'where counterexample scenarios are written', 'reports/counterexamples')
    .option('--max-states <n>', 'stop after this many distinct states', (v) =>
      parsePositive('--max-states', v),
    )
    .option('--max-mem <mib>', 'bound on the visited set, in MiB', (v) => parsePositive('--max-mem', v), 1024)
    .option('--shard <i/n>', 'explore only the sequences whose first event falls in shard i of n')
    .option('--atomic-paths', 'run kernel paths whole (no interleaving inside a path)')
    .option('--free-steps', 'continuing a stopped kernel path costs no depth')
    .option('--workers <n>', 'explore shards in this many worker threads', (v) =>
      parsePositive('--workers', v),
    )
    .option('--report <file>', 'write the report (and its visited set, FILE.fps) for kvmfp merge')
    .option('--json', 'machine-readable report')
    .description('every event sequence up to a bound, breadth-first, with every invariant checked')
    .addHelpText('after', `\n${ALPHABET_DOC}`)
    .action(async (config: string, o: Record<string, unknown>) => {
      throw new ExitWith(await exploreCommand(config, o, io));
    });

  program
    .command('merge')
    .argument('<reports...>', 'shard reports written by kvmfp explore --shard i/n --report FILE')
    .option('--report <file>', 'write the merged report')
    .option('--json', 'machine-readable report')
    .description('combine shard reports into the report of the whole run')
    .action((files: string[], o: Record<string, unknown>) => {
      throw new ExitWith(mergeCommand(files, o, io));
    });

  program
    .command('equiv')
    .argument('<a>', 'revision or mutant name')
    .argument('<b>', 'revision or mutant name')
    .argument('<config>', 'explorer configuration')
    .option('--depth <n>', 'bound on the number of events', (v) => parsePositive('--depth', v))
    .option('--moves', 'also compare bank moves')
    .option('--json', 'machine-readable report')
    .description(
      'explore two revisions (or a revision and a mutant) in lockstep; report the first difference',
    )
    .action((a: string, b: string, config: string, o: Record<string, unknown>) => {
      throw new ExitWith(equivCommand(a, b, config, o, io));
    });
  return program;
}

function parsePositive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InputError(`${flag}: expected a positive integer, found '${v}'`);
  return n;
}

function traceHtml(r: Parameters<typeof renderTraceHtml>[0], out: string, readerDir: string): string {
  const readerBase = relative(dirname(resolve(out)), resolve(readerDir)) + '/';
  const map = join(readerDir, 'functions.json');
  const functionPages = existsSync(map)
    ? (JSON.parse(readFileSync(map, 'utf8')) as Record<string, string>)
    : undefined;
  return renderTraceHtml(r, { readerBase, functionPages });
}

/** The reader and the revision tool live in tools (which may read every package); a subprocess keeps sim from importing them. */
function runTool(path: string, args: string[]): number {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const main = join(root, path);
  const r = spawnSync(process.execPath, [tsx, '--conditions=@kvmfp/source', main, ...args], {
    stdio: 'inherit',
  });
  return r.status ?? 2;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitWith) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InputError) {
      io.err(e.message);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`kvmfp: internal error: ${msg.split('\n')[0]}`);
    return 3;
  }
}
