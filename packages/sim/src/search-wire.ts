// SPDX-License-Identifier: GPL-2.0-only
//
// The successors one part of the search hands another (search.ts), as a message between worker
// threads. A successor's world and the worlds of its rebuild chains stay packed: the bytes cross
// as they are, numbered by the Packer of the part that packed them, and the receiving part reads
// them through its mirror of that Packer (pack.ts), kept up to date by the table deltas every part
// sends each round. Chain segments shared by several successors cross once per batch, so a batch
// is about one packed world per successor; a successor's history crosses as JSON text and stays
// text until a counterexample needs it.

import type { Event } from './events.js';
import type { ExploreOptions, Explorer, ExploreResult, PathRef, Segment, StoredNode } from './explore.js';
import { historyOf } from './explore.js';
import { PackedWorld, type Packer } from './pack.js';
import type { PathStop } from './runtime.js';
import { afterRound, PartSearch, partResult, type Arrival } from './search.js';

interface WireSeg {
  prev: number;
  /** Where its packed world lies in the batch's bytes. */
  at: number;
  len: number;
  /** The part whose Packer numbers the bytes. */
  by: number;
  ev: Event;
  from?: { stop: PathStop; tag: string };
}

interface WirePath {
  pid: number;
  sig: [number, number];
  /** Index into the batch's segments, or -1: the path restarts from its anchor. */
  chain: number;
  stop: PathStop;
  label: string;
  tag: string;
}

interface WireNode {
  at: number;
  len: number;
  by: number;
  paths: WirePath[];
  /** The events that led to it (historyOf), as JSON text. */
  hist: string;
  relabelList?: number[];
  tieLists?: number[][];
}

type WireArrival = Omit<Arrival, 'node'> & { node: WireNode | null };

/** Successors of one round for one part. */
export interface WireBatch {
  /** Every packed world of the batch, end to end (one buffer, transferred, not copied). */
  bytes: Uint8Array;
  segs: WireSeg[];
  arrivals: WireArrival[];
}

function packedOf(snap: Segment['snap'] | undefined): PackedWorld {
  if (!(snap instanceof PackedWorld)) throw new Error('explore: parts of a search need a packed frontier');
  return snap;
}

/** Writes the arrivals of one round for one other part. */
export function writeBatch(me: number, arrivals: readonly Arrival[]): WireBatch {
  const segIds = new Map<Segment, number>();
  const batch: Omit<WireBatch, 'bytes'> = { segs: [], arrivals: [] };
  const partOf = (p: PackedWorld) => p.by?.part ?? me;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const place = (p: PackedWorld) => {
    chunks.push(p.bytes);
    size += p.bytes.length;
    return { at: size - p.bytes.length, len: p.bytes.length, by: partOf(p) };
  };
  const seg = (s: Segment | null): number => {
    if (!s) return -1;
    let id = segIds.get(s);
    if (id !== undefined) return id;
    const prev = seg(s.prev);
    const snap = packedOf(s.snap);
    id = batch.segs.push({ prev, ...place(snap), ev: s.ev, from: s.from }) - 1;
    segIds.set(s, id);
    return id;
  };
  for (const a of arrivals) {
    let node: WireNode | null = null;
    if (a.node) {
      const n = a.node;
      const packed = packedOf(n.packed);
      node = {
        ...place(packed),
        paths: n.paths.map((p) => ({ ...p, chain: seg(p.chain) })),
        hist: JSON.stringify(historyOf(n)),
        relabelList: n.relabelList,
        tieLists: n.tieLists,
      };
    }
    batch.arrivals.push({ ...a, node });
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { ...batch, bytes };
}

/** Reads a batch another part wrote, through this part's mirrors of the Packers it names. */
export function readBatch(me: number, mirrors: readonly (Packer | null)[], batch: WireBatch): Arrival[] {
  // Each world is copied out of the batch's buffer, so that a state kept long does not keep the
  // whole batch alive.
  const packed = (w: { at: number; len: number; by: number }) =>
    new PackedWorld(batch.bytes.slice(w.at, w.at + w.len), w.by === me ? undefined : mirrors[w.by]!);
  const segs: Segment[] = [];
  for (const s of batch.segs)
    segs.push({
      prev: s.prev < 0 ? null : segs[s.prev],
      snap: packed(s),
      ev: s.ev,
      from: s.from,
    });
  return batch.arrivals.map((a) => {
    const w = a.node;
    if (!w) return { ...a, node: null };
    const paths: PathRef[] = w.paths.map((p) => ({ ...p, chain: p.chain < 0 ? null : segs[p.chain] }));
    const node: StoredNode = {
      key: a.key,
      depth: a.depth,
      paths,
      hist: w.hist === '[]' ? null : { text: w.hist },
      packed: packed(w),
      relabelList: w.relabelList,
      tieLists: w.tieLists,
    };
    return { ...a, node };
  });
}

/**
 * A split search run in one thread, the parts taking turns (tests and profiles): each part's
 * successors for another cross as a wire batch (search-wire.ts), read through mirrors, as between
 * workers. Returns each part's result.
 */
export function exploreInTurns(
  make: (part: number) => Explorer,
  opts: ExploreOptions,
  parts: number,
): ExploreResult[] {
  const explorers = Array.from({ length: parts }, (_, i) => make(i));
  const searches = explorers.map((ex, i) => new PartSearch(ex, opts, i, parts));
  const mirrors = explorers.map((ex, i) => explorers.map((_, j) => (j === i ? null : ex.packer.mirror(j))));
  for (;;) {
    const reports = searches.map((s) => s.round());
    const deltas = explorers.map((ex) => ex.packer.delta());
    const next = afterRound(reports, opts.maxStates);
    if (next.finish) {
      if (next.finish.stoppedBy) searches.forEach((s) => s.advance());
      return searches.map((s) => partResult(s, opts.keepVisited ?? false, next.finish));
    }
    const { advance } = next;
    searches.forEach((s, j) => {
      const incoming = reports.flatMap((r, i) => {
        if (i === j) return [];
        mirrors[j][i]!.apply(deltas[i]);
        return readBatch(j, mirrors[j], writeBatch(i, r.outboxes[j]));
      });
      s.merge(incoming);
      if (advance) s.advance();
    });
  }
}
