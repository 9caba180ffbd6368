// Shared CLI plumbing: user errors are one line and exit 2, never a stack trace.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An error the user can fix (bad option, bad file); printed as one line, exit status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

export const EXIT_USAGE = 2;

/** Runs a CLI body; turns any thrown error into one line on stderr and exit status 2. */
export async function runCli(tool: string, body: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${tool}: ${message.split('\n')[0]}\n`);
    process.exitCode = EXIT_USAGE;
  }
}

/** node:util parseArgs with its errors made into CliErrors (they name the bad option). */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CliError(`options: ${err instanceof Error ? err.message : String(err)}`);
  }
}
