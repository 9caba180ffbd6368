// SPDX-License-Identifier: GPL-2.0-only
//
// The successors one part of the search hands another (search.ts), as a message between worker
// threads. A successor's world and the worlds of its rebuild chains stay packed: the bytes cross
// as they are, numbered by the Packer of the part that packed them, and the receiving part reads
// them through its mirror of that Packer (pack.ts), kept up to date by the table deltas every part
// sends each round. Chain segments shared by several successors cross once per batch, so a batch
// is about one packed world per successor; so do the steps of their histories (siblings share
// all but their last step) and every text.

import type { Event } from './events.js';
import {
  replayMakes,
  type ExploreOptions,
  type Explorer,
  type ExploreResult,
  type History,
  type PathRef,
  type Segment,
  type StoredNode,
} from './explore.js';
import { keepBytes, PackedWorld, type Packer } from './pack.js';
import type { PathStop } from './runtime.js';
import { afterRound, PartSearch, partResult, type Arrival } from './search.js';

/**
 * Successors of one round for one part: their packed worlds end to end, and records of numbers
 * that place them, each text (an event, a stop, a label, a tag, a sleep-set key) named by its
 * number in `texts`, sent once per batch. Both buffers are transferred, not copied; a structured
 * clone of the successors as objects (their paths, stops and histories) cost more than their worlds.
 */
export interface WireBatch {
  bytes: Uint8Array;
  words: Float64Array;
  texts: string[];
}

// Record tags. A record's references (a segment's predecessor, a path's chain, a history's
// predecessor) are to records of the same kind written before it, by their number (-1: none).
/**
 * A rebuild chain's segment: prev, world (at, len, by), event, restart stop and tag (or -1 -1),
 * continues (1 or 0: Segment.continues).
 */
const R_SEG = 1;
/** One event of a history: prev, event. */
const R_HIST = 2;
/**
 * A successor: hi, lo, sub, ci, key (2), depth, ties, sleep (-1, or a count and the keys), and
 * 0, or 1 and its state: world (at, len, by), history, paths (a count, then pid, sig (2), chain,
 * stop, label, tag, at each; at is 1 when PathRef.at is the state's own history, else 0),
 * relabelList (-1, or a count and the numbers), tieLists (-1, or a count and each list so).
 */
const R_ARRIVAL = 3;

function packedOf(snap: Segment['snap'] | undefined): PackedWorld {
  if (!(snap instanceof PackedWorld)) throw new Error('explore: parts of a search need a packed frontier');
  return snap;
}

/** A growing list of numbers kept in a Float64Array (sent as it is). */
class Words {
  private buf = new Float64Array(4096);
  private n = 0;

  push(...xs: number[]): void {
    if (this.n + xs.length > this.buf.length) {
      const bigger = new Float64Array(Math.max(this.buf.length * 2, this.n + xs.length));
      bigger.set(this.buf.subarray(0, this.n));
      this.buf = bigger;
    }
    for (const x of xs) this.buf[this.n++] = x;
  }

  done(): Float64Array {
    return this.buf.slice(0, this.n);
  }
}

/** Writes one batch: records in order, each segment and history step once, before its first use. */
class BatchWriter {
  private readonly words = new Words();
  private readonly texts: string[] = [];
  private readonly textIds = new Map<string, number>();
  private readonly eventIds = new Map<Event, number>();
  private readonly stopIds = new Map<PathStop, number>();
  private readonly segIds = new Map<Segment, number>();
  private readonly histIds = new Map<History, number>();
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly me: number) {}

  private text(t: string): number {
    let id = this.textIds.get(t);
    if (id === undefined) this.textIds.set(t, (id = this.texts.push(t) - 1));
    return id;
  }

  private event(ev: Event): number {
    let id = this.eventIds.get(ev);
    if (id === undefined) this.eventIds.set(ev, (id = this.text(JSON.stringify(ev))));
    return id;
  }

  /** Paths left alone by an event keep their stop object: its text is made once. */
  private stop(stop: PathStop): number {
    let id = this.stopIds.get(stop);
    if (id === undefined) this.stopIds.set(stop, (id = this.text(JSON.stringify(stop))));
    return id;
  }

  private world(p: PackedWorld): void {
    this.chunks.push(p.bytes);
    this.words.push(this.size, p.bytes.length, p.by?.part ?? this.me);
    this.size += p.bytes.length;
  }

  private seg(s: Segment | null): number {
    if (!s) return -1;
    let id = this.segIds.get(s);
    if (id !== undefined) return id;
    const prev = this.seg(s.prev);
    this.words.push(R_SEG, prev);
    this.world(packedOf(s.snap));
    this.words.push(this.event(s.ev));
    if (s.from) this.words.push(this.stop(s.from.stop), this.text(s.from.tag));
    else this.words.push(-1, -1);
    this.words.push(s.continues ? 1 : 0);
    this.segIds.set(s, (id = this.segIds.size));
    return id;
  }

  /** A history's number, writing the steps of it not written yet (oldest first). */
  private hist(h: History | null): number {
    const unwritten: History[] = [];
    let known = -1;
    for (let x = h; x; x = x.prev) {
      const id = this.histIds.get(x);
      if (id !== undefined) {
        known = id;
        break;
      }
      unwritten.push(x);
    }
    for (let i = unwritten.length - 1; i >= 0; i--) {
      const x = unwritten[i];
      this.words.push(R_HIST, known, this.event(x.ev));
      this.histIds.set(x, (known = this.histIds.size));
    }
    return known;
  }

  private numbers(list: readonly number[] | undefined): void {
    if (!list) this.words.push(-1);
    else {
      this.words.push(list.length);
      for (const x of list) this.words.push(x);
    }
  }

  arrival(a: Arrival): void {
    const n = a.node;
    // What the record names is written first.
    const chains = n ? n.paths.map((p) => this.seg(p.chain)) : [];
    const hist = n ? this.hist(n.hist) : -1;
    const w = this.words;
    w.push(R_ARRIVAL, a.hi, a.lo, a.sub, a.ci, a.key[0], a.key[1], a.depth, a.ties ? 1 : 0);
    if (!a.sleep) w.push(-1);
    else {
      w.push(a.sleep.length);
      for (const k of a.sleep) w.push(this.text(k));
    }
    if (!n) {
      w.push(0);
      return;
    }
    w.push(1);
    this.world(packedOf(n.packed));
    w.push(hist, n.paths.length);
    // A path's `at` is an identity in this thread; what it says of this state crosses as a bit.
    n.paths.forEach((p, i) =>
      w.push(
        p.pid,
        p.sig[0],
        p.sig[1],
        chains[i],
        this.stop(p.stop),
        this.text(p.label),
        this.text(p.tag),
        replayMakes(p, n.hist) ? 1 : 0,
      ),
    );
    this.numbers(n.relabelList);
    if (!n.tieLists) w.push(-1);
    else {
      w.push(n.tieLists.length);
      for (const t of n.tieLists) this.numbers(t);
    }
  }

  batch(): WireBatch {
    const bytes = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return { bytes, words: this.words.done(), texts: this.texts };
  }
}

/** Writes the arrivals of one round for one other part. */
export function writeBatch(me: number, arrivals: readonly Arrival[]): WireBatch {
  const out = new BatchWriter(me);
  for (const a of arrivals) out.arrival(a);
  return out.batch();
}

/** Reads a batch another part wrote, through this part's mirrors of the Packers it names. */
export function readBatch(me: number, mirrors: readonly (Packer | null)[], batch: WireBatch): Arrival[] {
  const { words, texts } = batch;
  let at = 0;
  const next = () => words[at++];
  // Parsed once per batch; events and stops are never written to once made.
  const parsed = new Map<number, unknown>();
  const parse = <T>(id: number): T => {
    let v = parsed.get(id);
    if (v === undefined) parsed.set(id, (v = JSON.parse(texts[id])));
    return v as T;
  };
  // Each world is copied out of the batch's buffer (into a slab, as a packed world is), so that a
  // state kept long does not keep the whole batch alive.
  const world = (): PackedWorld => {
    const from = next();
    const len = next();
    const by = next();
    return new PackedWorld(keepBytes(batch.bytes.subarray(from), len), by === me ? undefined : mirrors[by]!);
  };
  const numbers = (): number[] | undefined => {
    const n = next();
    if (n < 0) return undefined;
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(next());
    return out;
  };
  const segs: Segment[] = [];
  const hists: History[] = [];
  const out: Arrival[] = [];
  while (at < words.length) {
    const tag = next();
    if (tag === R_SEG) {
      const prev = next();
      const snap = world();
      const ev = parse<Event>(next());
      const stop = next();
      const tagText = next();
      const seg: Segment = {
        prev: prev < 0 ? null : segs[prev],
        snap,
        ev,
        from: stop < 0 ? undefined : { stop: parse<PathStop>(stop), tag: texts[tagText] },
      };
      if (next() === 1) seg.continues = true;
      segs.push(seg);
    } else if (tag === R_HIST) {
      const prev = next();
      hists.push({ ev: parse<Event>(next()), prev: prev < 0 ? null : hists[prev] });
    } else if (tag === R_ARRIVAL) out.push(readArrival());
    else throw new Error(`explore: bad record ${tag} in a batch of successors`);
  }
  return out;

  function readArrival(): Arrival {
    const hi = next();
    const lo = next();
    const sub = next();
    const ci = next();
    const key: [number, number] = [next(), next()];
    const depth = next();
    const ties = next() === 1;
    const sleepCount = next();
    let sleep: string[] | null = null;
    if (sleepCount >= 0) {
      sleep = [];
      for (let i = 0; i < sleepCount; i++) sleep.push(texts[next()]);
    }
    let node: StoredNode | null = null;
    if (next() === 1) {
      const packed = world();
      const histId = next();
      const hist = histId < 0 ? null : hists[histId];
      const count = next();
      const paths: PathRef[] = [];
      for (let i = 0; i < count; i++) {
        const pid = next();
        const sig: [number, number] = [next(), next()];
        const chain = next();
        paths.push({
          pid,
          sig,
          chain: chain < 0 ? null : segs[chain],
          stop: parse<PathStop>(next()),
          label: texts[next()],
          tag: texts[next()],
          at: next() === 1 && hist ? hist : undefined,
        });
      }
      const relabelList = numbers();
      const ties = next();
      let tieLists: number[][] | undefined;
      if (ties >= 0) {
        tieLists = [];
        for (let i = 0; i < ties; i++) tieLists.push(numbers()!);
      }
      node = { key, depth, paths, hist, packed, relabelList, tieLists };
    }
    return { hi, lo, sub, ci, key, depth, ties, sleep, node };
  }
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
    // What each part stored in this merge, told to the others before the next round.
    const told = searches.map((s) => s.tellStored());
    searches.forEach((s, j) => told.forEach((t, i) => i !== j && s.learnStored(t)));
  }
}
