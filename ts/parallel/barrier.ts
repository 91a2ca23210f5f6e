// A barrier for the n replicas of a data-parallel fit, on shared memory (Atomics): replica
// threads block in Atomics.wait (allowed in workers) until the last one arrives; one thread can
// also publish news the others wait for, without waiting itself. Any thread,
// the coordinator included, can raise the abort flag: every waiter (and every later arrival)
// then leaves with E_STATE, so a replica that dies or fails never leaves the others waiting.
import { stateError } from '../errors.js';

/** Int32 words a barrier uses: [arrived, generation, abort, published]. */
export const BARRIER_WORDS = 4;
const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;
const PUBLISHED = 3;
/** Waits are cut into slices this long (ms), so the abort flag is seen even without a wake-up. */
const SLICE_MS = 50;
/** How the message of the E_STATE a released replica throws begins. */
export const BARRIER_RELEASE = 'data-parallel training stopped';

export class Barrier {
  readonly #ctl: Int32Array;
  readonly #n: number;

  /** @param ctl BARRIER_WORDS Int32 words of a SharedArrayBuffer (zero at the start) */
  constructor(ctl: Int32Array, n: number) {
    this.#ctl = ctl;
    this.#n = n;
  }

  /** Blocks until all n replicas arrived; answers the ms spent waiting. E_STATE once aborted. */
  wait(): number {
    const c = this.#ctl;
    this.#check();
    const gen = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.#n - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return 0;
    }
    const t0 = performance.now();
    while (Atomics.load(c, GENERATION) === gen) {
      this.#check();
      Atomics.wait(c, GENERATION, gen, SLICE_MS);
    }
    return performance.now() - t0;
  }

  #check(): void {
    if (Atomics.load(this.#ctl, ABORT) !== 0) throw stateError(`${BARRIER_RELEASE}: another replica failed or the trainer was closed`);
  }

  /** One thread tells the others, without waiting for them, that something new is ready
   * (parallel/lead.ts: the leader's next command). */
  publish(): void {
    Atomics.add(this.#ctl, PUBLISHED, 1);
    Atomics.notify(this.#ctl, PUBLISHED);
  }

  /** Blocks until something was published after the `seen`-th publication; answers the count
   * now. E_STATE once aborted. */
  next(seen: number): number {
    const c = this.#ctl;
    while (Atomics.load(c, PUBLISHED) === seen) {
      this.#check();
      Atomics.wait(c, PUBLISHED, seen, SLICE_MS);
    }
    return Atomics.load(c, PUBLISHED);
  }

  /** Releases every waiter with E_STATE (from any thread, the calling one included). */
  abort(): void {
    Atomics.store(this.#ctl, ABORT, 1);
    Atomics.notify(this.#ctl, GENERATION);
    Atomics.notify(this.#ctl, PUBLISHED);
  }

  get aborted(): boolean {
    return Atomics.load(this.#ctl, ABORT) !== 0;
  }

  /** Back to the start (only while no replica is inside). */
  reset(): void {
    this.#ctl.fill(0);
  }
}
