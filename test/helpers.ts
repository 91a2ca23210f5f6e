// Shared test helpers.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/torch/', import.meta.url));

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((n) => n.endsWith('.json'))
    .sort();
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are JSON of several shapes, read field by field
export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(FIXTURES + name, 'utf8'));
}

/** Asserts a thrown recurrent error of the given class and code whose message matches. */
export function expectError(fn: () => unknown, cls: typeof RangeError | typeof TypeError, code: string, msg?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(cls);
  expect((caught as { code?: string }).code).toBe(code);
  if (msg) expect((caught as Error).message).toMatch(msg);
}

/** Deterministic uniform values in [-1, 1). */
export function randomArray(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** Every parameter of every replica of a data-parallel trainer, as raw bytes. */
export async function replicaBytes(t: { getReplicaWeights(): Promise<Record<string, Float32Array>[]> }): Promise<Uint8Array[][]> {
  return (await t.getReplicaWeights()).map((w) => Object.keys(w).map((k) => new Uint8Array(w[k].buffer, w[k].byteOffset, w[k].byteLength).slice()));
}

/** Largest |a − b| over every parameter of two weight sets with the same names and shapes. */
export function maxWeightDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let max = 0;
  for (const k of Object.keys(a)) for (let j = 0; j < a[k].length; j++) max = Math.max(max, Math.abs(a[k][j] - b[k][j]));
  return max;
}

/** Asserts that a promise rejects with error `code` (and a message matching `msg`). */
export const rejectsWith = (p: PromiseLike<unknown>, code: string, msg?: RegExp) =>
  expect(Promise.resolve(p)).rejects.toMatchObject({ code, ...(msg ? { message: expect.stringMatching(msg) } : {}) });
