// Shared CLI plumbing: user errors are one line and exit 2, never a stack trace. A CLI body takes
// its arguments and an output sink, so tests run it in-process and read what a user would see.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An error the user can fix (bad option, bad file); printed as one line, exit status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

export const EXIT_USAGE = 2;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export type CliBody = (args: string[], io: Io) => Promise<number> | number;

/** Runs a CLI body; any thrown error becomes one line on the error stream and exit status 2. */
export async function execute(tool: string, body: CliBody, args: string[], io: Io): Promise<number> {
  try {
    return await body(args, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(`${tool}: ${message.split('\n')[0]}`);
    return EXIT_USAGE;
  }
}

const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** The process entry point: argv in, exit status out. */
export async function runMain(tool: string, body: CliBody): Promise<void> {
  process.exitCode = await execute(tool, body, process.argv.slice(2), processIo);
}

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI body in-process and captures what it prints. */
export async function capture(tool: string, body: CliBody, args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (l) => (stdout += l + '\n'), err: (l) => (stderr += l + '\n') };
  const status = await execute(tool, body, args, io);
  return { status, stdout, stderr };
}

/** node:util parseArgs with its errors made into CliErrors (they name the bad option). */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CliError(`options: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** True when this module is the script node was started with (not imported by a test). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && fileURLToPath(moduleUrl) === resolve(script);
}
