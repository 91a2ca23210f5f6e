// Data-parallel replicas that synchronise among themselves (issue 20): through shared memory
// each replica reduces its own slice of the gradient (reduce-scatter in a fixed order) between
// two barriers, so the bits equal the message path's; a replica that fails or dies releases the
// others from the barrier (E_STATE, nobody left waiting); without SharedArrayBuffer the
// message path runs; workers: 'auto' measures whether the replicas pay (simulated here). Uses dist/.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, sequential, type Trainer, textWindows } from '../dist/index.js';
import { simulateCalibration } from '../dist/parallel/auto.js';
import { ROOT, rejectsWith, replicaBytes } from './helpers.js';

const ids = Uint32Array.from({ length: 3000 }, (_, i) => (i * 5 + (i >> 2)) % 13);
const spec = sequential({ input: { vocab: 13 } })
  .embedding({ dim: 6 })
  .gru({ units: 10 })
  .dropout(0.25)
  .dense({ units: 13 });
const train = (batches: number) => textWindows(ids, { steps: 12, windowsPerEpoch: batches * 9 });

async function trainer(o: { workers?: number | 'auto'; sharedMemory?: boolean; workerUrl?: URL } = {}): Promise<Trainer> {
  const t = await createTrainer(o.workers === 1 ? {} : { workers: o.workers ?? 2, sharedMemory: o.sharedMemory, workerUrl: o.workerUrl });
  await t.build(spec, { seed: 8 });
  await t.compile({ optimizer: { name: 'adam', lr: 1e-2 }, clipNorm: 1 });
  return t;
}

/** A worker script: dist/worker/worker.js with Replica.step patched: `body` runs in place of
 * each step, with `w` (the replica), `calls` (its steps so far, this one included) and `step()`
 * (the original step). */
function patchedWorker(body: string): URL {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-sync-'));
  const file = join(dir, 'worker.mjs');
  const dist = pathToFileURL(join(ROOT, 'dist')).href;
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';\nimport { Replica } from '${dist}/parallel/replica.js';\n` +
      `import { ReplicaSession } from '${dist}/parallel/replica-session.js';\nimport '${dist}/worker/worker.js';\n` +
      `let w = -1;\nlet calls = 0;\nconst begin = ReplicaSession.prototype.replicaBegin;\n` +
      `ReplicaSession.prototype.replicaBegin = function (...a) { w = a[2]; return begin.apply(this, a); };\n` +
      `const orig = Replica.prototype.step;\n` +
      `Replica.prototype.step = function (...a) { const step = () => orig.apply(this, a); void writeFileSync; if (a[4]) return step(); calls++;\n${body}\n};\n`,
  );
  return pathToFileURL(file);
}

beforeAll(() => init());
afterEach(() => simulateCalibration(undefined));

describe('replicas synchronising through shared memory', () => {
  it("give the message path's bits with 2 and 3 replicas (uneven slices, dropout, truncated BPTT), replicas identical", async () => {
    for (const workers of [2, 3]) {
      const runs: Uint8Array[][][] = [];
      for (const sharedMemory of [true, false]) {
        const t = await trainer({ workers, sharedMemory });
        expect(t.workersReason).toMatch(sharedMemory ? /shared memory/ : /messages/);
        const r = await t.fit(train(5), { batchSize: 9, tbptt: { window: 5 }, seed: 2 });
        expect(r.steps).toBe(15);
        const reps = await replicaBytes(t);
        for (const rep of reps) expect(rep).toEqual(reps[0]);
        runs.push(reps);
        await t.dispose();
      }
      expect(runs[1][0], `${workers} replicas`).toEqual(runs[0][0]);
    }
  });

  it('resume bit-exactly mid-epoch through shared memory', async () => {
    const whole = await trainer();
    await whole.fit(train(5), { batchSize: 9, epochs: 2, seed: 4 });
    const want = (await replicaBytes(whole))[0];
    await whole.dispose();
    const first = await trainer();
    const ac = new AbortController();
    const stopped = await first.fit(train(5), {
      batchSize: 9,
      epochs: 2,
      seed: 4,
      signal: ac.signal,
      onProgress: (e) => e.type === 'step' && e.step === 5 && ac.abort(),
    });
    expect(stopped.steps).toBeGreaterThanOrEqual(5);
    expect(stopped.steps).toBeLessThan(10);
    const file = await first.save();
    await first.dispose();
    const second = await createTrainer({ workers: 2 });
    expect((await second.load(file)).training?.step).toBe(stopped.steps);
    expect((await second.fit(train(5), { batchSize: 9, epochs: 2, seed: 4, resume: true })).steps).toBe(10);
    for (const rep of await replicaBytes(second)) expect(rep).toEqual(want);
    await second.dispose();
  });

  it('a replica that fails mid-step releases the other from the barrier; the fit rejects with its error and the next fit runs', async () => {
    const url = patchedWorker(`if (w === 1 && calls === 3) throw new RangeError('replica failed on purpose'); return step();`);
    const t = await trainer({ workerUrl: url });
    await expect(t.fit(train(6), { batchSize: 9 })).rejects.toThrow(/replica failed on purpose/);
    const r = await t.fit(train(3), { batchSize: 9 });
    expect(r.steps).toBe(3);
    const reps = await replicaBytes(t);
    expect(reps[1]).toEqual(reps[0]);
    await t.dispose();
  });

  it('a replica that dies while the other waits at the barrier ends the fit with E_STATE, and the waiter leaves', async () => {
    // replica 1 exits in its third step (replica 0 is then at the barrier) and replica 0 writes
    // down how its step ended
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-sync-'));
    const out = join(dir, 'replica0');
    const url = patchedWorker(
      `if (w === 1) { if (calls === 3) process.exit(7); return step(); }\n` +
        `try { return step(); } catch (e) { writeFileSync(${JSON.stringify(out)}, String(e.code)); throw e; }`,
    );
    const t = await trainer({ workerUrl: url });
    await rejectsWith(t.fit(train(100), { batchSize: 9 }), 'E_STATE', /exited \(code 7\)/);
    await rejectsWith(t.info(), 'E_STATE');
    expect(readFileSync(out, 'utf8')).toBe('E_STATE'); // it left the barrier itself
    await t.dispose();
  });

  it('calls that need every replica are E_STATE during a fit replica 0 leads (never a hang), and answer after it', async () => {
    const t = await trainer();
    const seen: string[] = [];
    await t.fit(train(2), {
      batchSize: 9,
      epochs: 2,
      onProgress: async (e) => {
        if (e.type !== 'epoch') return;
        for (const call of [() => t.getReplicaWeights(), () => t.setVocabulary(undefined)])
          await call().then(
            () => seen.push('answered'),
            (err) => seen.push(err.code),
          );
      },
    });
    expect(seen).toEqual(['E_STATE', 'E_STATE', 'E_STATE', 'E_STATE']);
    expect(await t.getReplicaWeights()).toHaveLength(2);
    await t.dispose();
  });

  it('data the replicas kept from the last fit are reused only while their content is the same (changed in place: sent again)', async () => {
    const rows = (k: number) => Array.from({ length: 18 }, (_, i) => ({ ids: [(i + k) % 13, (i * 3) % 13, 1], targets: [(i * 5 + k) % 13, 2, 3] }));
    // replicas that count the fits which reused their data
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-sync-'));
    const log = join(dir, 'reused');
    const file = join(dir, 'worker.mjs');
    const dist = pathToFileURL(join(ROOT, 'dist')).href;
    writeFileSync(
      file,
      `import { appendFileSync } from 'node:fs';\nimport { ReplicaSession } from '${dist}/parallel/replica-session.js';\nimport '${dist}/worker/worker.js';\n` +
        `const begin = ReplicaSession.prototype.replicaBegin;\n` +
        `ReplicaSession.prototype.replicaBegin = function (...a) { if (a[0] === undefined) appendFileSync(${JSON.stringify(log)}, 'r'); return begin.apply(this, a); };\n`,
    );
    const reused = () => (existsSync(log) ? readFileSync(log, 'utf8').length : 0);
    const weights = async (second: (d: ReturnType<typeof rows>) => ReturnType<typeof rows>) => {
      const t = await trainer({ workerUrl: pathToFileURL(file) });
      const d = rows(0);
      await t.fit(d, { batchSize: 9 });
      await t.fit(second(d), { batchSize: 9 });
      const w = await replicaBytes(t);
      await t.dispose();
      expect(w[1]).toEqual(w[0]);
      return w[0];
    };
    const mutate = (d: ReturnType<typeof rows>) => {
      for (const r of d) r.targets[0] = (r.targets[0] + 1) % 13;
      return d;
    };
    const same = await weights((d) => d); // the replicas keep the data
    expect(reused()).toBe(2); // both replicas, in the second fit
    const changedInPlace = await weights(mutate); // same object, new content: sent again
    const fresh = await weights((d) => mutate(structuredClone(d))); // a new object with that content
    expect(reused()).toBe(2);
    expect(changedInPlace).toEqual(fresh);
    expect(changedInPlace).not.toEqual(same);
  });

  it('dispose() during a fit replica 0 leads rejects it with E_STATE (disposed) and every later call', async () => {
    const t = await trainer();
    let steps = 0;
    const run = t.fit(train(10000), { batchSize: 9, onProgress: () => void steps++ });
    while (steps < 2) await new Promise((r) => setTimeout(r, 5));
    await t.dispose();
    await rejectsWith(run, 'E_STATE', /disposed/);
    await rejectsWith(t.info(), 'E_STATE', /disposed/);
  });

  it('the barrier: a thread that never arrives (it died) and an abort release the waiter with E_STATE', async () => {
    const sab = new SharedArrayBuffer(16);
    const barrier = pathToFileURL(join(ROOT, 'dist/parallel/barrier.js')).href;
    const src =
      `import { workerData, parentPort } from 'node:worker_threads';\nconst { Barrier } = await import(${JSON.stringify(barrier)});\n` +
      `const b = new Barrier(new Int32Array(workerData, 0, 4), 2);\nparentPort.postMessage('waiting');\n` +
      `try { b.wait(); parentPort.postMessage('passed'); } catch (e) { parentPort.postMessage(e.code); }\n` +
      `try { b.next(0); parentPort.postMessage('news'); } catch (e) { parentPort.postMessage(e.code); }\n`;
    const w = new Worker(src, { eval: true, workerData: sab });
    const said: string[] = [];
    const exited = new Promise<number>((r) => w.on('exit', r));
    const waiting = new Promise((r) => w.once('message', r));
    w.on('message', (m) => said.push(m));
    await waiting;
    await new Promise((r) => setTimeout(r, 200));
    expect(said).toEqual(['waiting']); // still waiting for the second thread
    const { Barrier } = await import('../dist/parallel/barrier.js');
    new Barrier(new Int32Array(sab, 0, 4), 2).abort(); // what the coordinator does when a replica dies
    expect(await exited).toBe(0); // it left by itself
    expect(said).toEqual(['waiting', 'E_STATE', 'E_STATE']); // and waiting for news fails as well
  });
});

describe('the message path where shared memory is missing', () => {
  it('runs when the page is not cross-origin isolated (simulated), and sharedMemory: true is E_OPTION there', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      await rejectsWith(createTrainer({ workers: 2, sharedMemory: true }), 'E_OPTION', /cross-origin isolated/);
      const t = await trainer();
      expect(t.workersReason).toMatch(/messages \(no SharedArrayBuffer here\)/);
      const r = await t.fit(train(4), { batchSize: 9 });
      expect(r.steps).toBe(4);
      const reps = await replicaBytes(t);
      expect(reps[1]).toEqual(reps[0]);
      await t.dispose();
    } finally {
      delete g.crossOriginIsolated;
    }
  });
});

describe("workers: 'auto'", () => {
  const cores = availableParallelism();
  it('trains on one replica when two do not pay (simulated probes), bit for bit as one worker, and on all when they do', async () => {
    const one = await trainer({ workers: 1 });
    await one.fit(train(4), { batchSize: 9 });
    const want = await one.getWeights();
    await one.dispose();

    simulateCalibration({ one: 10, many: 12 });
    const t = await trainer({ workers: 'auto' });
    expect(t.workers).toBe(cores);
    const r = await t.fit(train(4), { batchSize: 9 });
    expect(r.steps).toBe(4);
    expect(t.workers).toBe(1);
    if (cores > 1) expect(t.workersReason).toMatch(/measured 0\.83× one .* so 1 trains/);
    expect(await t.getWeights()).toEqual(want);
    // the probes pay now: the next fit trains on every replica, from replica 0's weights
    simulateCalibration({ one: 10, many: 6 });
    await t.fit(train(4), { batchSize: 9 });
    expect(t.workers).toBe(cores);
    if (cores > 1) expect(t.workersReason).toMatch(/measured 1\.67× one .* so \d+ train/);
    const reps = await replicaBytes(t);
    for (const rep of reps) expect(rep).toEqual(reps[0]);
    await t.dispose();
  });

  it('measures for real on the first fit and keeps the choice per model shape', async () => {
    const t = await trainer({ workers: 'auto' });
    await t.fit(train(2), { batchSize: 9 });
    const first = t.workersReason;
    if (cores > 1) expect(first).toMatch(/^auto: \d+ replicas measured [\d.]+× one/);
    await t.fit(train(2), { batchSize: 9 });
    expect(t.workersReason).toBe(first);
    await t.dispose();
  });
});
