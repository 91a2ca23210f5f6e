// The shipped .wasm really carries SIMD code, and the loaded module runs the simd128 kernels.
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, kernelBackend } from '../ts/index.js';
import { ROOT } from './helpers.js';

const WASM = `${ROOT}dist/wasm/recurrent_wasm_bg.wasm`;

describe('shipped wasm', () => {
  beforeAll(() => init());

  it('has v128 instructions in its code section', () => {
    const bytes = readFileSync(WASM);
    const mod = binaryen.readBinary(new Uint8Array(bytes));
    mod.setFeatures(binaryen.Features.All);
    const text = mod.emitText();
    mod.dispose();
    const simdOps = text.match(/\b(f32x4|i32x4|v128)\.[a-z_]+/g) ?? [];
    const kinds = new Set(simdOps);
    // the GEMM micro-kernel and the activations need at least these
    for (const op of ['f32x4.mul', 'f32x4.add', 'v128.load', 'v128.store', 'f32x4.splat']) expect(kinds.has(op), op).toBe(true);
    expect(simdOps.length).toBeGreaterThan(200);
  });

  it('ships a relaxed-SIMD twin whose GEMM multiply-adds are fused (f32x4.relaxed_madd), and the simd128 build has none', () => {
    const ops = (file: string) => {
      const mod = binaryen.readBinary(new Uint8Array(readFileSync(file)));
      mod.setFeatures(binaryen.Features.All);
      const text = mod.emitText();
      mod.dispose();
      return text.match(/\bf32x4\.relaxed_[a-z_]+/g) ?? [];
    };
    const relaxed = ops(`${ROOT}dist/wasm/recurrent_wasm_relaxed_bg.wasm`);
    expect(relaxed.filter((o) => o === 'f32x4.relaxed_madd').length).toBeGreaterThanOrEqual(8);
    expect(ops(WASM)).toEqual([]);
  });

  it('is a size that makes sense for a browser download', () => {
    const size = readFileSync(WASM).length;
    expect(size).toBeGreaterThan(20_000);
    expect(size).toBeLessThan(2_000_000);
  });

  it('runs the simd128 kernels', () => {
    expect(kernelBackend()).toBe('simd128');
  });
});
