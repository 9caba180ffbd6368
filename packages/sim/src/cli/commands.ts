// The CLI's commands, as a function from arguments to an exit status, so tests (and the fuzzer)
// drive it in-process. Exit status: 0 ok, 1 expectations not met / violations found, 2 bad input.

import { Command, CommanderError } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTraceHtml } from '../html.js';
import { formatRun, runJson } from '../format.js';
import { runScenario } from '../run.js';
import { InputError } from '../input/errors.js';
import {
  checkOutputDir,
  checkOutputFile,
  COMMAND_LINE,
  MAX_DEPTH,
  MAX_MEM_MIB,
  MAX_SHARDS,
  MAX_WORKERS,
  oneOfFlag,
  parseDepth,
  parseMaxMem,
  parseMaxStates,
  parseShardFlag,
  parseWorkers,
} from '../input/flags.js';
import { loadFunctionPages } from '../input/reader-data.js';
import { MUTANT_NAMES, REVISION_NAMES } from '../revisions.js';
import { loadScenario } from '../scenario.js';
import { checkCorpus } from './check.js';
import { equivCommand, exploreCommand, mergeCommand } from './explore-cmd.js';
import { parseDuration } from './stop.js';
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
    // Commander's own error text (which may span lines) is replaced by one line in runCli.
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined });

  program
    .command('run')
    .argument('<file>', 'scenario file (YAML or JSON)')
    .option('--json', 'machine-readable output')
    .option('--rev <rev>', 'revision to run (overrides the file)', revisionFlag)
    .option('--mutant <name>', 'mutant to run (overrides the file)', mutantFlag)
    .option('--html <out>', 'write a per-CPU timeline page')
    .option('--reader <dir>', 'the reader site the timeline links into (kvmfp read --out)', 'site/reader')
    .description(
      'run one scenario: print its trace (every step with the kernel functions it ran) and check its expectations, if it has any',
    )
    .addHelpText(
      'after',
      `
Without \`expect\` the run only shows the trace (observe-only, exit 0). An event that is not enabled
where it comes (a task not in user space, a CPU not at a preemption point, ...) is an input error,
one line and exit 2, unless \`expect.disabled\` lists its step number. A \`to:\` must name a
preemption point of the README's list (function:where); a misspelled one is an input error that
names the nearest label.
Exit status: 0 expectations met (or none given); 1 not met; 2 bad input; 3 internal error.`,
    )
    .action(
      (file: string, o: { json?: boolean; rev?: string; mutant?: string; html?: string; reader: string }) => {
        if (o.html) checkOutputFile('--html', o.html);
        const functionPages = o.html ? loadFunctionPages(o.reader) : undefined;
        const s = loadScenario(file);
        const r = runScenario(s, { revision: o.rev, mutant: o.mutant });
        const bad = r.unexpectedlyDisabled[0];
        if (bad)
          throw new InputError(
            `${file}: events.${bad.n - 1}: expected an event enabled at this step (or step ${bad.n} listed in expect.disabled), found ${bad.event}, not enabled: ${bad.reason}`,
          );
        io.out(o.json ? runJson(r) : formatRun(r));
        if (o.html) writeOutputFile(o.html, traceHtml(r, o.html, o.reader, functionPages));
        throw new ExitWith(r.passed ? 0 : 1);
      },
    );

  program
    .command('check')
    .option('--tap', 'TAP output')
    .option('--dir <dir>', 'fixture corpus directory', 'fixtures')
    .option('--quick', 'the corpus and the kill table only')
    .option(
      '--times',
      'the seconds each exploration and equivalence took (the screen then differs between runs)',
    )
    .description(
      'the main job: the fixture corpus, the mutant kill table, every explorer configuration to its state budget (CHECK_BUDGETS) or exhaustion with the known findings of findings/, and v6.3 = v6.4 on the reference configurations (--quick: corpus and kill table only); exit 1 on a failed scenario, a surviving mutant, a new violation, an expected finding not re-found or a difference',
    )
    .action((o: { tap?: boolean; dir: string; quick?: boolean; times?: boolean }) => {
      throw new ExitWith(checkCorpus(o.dir, io, o.tap ?? false, o.quick ?? false, o.times ?? false));
    });
  program
    .command('explore')
    .argument('<config>', 'explorer configuration (YAML or JSON)')
    .option(
      '--depth <n>',
      `bound on the number of choices (continuing a stopped kernel path is free; at most ${MAX_DEPTH}); without it, and without depth in the file, the search runs until no new state is left`,
      parseDepth,
    )
    .option('--rev <rev>', 'revision (overrides the file)', revisionFlag)
    .option('--mutant <name>', 'mutant (overrides the file)', mutantFlag)
    .option(
      '--out <dir>',
      'where counterexample scenarios are written as they are found (default: a new folder under reports/out/counterexamples/, git-ignored, or the temp dir)',
    )
    .option(
      '--known <dir>',
      'finding scenarios: counterexamples with their signature are reported as known, and the search goes on past them (default: fixtures/findings/)',
    )
    .option('--no-known', 'treat every counterexample as new')
    .option('--expand-violations', 'continue the search from violating states too')
    .option('--max-states <n>', 'stop after this many distinct states', parseMaxStates)
    .option('--max-mem <mib>', `bound on the visited set, in MiB (at most ${MAX_MEM_MIB})`, parseMaxMem, 1024)
    .option(
      '--time-limit <duration>',
      'stop cleanly after this long (90, 90s, 15m, 2h) with a partial report',
      (v) => parseDuration('--time-limit', v),
    )
    .option(
      '--shard <i/n>',
      `explore only the states reached through the root's events whose index falls in shard i of n (n at most ${MAX_SHARDS})`,
      parseShardFlag,
    )
    .option('--atomic-paths', 'run kernel paths whole (no interleaving inside a path)')
    .option('--free-steps', 'continuing a stopped kernel path costs no depth')
    .option(
      '--no-symmetry',
      'keep states apart that differ only by which of several interchangeable tasks is which',
    )
    .option(
      '--no-sleep-sets',
      'take every enabled event, also a step another order already took (sleep sets: sleep.ts)',
    )
    .option(
      '--workers <n>',
      `split the states between this many worker threads, same report (at most ${MAX_WORKERS})`,
      parseWorkers,
    )
    .option('--report <file>', 'write the report (and its visited set, FILE.fps) for kvmfp merge')
    .option('--json', 'machine-readable report on stdout (progress stays on stderr)')
    .option(
      '--no-progress',
      'no progress on stderr (default: a bar on a terminal, a line every 10 s otherwise)',
    )
    .description(
      'every reachable state, breadth-first (to exhaustion, or to a bound on choices), with every invariant checked',
    )
    .addHelpText('after', `\n${ALPHABET_DOC}\n${STOP_HELP}`)
    .action(async (config: string, o: Parameters<typeof exploreCommand>[1]) => {
      checkExploreOutputs(o as Record<string, unknown>);
      throw new ExitWith(await exploreCommand(config, o, io));
    });

  program
    .command('merge')
    .argument('<reports...>', 'shard reports written by kvmfp explore --shard i/n --report FILE')
    .option('--report <file>', 'write the merged report')
    .option('--json', 'machine-readable report')
    .description('combine shard reports into the report of the whole run')
    .action((files: string[], o: Parameters<typeof mergeCommand>[1]) => {
      if (typeof o.report === 'string') checkOutputFile('--report', o.report);
      throw new ExitWith(mergeCommand(files, o, io));
    });

  program
    .command('equiv')
    .argument('<a>', 'revision or mutant name', sideName('a'))
    .argument('<b>', 'revision or mutant name', sideName('b'))
    .argument('<config>', 'explorer configuration')
    .option(
      '--depth <n>',
      `bound on the number of choices (at most ${MAX_DEPTH}); without it, until no new pair of states is left`,
      parseDepth,
    )
    .option('--moves', 'also compare bank moves')
    .option(
      '--time-limit <duration>',
      'stop cleanly after this long (90, 90s, 15m, 2h) with a partial report',
      (v) => parseDuration('--time-limit', v),
    )
    .option('--json', 'machine-readable report on stdout (progress stays on stderr)')
    .option('--no-progress', 'no progress on stderr')
    .description(
      "explore two revisions (or a revision and a mutant) in lockstep; report the first difference (a mutant runs on the configuration's revision)",
    )
    .addHelpText('after', STOP_HELP)
    .action(async (a: string, b: string, config: string, o: Parameters<typeof equivCommand>[3]) => {
      throw new ExitWith(await equivCommand(a, b, config, o, io));
    });
  for (const t of TOOLS)
    program
      .command(t.name)
      .description(`${t.description} (${t.path}; ${t.name} --help for its options)`)
      .allowUnknownOption()
      .helpOption(false)
      .argument('[args...]')
      .action(async (args: string[]) => {
        throw new ExitWith(await runTool(t.path, args));
      });
  return program;
}

const revisionFlag = oneOfFlag('--rev', REVISION_NAMES);
const sideName = (arg: string) => oneOfFlag(`equiv ${arg}`, [...REVISION_NAMES, ...MUTANT_NAMES]);
const mutantFlag = oneOfFlag('--mutant', MUTANT_NAMES);

/** Every file and directory an exploration writes, checked before it starts. */
function checkExploreOutputs(o: Record<string, unknown>): void {
  if (typeof o.report === 'string') {
    checkOutputFile('--report', o.report);
    checkOutputFile('--report', `${o.report}.fps`);
  }
  if (typeof o.out === 'string') checkOutputDir('--out', o.out);
}

const STOP_HELP = `
Ctrl-C (SIGINT), SIGTERM or --time-limit stop the search between transitions and print the
partial report (levels complete, states, violations so far); a second signal exits at once.
Exit status: 0 done, nothing new; 1 violations (or a difference) found; 2 bad input; 3 internal
error; 124 stopped by --time-limit; 130 stopped by SIGINT; 143 stopped by SIGTERM.`;

function writeOutputFile(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, text);
}

function traceHtml(
  r: Parameters<typeof renderTraceHtml>[0],
  out: string,
  readerDir: string,
  functionPages: Record<string, string> | undefined,
): string {
  const readerBase = relative(dirname(resolve(out)), resolve(readerDir)) + '/';
  return renderTraceHtml(r, { readerBase, functionPages });
}

/**
 * The port-tracking tools live in tools/, which may read every package while no package imports
 * tools (lint's module boundaries), so kvmfp runs each as a child process with the same
 * source-condition and tsx set-up as its own launcher, forwarding the signals it receives.
 * Their kernel-source flags are the same everywhere: --tree PATH, or --git-dir DIR --commit C.
 */
const TOOLS: { name: string; path: string; description: string }[] = [
  {
    name: 'drift',
    path: 'tools/src/drift/main.ts',
    description:
      'where every manifest entry stands in another kernel tree (unchanged, comment-only, code change, moved, gone)',
  },
  {
    name: 'patch-impact',
    path: 'tools/src/patch-impact/main.ts',
    description: 'what a kernel patch (mbox or diff) does to the port, hunk by hunk',
  },
  {
    name: 'manifest',
    path: 'tools/src/manifest/main.ts',
    description: 'manifest verify|fill|unlisted: the kernel-function hashes of the manifests against a tree',
  },
  {
    name: 'sysreg-check',
    path: 'tools/src/sysreg-check/main.ts',
    description: 'every register, field, encoding and constant of @kvmfp/sysreg against a kernel tree',
  },
  {
    name: 'read',
    path: 'tools/src/reader/main.ts',
    description: 'build the side-by-side reader site',
  },
  {
    name: 'revision',
    path: 'tools/src/revision/main.ts',
    description: 'revision new NAME --from v6.4 --files ...: a revision for a later kernel patch',
  },
];

function runTool(path: string, args: string[]): Promise<number> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const child = spawn(
    process.execPath,
    ['--conditions=@kvmfp/source', '--import', 'tsx', join(root, path), ...args],
    { stdio: 'inherit', cwd: process.cwd() },
  );
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      done(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 2));
    }),
  );
}

/** Commander's complaint about the command line, in the one-line form of every input error. */
function commandLineError(e: CommanderError): string {
  const found = e.message
    .replace(/^error:\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return `${COMMAND_LINE}: arguments: expected a command line kvmfp accepts (kvmfp --help), found ${found}`;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  // No command at all is a request for help, not an error.
  if (argv.length === 0) {
    io.out(program.helpInformation().trimEnd());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitWith) return e.code;
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      io.err(commandLineError(e));
      return 2;
    }
    if (e instanceof InputError) {
      io.err(e.message);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`kvmfp: internal error: ${msg.split('\n')[0]}`);
    return 3;
  }
}
