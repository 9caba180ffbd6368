// Shard report files: the report as JSON (with the run it belongs to and which shard of it) and
// its visited set as FILE.fps (a u32 count, then per state u32 hi, u32 lo, u8 depth). `kvmfp merge`
// reads them back through the input loader, validates each against a schema, and accepts only a
// complete set: every shard of one run, each once.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ExploreReport, ShardResult } from './report.js';
import { FingerprintSet } from './fpset.js';
import { describeValue, fieldError, WHOLE_FILE } from './input/errors.js';
import { COMMAND_LINE, MAX_DEPTH, MAX_SHARDS } from './input/flags.js';
import { parseData } from './input/parse.js';
import { readInputBytes, readInputText } from './input/read.js';
import { compileSchema, validateSchema } from './input/schema.js';
import { MUTANT_NAMES, REVISION_NAMES } from './revisions.js';
import { SCENARIO_SCHEMA } from './scenario-schema.js';

export interface ShardId {
  index: number;
  count: number;
}

/** A report as written to a file: which run (a digest of what determines its result) and which shard. */
export type ReportFile = ExploreReport & { run: string; shard: ShardId };

type Visited = ShardResult['visited'];

/** The visited set keeps 24 bits of the high word (fpset.ts); the byte above is the depth. */
const HI_LIMIT = 2 ** 24;
const RECORD = 9;

/**
 * The identity of a run: the configuration's content and every option that changes the result.
 * Shards of one run share it; the shard count is recorded apart, so any split of a run merges.
 */
export function runId(parts: {
  config: unknown;
  revision: string;
  mutant: string | null;
  depth: number | null;
  mode: string;
  maxStates?: number;
}): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 16);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const count = { type: 'integer', minimum: 0, maximum: 2 ** 48 };
/** Levels a run to exhaustion may have (the diameter of its state space); depths are one byte in the .fps file. */
const MAX_LEVELS = 255;
/** Events in one counterexample (choices plus the free steps between them). */
const MAX_EVENTS = 100_000;
const REPORT_SCHEMA = {
  type: 'object',
  required: [
    'config',
    'revision',
    'mutant',
    'depth',
    'mode',
    'shards',
    'distinct',
    'levels',
    'complete',
    'violations',
    'transitions',
    'run',
    'shard',
  ],
  properties: {
    config: { type: 'string', minLength: 1 },
    revision: { enum: REVISION_NAMES },
    mutant: { enum: [null, ...MUTANT_NAMES] },
    // null: a run to exhaustion (no bound on choices).
    depth: { type: ['integer', 'null'], minimum: 1, maximum: MAX_DEPTH },
    // How states were explored and keyed (explore-cmd.ts modeOf): reports of different modes do not merge.
    mode: {
      type: 'string',
      pattern:
        '^(points|whole paths|points, free steps)(, sleep sets)?(, (task|CPU|task and CPU) symmetry)?$',
    },
    shards: { type: 'integer', minimum: 1, maximum: MAX_SHARDS },
    distinct: count,
    levels: {
      type: 'array',
      maxItems: MAX_LEVELS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['depth', 'distinct', 'newStates'],
        properties: {
          depth: { type: 'integer', minimum: 1, maximum: MAX_LEVELS },
          distinct: count,
          newStates: count,
        },
      },
    },
    complete: { type: 'boolean' },
    exhausted: { type: 'boolean' },
    diameter: { type: 'integer', minimum: 0, maximum: MAX_LEVELS },
    violations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['invariant', 'detail', 'depth', 'events'],
        properties: {
          invariant: { type: 'string', minLength: 1 },
          detail: { type: 'string' },
          depth: { type: 'integer', minimum: 0, maximum: MAX_LEVELS },
          // Continuing a stopped path costs no depth, so a counterexample has more events than choices.
          events: { ...SCENARIO_SCHEMA.properties.events, maxItems: MAX_EVENTS },
        },
      },
    },
    transitions: count,
    run: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    shard: {
      type: 'object',
      additionalProperties: false,
      required: ['index', 'count'],
      properties: {
        index: { type: 'integer', minimum: 0 },
        count: { type: 'integer', minimum: 1, maximum: MAX_SHARDS },
      },
    },
  },
} as const;
const validateReport = compileSchema<ReportFile>(REPORT_SCHEMA);

/** The union of several visited sets (workers), so the file holds each state once, at its smallest depth. */
function union(visited: Visited[]): Visited {
  if (visited.length === 1) return visited[0];
  const set = new FingerprintSet(1 << 16, 2 ** 40);
  for (const v of visited) for (let i = 0; i < v.hi.length; i++) set.add(v.hi[i], v.lo[i], v.depth[i]);
  return set.pack();
}

export function writeReportFiles(file: string, report: ReportFile, visited: Visited[]): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  const v = union(visited);
  const buf = Buffer.alloc(4 + v.hi.length * RECORD);
  buf.writeUInt32LE(v.hi.length, 0);
  for (let i = 0, off = 4; i < v.hi.length; i++, off += RECORD) {
    buf.writeUInt32LE(v.hi[i], off);
    buf.writeUInt32LE(v.lo[i], off + 4);
    buf.writeUInt8(v.depth[i], off + 8);
  }
  writeFileSync(`${file}.fps`, buf);
}

/** A report's visited set: its length agrees with the header and the report, every depth within the report's. */
function readVisited(file: string, report: ReportFile): Visited {
  const fps = `${file}.fps`;
  const buf = readInputBytes(fps, 'visited');
  if (buf.length < 4)
    throw fieldError(fps, WHOLE_FILE, 'a 4-byte count, then 9 bytes a state', `${buf.length} bytes`);
  const n = buf.readUInt32LE(0);
  if (buf.length !== 4 + n * RECORD)
    throw fieldError(
      fps,
      WHOLE_FILE,
      `${4 + n * RECORD} bytes (the header counts ${n} states)`,
      `${buf.length} bytes`,
    );
  if (n !== report.distinct)
    throw fieldError(fps, 'count', `${report.distinct} states (the report's distinct)`, String(n));
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const depth = new Uint8Array(n);
  for (let i = 0, off = 4; i < n; i++, off += RECORD) {
    hi[i] = buf.readUInt32LE(off);
    lo[i] = buf.readUInt32LE(off + 4);
    depth[i] = buf.readUInt8(off + 8);
    if (hi[i] >= HI_LIMIT) throw fieldError(fps, `states.${i}.hi`, `a value below 2^24`, String(hi[i]));
    if (depth[i] > (report.depth ?? MAX_LEVELS))
      throw fieldError(
        fps,
        `states.${i}.depth`,
        `at most the report's depth ${report.depth}`,
        String(depth[i]),
      );
  }
  return { hi, lo, depth };
}

/** One shard report and its visited set, validated. */
export function readReportFile(file: string): { report: ReportFile; visited: Visited } {
  const report = validateSchema(file, validateReport, parseData(file, readInputText(file, 'report')));
  if (report.shard.index >= report.shard.count)
    throw fieldError(
      file,
      'shard.index',
      `below shard.count (${report.shard.count})`,
      String(report.shard.index),
    );
  report.violations.forEach((v, i) => {
    if (v.depth > (report.depth ?? MAX_LEVELS))
      throw fieldError(
        file,
        `violations.${i}.depth`,
        `at most the report's depth ${report.depth}`,
        String(v.depth),
      );
  });
  return { report, visited: readVisited(file, report) };
}

// The run digest covers the configuration's content; its path may differ between machines.
const SAME_IN_EVERY_SHARD = ['run', 'revision', 'mutant', 'depth', 'mode'] as const;

/** Every shard of one run, each once: anything else would be reported as a complete run that is not. */
export function checkCompleteSet(parts: { file: string; report: ReportFile }[]): void {
  const first = parts[0];
  const seen = new Map<number, string>();
  for (const { file, report } of parts) {
    for (const key of SAME_IN_EVERY_SHARD)
      if (report[key] !== first.report[key])
        throw fieldError(
          file,
          key,
          `${describeValue(first.report[key])} as in ${first.file} (one run)`,
          describeValue(report[key]),
        );
    if (report.shard.count !== first.report.shard.count)
      throw fieldError(
        file,
        'shard.count',
        `${first.report.shard.count} as in ${first.file}`,
        String(report.shard.count),
      );
    const other = seen.get(report.shard.index);
    if (other !== undefined)
      throw fieldError(
        file,
        'shard.index',
        `a shard not given before (${other} is shard ${report.shard.index})`,
        String(report.shard.index),
      );
    seen.set(report.shard.index, file);
  }
  const n = first.report.shard.count;
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length)
    throw fieldError(
      COMMAND_LINE,
      'reports',
      `all ${n} shards of run ${first.report.run}`,
      `shard${missing.length > 1 ? 's' : ''} ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''} missing`,
    );
}
