// The port manifest: one packages/<pkg>/manifest.json per port package, listing every kernel
// function the package ports (or models as configuration), where its TypeScript lives, and a
// normalised hash of the kernel function at that revision so drift is visible.

import { z } from 'zod';
import { CliError } from '../shared/cli.js';

const C_IDENTIFIER = /^[A-Za-z_]\w*$/;

export const readFromSchema = z.strictObject({
  repo: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name of the repository the text was read from'),
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'expected a full 40-hex commit id'),
});

export const entrySchema = z
  .strictObject({
    kernelPath: z
      .string()
      .regex(/^[\w.+-]+(\/[\w.+-]+)*\.[ch]$/, 'expected a kernel .c or .h path like arch/arm64/kvm/fpsimd.c'),
    function: z.string().regex(C_IDENTIFIER, 'expected a C function name'),
    revision: z.string().regex(/^v\d+\.\d+$/, 'expected a revision like v6.4'),
    /** Which definition (0-based, in file order) when the file has several; default: first non-stub. */
    variant: z.int().min(0, 'expected a definition index from 0').optional(),
    tsSymbol: z
      .string()
      .regex(/^[A-Za-z_$][\w$]*$/, 'expected a TypeScript identifier')
      .optional(),
    tsFile: z
      .string()
      .regex(/^src\/.+\.ts$/, 'expected a path under the package like src/v6.4/fpsimd.ts')
      .optional(),
    readFrom: readFromSchema.optional(),
    bodyHash: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex digits')
      .optional(),
    kind: z.enum(['ported', 'configuration'], 'expected "ported" or "configuration"'),
    note: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    // A ported function must say where its port is; a configuration entry may have no TS symbol.
    if (e.kind !== 'ported') return;
    if (e.tsSymbol === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['tsSymbol'],
        message: 'expected the TS symbol of a ported function',
      });
    if (e.tsFile === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['tsFile'],
        message: 'expected the TS file of a ported function',
      });
  });

/**
 * An exported function with a kernel-style name that is deliberately not a kernel function; without
 * tsSymbol, every export of tsFile (a file of ported macros, say).
 */
export const exemptSchema = z.strictObject({
  tsSymbol: z
    .string()
    .regex(/^[A-Za-z_$][\w$]*$/, 'expected a TypeScript identifier')
    .optional(),
  tsFile: z.string().regex(/^src\/.+\.ts$/, 'expected a path under the package like src/v6.4/sysreg.ts'),
  reason: z.string().min(1, 'expected why this export has no kernel function (e.g. "macro", "helper")'),
});

export const manifestSchema = z.strictObject({
  package: z.string().regex(/^@kvmfp\/[a-z0-9-]+$/, 'expected the package name, like @kvmfp/kvm-fpsimd'),
  entries: z.array(entrySchema),
  exempt: z.array(exemptSchema).optional(),
});

export type ManifestEntry = z.infer<typeof entrySchema>;
export type ManifestExempt = z.infer<typeof exemptSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/** Parses manifest text; any problem becomes one line: file, field path, what was expected. */
export function parseManifest(text: string, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: expected JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const result = manifestSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issuePath(issue.path) : '(top level)';
  throw new CliError(`${file}: ${where}: ${issue?.message ?? 'invalid manifest'}`);
}

/** The JSON Schema of the format, for editors and for other tools. */
export function manifestJsonSchema(): unknown {
  return z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' });
}
