import { createHash } from 'node:crypto';
import type { DeclineReason, TaskPosted, WorkerEvent } from '@clearwork/contracts';

/**
 * A seeded, deterministic workforce and task stream for benchmarks and simulations: who the
 * workers are (skills drawn Zipf-like from a catalogue, so popular skills have big pools),
 * which tasks arrive, and how each worker answers each offer. Nothing here reads the clock or
 * does I/O: times are passed in, and every draw is a pure function of the seed and what is
 * being drawn (task number, worker and task of an offer), so answers do not depend on the order
 * in which offers happen to arrive.
 */

/** How the simulated platform behaves; every field but `seed` and `workers` has a realistic default. */
export interface SimulationOptions {
  readonly seed: number;
  readonly workers: number;
  /** Distinguishes the ids of one run's workers and tasks from another's on shared topics. */
  readonly idPrefix?: string;
  /** Size of the skill catalogue (at most the built-in 40 names; more get numbered names). */
  readonly skills?: number;
  /** Zipf exponent of skill popularity: the k-th skill is drawn with weight 1 / k^s. */
  readonly zipfExponent?: number;
  /** Share of offers accepted, and declined (with a reason); the rest are ignored and expire. */
  readonly acceptShare?: number;
  readonly declineShare?: number;
  /** The TTL each task asks its offers to have, so ignored offers come back soon. */
  readonly offerTtlSeconds?: number;
  /** Every worker heartbeats once per this many seconds, the workforce spread evenly over it. */
  readonly heartbeatSeconds?: number;
}

export interface SimulatedWorker {
  readonly workerId: string;
  readonly skills: readonly string[];
  readonly languages: readonly string[];
  readonly capacity: number;
  readonly cohort: Readonly<Record<string, string>>;
}

/** How a worker answers one offer: when, and for an accepted one how long the work takes. */
export type OfferAnswer =
  | { readonly kind: 'accept'; readonly afterMs: number; readonly workSeconds: number }
  | { readonly kind: 'decline'; readonly afterMs: number; readonly reason: DeclineReason }
  | { readonly kind: 'ignore' };

/** The offer being answered, as OfferMade carries it. */
export interface OfferRef {
  readonly offerId: string;
  readonly taskId: string;
  readonly workerId: string;
  readonly attempt: number;
}

const SKILL_NAMES = [
  'image-labelling', 'bounding-boxes', 'text-classification', 'sentiment', 'content-moderation',
  'audio-transcription', 'search-relevance', 'entity-tagging', 'translation-review', 'llm-preference',
  'llm-red-teaming', 'ocr-correction', 'video-tagging', 'polygon-segmentation', 'keypoint-annotation',
  'product-categorisation', 'address-verification', 'receipt-extraction', 'speech-rating', 'medical-coding',
  'legal-review', 'code-review', 'math-reasoning', 'summary-rating', 'toxicity-rating',
  'lidar-annotation', 'face-attributes', 'handwriting', 'survey', 'data-entry',
  'map-editing', 'ad-review', 'music-tagging', 'intent-labelling', 'dialogue-writing',
  'fact-checking', 'chemistry-qa', 'finance-qa', 'accessibility-alt-text', 'satellite-imagery',
];
/** Skill families: the queue a task goes to is its skill's family. */
const QUEUES = ['labelling', 'transcription', 'review', 'llm-feedback', 'extraction'];
/** Languages with their share of the workforce. */
const LANGUAGES: readonly (readonly [string, number])[] = [['en', 0.55], ['es', 0.12], ['hi', 0.08], ['fr', 0.07], ['pt', 0.07], ['de', 0.06], ['sw', 0.05]];
const REGIONS = ['KE', 'IN', 'PH', 'BR', 'US', 'DE', 'NG', 'ES', 'VE', 'PK'];
const DECLINE_REASONS: readonly (readonly [DeclineReason, number])[] = [['unavailable', 0.5], ['other', 0.2], ['personal_emergency', 0.1], ['platform_issue', 0.1], ['not_qualified', 0.1]];

/** Deterministic 32-bit PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit seed from a seed and some names (FNV-1a), so each thing drawn has a stream of its own. */
export function seedFor(seed: number, ...parts: readonly (string | number)[]): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const part of parts) {
    const s = `${part}\u0000`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A version-4-shaped UUID that is a pure function of `parts`: 122 bits of SHA-256 over them. Event
 * ids must not be drawn from a 32-bit stream (`seededUuid`): among the tens of thousands of
 * events of one run two would share an id now and then (a birthday collision is likely past
 * ~65,000), and a consumer that has handled the first takes the second for a redelivery.
 */
export function uuidFor(...parts: readonly (string | number)[]): string {
  const b = createHash('sha256').update(parts.join('\u0000')).digest();
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Draws index k (0-based) with probability proportional to 1 / (k + 1)^s. */
export function zipfSampler(n: number, s: number): (random: () => number) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) cumulative.push((total += 1 / k ** s));
  return (random) => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

function weighted<T>(choices: readonly (readonly [T, number])[], random: () => number): T {
  let x = random() * choices.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, w] of choices) if ((x -= w) < 0) return value;
  return choices[choices.length - 1][0];
}

/** exp(N(mu, sigma)) clamped to [min, max]: answer and work times are skewed, with a long tail. */
function logNormal(random: () => number, median: number, sigma: number, min: number, max: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(max, Math.max(min, median * Math.exp(sigma * z)));
}

/** An event whose id `uuidFor(...id)` is unique to the seed, the simulation's id prefix and what the event is. */
const envelope = <T extends string, D>(type: T, data: D, id: readonly (string | number)[], at: Date) => ({ eventId: uuidFor(type, ...id), type, occurredAt: at.toISOString(), data });

/** The workforce and task stream of one seed; see the module comment. */
export class WorkforceSimulation {
  readonly skillCatalogue: readonly string[];
  readonly workers: readonly SimulatedWorker[];
  readonly offerTtlSeconds: number;
  readonly heartbeatSeconds: number;
  private readonly byId = new Map<string, SimulatedWorker>();
  private readonly drawSkill: (random: () => number) => number;
  private readonly prefix: string;
  private readonly acceptShare: number;
  private readonly declineShare: number;

  constructor(private readonly options: SimulationOptions) {
    const skills = options.skills ?? 40;
    this.skillCatalogue = Array.from({ length: skills }, (_, k) => SKILL_NAMES[k] ?? `skill-${k + 1}`);
    this.drawSkill = zipfSampler(skills, options.zipfExponent ?? 1);
    this.prefix = options.idPrefix ? `${options.idPrefix}-` : '';
    this.acceptShare = options.acceptShare ?? 0.85;
    this.declineShare = options.declineShare ?? 0.1;
    this.offerTtlSeconds = options.offerTtlSeconds ?? 12;
    this.heartbeatSeconds = options.heartbeatSeconds ?? 60;
    this.workers = Array.from({ length: options.workers }, (_, i) => this.makeWorker(i));
    for (const w of this.workers) this.byId.set(w.workerId, w);
  }

  /** What every task id of this simulation starts with. */
  get taskIdPrefix(): string {
    return `t-${this.prefix}`;
  }

  /** What an event id is made of besides its type and what it is about: the seed and the id prefix, so another seed or prefix gives other ids. */
  private idOf(...what: readonly (string | number)[]): (string | number)[] {
    return [this.options.seed, this.prefix, ...what];
  }

  worker(workerId: string): SimulatedWorker | undefined {
    return this.byId.get(workerId);
  }

  private makeWorker(i: number): SimulatedWorker {
    const random = seededRandom(seedFor(this.options.seed, 'worker', i));
    const count = 2 + Math.floor(random() * 3);
    const skills = new Set<string>();
    while (skills.size < Math.min(count, this.skillCatalogue.length)) skills.add(this.skillCatalogue[this.drawSkill(random)]);
    const first = weighted(LANGUAGES, random);
    const languages = first !== 'en' && random() < 0.4 ? [first, 'en'] : [first];
    const capacity = weighted([[1, 0.5], [2, 0.35], [3, 0.15]], random);
    const cohort = { region: REGIONS[Math.floor(random() * REGIONS.length)], gender: weighted([['f', 0.45], ['m', 0.5], ['x', 0.05]], random) };
    return { workerId: `w-${this.prefix}${i}`, skills: [...skills], languages, capacity, cohort };
  }

  /** Every worker's WorkerRegistered followed by its WorkerWentOnline, in worker order. */
  registrations(at: Date): WorkerEvent[] {
    const events: WorkerEvent[] = [];
    for (const w of this.workers) {
      const { workerId, skills, languages, capacity, cohort } = w;
      events.push(
        envelope('WorkerRegistered', { workerId, skills: [...skills], languages: [...languages], qualifications: [], capacity, cohort: { ...cohort } }, this.idOf(workerId), at),
        envelope('WorkerWentOnline', { workerId }, this.idOf(workerId), at),
      );
    }
    return events;
  }

  /** Task number `sequence` of the stream: one skill drawn from the same Zipf as the workers'. */
  task(sequence: number, at: Date): TaskPosted {
    const random = seededRandom(seedFor(this.options.seed, 'task', sequence));
    const skillIndex = this.drawSkill(random);
    const languages = random() < 0.3 ? [weighted(LANGUAGES, random)] : [];
    const replicas = random() < 0.92 ? 1 : 2 + Math.floor(random() * 2);
    return envelope(
      'TaskPosted',
      {
        taskId: `${this.taskIdPrefix}${sequence}`,
        queue: QUEUES[skillIndex % QUEUES.length],
        requiredSkills: [this.skillCatalogue[skillIndex]],
        languages,
        requiredQualifications: [],
        priority: random() < 0.7 ? 5 : Math.floor(random() * 10),
        payCents: 20 + Math.floor(random() * 480),
        currency: 'EUR',
        estimatedSeconds: 2 + Math.floor(random() * 6),
        replicas,
        offerTtlSeconds: this.offerTtlSeconds,
      },
      this.idOf(sequence),
      at,
    );
  }

  /** How the worker answers this offer: accept, decline with a reason, or ignore it. */
  answer(offer: OfferRef): OfferAnswer {
    const random = seededRandom(seedFor(this.options.seed, 'answer', offer.taskId, offer.workerId, offer.attempt));
    const x = random();
    if (x >= this.acceptShare + this.declineShare) return { kind: 'ignore' };
    // Most answers come within a second; a few take a few seconds (well inside the offer's TTL).
    const afterMs = Math.round(logNormal(random, 700, 0.6, 200, 3_000));
    if (x >= this.acceptShare) return { kind: 'decline', afterMs, reason: weighted(DECLINE_REASONS, random) };
    return { kind: 'accept', afterMs, workSeconds: Math.round(logNormal(random, 3, 0.4, 1, 10) * 1_000) / 1_000 };
  }

  /** The events a worker sends for its answer: what to send at `afterMs`, and after the work, if any. */
  answerEvents(offer: OfferRef, answer: Exclude<OfferAnswer, { kind: 'ignore' }>, answeredAt: Date, submittedAt: Date): WorkerEvent[] {
    const { offerId, taskId, workerId } = offer;
    const id = this.idOf(offerId);
    if (answer.kind === 'decline') return [envelope('OfferDeclined', { workerId, offerId, taskId, reason: answer.reason }, id, answeredAt)];
    return [
      envelope('OfferAccepted', { workerId, offerId, taskId }, id, answeredAt),
      envelope('TaskSubmitted', { workerId, taskId, durationSeconds: answer.workSeconds }, id, submittedAt),
    ];
  }

  heartbeat(workerId: string, beat: number, at: Date): WorkerEvent {
    return envelope('WorkerHeartbeat', { workerId }, this.idOf(workerId, beat), at);
  }

  /**
   * The heartbeats due in [fromMs, toMs), counted from the start of the run: worker i beats at
   * i/n of each period, so the workforce's heartbeats are spread evenly. `beat` is the period number.
   */
  heartbeatsDue(fromMs: number, toMs: number): { workerId: string; beat: number }[] {
    const due: { workerId: string; beat: number }[] = [];
    const n = this.workers.length;
    const period = this.heartbeatSeconds * 1_000;
    if (n === 0 || toMs <= fromMs) return due;
    for (let beat = Math.max(0, Math.floor(fromMs / period)); beat * period < toMs; beat++) {
      const lo = Math.max(0, fromMs - beat * period);
      const hi = Math.min(period, toMs - beat * period);
      // Each worker's offset is compared as computed, never derived backwards, so adjoining windows neither skip nor repeat one.
      const offset = (i: number) => Math.floor((i * period) / n);
      let i = Math.max(0, Math.floor((lo * n) / period) - 1);
      while (i < n && offset(i) < lo) i++;
      for (; i < n && offset(i) < hi; i++) due.push({ workerId: this.workers[i].workerId, beat });
    }
    return due;
  }
}
