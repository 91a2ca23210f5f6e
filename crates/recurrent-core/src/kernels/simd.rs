//! SIMD kernels over [`V4`]: packed, blocked GEMM and vectorised exp / sigmoid / tanh.
//! Same contract as `scalar.rs` (see `kernels/mod.rs`).
//!
//! GEMM layout (BLIS-style):
//! - op(B)[k×n] is packed in KC-row blocks; each block is a run of NR-wide column panels,
//!   panel = [kc × NR] row-major, zero-padded past n.
//! - op(A) rows are packed per call in MC×KC blocks of MR-row panels, panel = [kc × MR].
//! - The MR×NR micro-kernel keeps its tile of C in registers across the whole kc loop; on the
//!   first KC block of an overwriting product it stores its tile instead of adding to C, so C
//!   is never cleared first.
//! - Packing uses 4×4 register transposes for the strided cases (A row-major, B transposed).
//! - Packed panels start on 64-byte boundaries (see [`Aligned`]), so no vector load of a
//!   panel straddles a cache line.
//! - Products with at most [`SMALL_M`] rows (batch-1 generation, online training) skip the
//!   packing: dot products against B's rows (B transposed) or row updates (B plain).
//!
//! Tuning (wasm simd128 in V8 on x86-64, 15 usable xmm registers): 4×8 keeps 8 accumulators,
//! 2 B vectors, a broadcast A value and a product in registers; 6×8 and 4×12 spill, 2×16 ties
//! with 4×8. The relaxed-SIMD build (fused multiply-adds) keeps 4×8 too: measured with
//! `bench/tiles.mjs` in Node 24 on an Intel Xeon, 5×8, 6×8 and 8×8 reach 66–76% of 4×8's
//! ceiling, and A broadcast by lane shuffles (one A load, four `i32x4.shuffle`s) ties with
//! `v128.load32_splat`. The kernel is generic over its rows (`gemm_packed_tile`), so the bench can
//! compare tiles on any host. KC = 512 keeps a B panel (16 KB) and an A panel (8 KB) in L1; MC = 64 keeps the
//! A block (128 KB) in L2. Measured GFLOP/s per shape are in bench/README.md.

use super::Mat;
use super::v4::V4;
use std::cell::RefCell;

/// Rows of C per micro-kernel tile, in both builds (see the tuning note above and
/// bench/README.md for the tiles measured against it).
pub const MR: usize = 4;
pub const NR: usize = 8;
const KC: usize = 512;
const MC: usize = 64;
pub use super::SMALL_M;

/// A float buffer whose live part starts on a 64-byte boundary. wasm32's allocator aligns to
/// 8 bytes only, and a 16-byte load from a panel that is 8 bytes off splits a cache line one
/// time in four: measured, that cost W3 (whose buffers happened to land 8 bytes off) 30% of
/// its step time.
#[derive(Default, Clone)]
struct Aligned {
    buf: Vec<f32>,
    off: usize,
}

impl Aligned {
    const PAD: usize = 64 / std::mem::size_of::<f32>();

    /// The first `n` floats of the aligned part; grows the allocation when needed (then the
    /// contents are lost). `zero` clears them.
    fn get(&mut self, n: usize, zero: bool) -> &mut [f32] {
        if self.buf.len() < n + Self::PAD {
            self.buf.clear();
            self.buf.resize(n + Self::PAD, 0.0);
            let misalign = self.buf.as_ptr() as usize % 64;
            self.off = if misalign == 0 { 0 } else { (64 - misalign) / std::mem::size_of::<f32>() };
        }
        let out = &mut self.buf[self.off..self.off + n];
        if zero {
            out.fill(0.0);
        }
        out
    }

    fn slice(&self, range: std::ops::Range<usize>) -> &[f32] {
        &self.buf[self.off + range.start..self.off + range.end]
    }
}

/// op(B)[k×n] packed into KC×NR panels, reusable across many products with the same B.
#[derive(Default, Clone)]
pub struct PackedB {
    data: Aligned,
    k: usize,
    n: usize,
    /// Rows of B per block (KC unless packed by [`PackedB::pack_blocked`]).
    kc: usize,
}

#[inline]
fn round_up(x: usize, m: usize) -> usize {
    x.div_ceil(m) * m
}

impl PackedB {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn k(&self) -> usize {
        self.k
    }
    pub fn n(&self) -> usize {
        self.n
    }
    /// Packs op(B)[k×n]; reuses the allocation when it is large enough.
    pub fn pack(&mut self, k: usize, n: usize, b: Mat) {
        self.pack_blocked(k, n, b, KC);
    }

    /// [`PackedB::pack`] in blocks of `kc_block` rows of B instead of KC (the products over it
    /// then block the same way): `bench/blocking.mjs` compares block sizes with it.
    pub fn pack_blocked(&mut self, k: usize, n: usize, b: Mat, kc_block: usize) {
        let npad = round_up(n.max(1), NR);
        self.k = k;
        self.n = n;
        self.kc = kc_block.max(1);
        let data = self.data.get(k * npad, true);
        let mut pc = 0;
        while pc < k {
            let kc = self.kc.min(k - pc);
            let block = &mut data[pc * npad..(pc + kc) * npad];
            for jp in 0..npad / NR {
                let j0 = jp * NR;
                let jn = NR.min(n.saturating_sub(j0));
                pack_b_panel(b, pc, kc, j0, jn, &mut block[jp * kc * NR..(jp + 1) * kc * NR]);
            }
            pc += kc;
        }
    }

    /// Panel `jp` of the KC block that starts at row `pc` (with `kc` rows).
    #[inline(always)]
    fn panel(&self, pc: usize, kc: usize, jp: usize) -> &[f32] {
        let npad = round_up(self.n.max(1), NR);
        let start = pc * npad + jp * kc * NR;
        self.data.slice(start..start + kc * NR)
    }
}

/// One [kc × NR] panel of op(B): rows pc..pc+kc, columns j0..j0+jn, zero past jn (the panel
/// arrives zeroed).
fn pack_b_panel(b: Mat, pc: usize, kc: usize, j0: usize, jn: usize, panel: &mut [f32]) {
    assert!(panel.len() >= kc * NR);
    if !b.trans {
        for p in 0..kc {
            let src = &b.data[(pc + p) * b.ld + j0..(pc + p) * b.ld + j0 + jn];
            let dst = &mut panel[p * NR..p * NR + NR];
            if jn == NR {
                // SAFETY: src and dst both hold NR = 8 floats.
                unsafe {
                    V4::load(src.as_ptr()).store(dst.as_mut_ptr());
                    V4::load(src.as_ptr().add(4)).store(dst.as_mut_ptr().add(4));
                }
            } else {
                dst[..jn].copy_from_slice(src);
            }
        }
    } else {
        // stored [n×k]: column j of op(B) is row j of storage; 4 rows at a time, transposed
        // in registers.
        let mut jj = 0;
        while jj + 4 <= jn {
            let rows: [&[f32]; 4] = core::array::from_fn(|r| {
                let s = (j0 + jj + r) * b.ld + pc;
                &b.data[s..s + kc]
            });
            let mut p = 0;
            while p + 4 <= kc {
                // SAFETY: each row has kc ≥ p + 4 floats; the panel has kc·NR ≥ (p+3)·NR + jj + 4.
                unsafe {
                    let t = V4::transpose4(core::array::from_fn(|r| V4::load(rows[r].as_ptr().add(p))));
                    for (i, v) in t.iter().enumerate() {
                        v.store(panel.as_mut_ptr().add((p + i) * NR + jj));
                    }
                }
                p += 4;
            }
            for p in p..kc {
                for (r, row) in rows.iter().enumerate() {
                    panel[p * NR + jj + r] = row[p];
                }
            }
            jj += 4;
        }
        for jj in jj..jn {
            let s = (j0 + jj) * b.ld + pc;
            for (p, v) in b.data[s..s + kc].iter().enumerate() {
                panel[p * NR + jj] = *v;
            }
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<(Aligned, PackedB)> = RefCell::new((Aligned::default(), PackedB::new()));
}

/// C[m×n] (+)= op(A)[m×k] · op(B)[k×n].
#[allow(clippy::too_many_arguments)] // the BLAS sgemm signature
pub fn gemm(m: usize, n: usize, k: usize, a: Mat, b: Mat, accumulate: bool, c: &mut [f32], ldc: usize) {
    if m <= SMALL_M && (!b.trans || !a.trans) {
        return gemm_small((m, n, k), a, b, Out { c, ldc, accumulate });
    }
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        s.1.pack(k, n, b);
        gemm_with::<MR>(m, a, &s.1, accumulate, (c, ldc), MC, &mut s.0);
    })
}

/// C[m×n] (+)= op(A)[m×k] · B, with B packed by [`PackedB::pack`].
pub fn gemm_packed(m: usize, a: Mat, b: &PackedB, accumulate: bool, c: &mut [f32], ldc: usize) {
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        gemm_with::<MR>(m, a, b, accumulate, (c, ldc), MC, &mut s.0);
    })
}

/// [`gemm_packed`] with an R-row micro-kernel tile of the caller's choice.
pub fn gemm_packed_tile<const R: usize>(m: usize, a: Mat, b: &PackedB, accumulate: bool, c: &mut [f32], ldc: usize) {
    SCRATCH.with(|s| gemm_with::<R>(m, a, b, accumulate, (c, ldc), MC, &mut s.borrow_mut().0))
}

/// [`gemm_packed`] with blocks of `mc` rows of A (and the blocks of k that `b` was packed with,
/// [`PackedB::pack_blocked`]): `bench/blocking.mjs` compares block sizes with it.
pub fn gemm_packed_blocked(m: usize, a: Mat, b: &PackedB, accumulate: bool, c: &mut [f32], ldc: usize, mc: usize) {
    SCRATCH.with(|s| gemm_with::<MR>(m, a, b, accumulate, (c, ldc), mc.max(1), &mut s.borrow_mut().0))
}

/// C (+)= op(A)·B in blocks of `mc_block` rows of A by B's blocks of k rows; `c` is C and its
/// row stride.
fn gemm_with<const R: usize>(
    m: usize,
    a: Mat,
    b: &PackedB,
    accumulate: bool,
    (c, ldc): (&mut [f32], usize),
    mc_block: usize,
    apack: &mut Aligned,
) {
    let (n, k, kc_block) = (b.n, b.k, b.kc);
    if m == 0 || n == 0 {
        return;
    }
    assert!(c.len() >= (m - 1) * ldc + n, "gemm: C too small");
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * ldc..i * ldc + n].fill(0.0);
            }
        }
        return;
    }
    let apack = apack.get(round_up(mc_block.min(m), R) * kc_block.min(k), false);
    let mut pc = 0;
    while pc < k {
        let kc = kc_block.min(k - pc);
        let overwrite = !accumulate && pc == 0;
        let mut ic = 0;
        while ic < m {
            let mc = mc_block.min(m - ic);
            pack_a::<R>(a, ic, mc, pc, kc, apack);
            for jp in 0..n.div_ceil(NR) {
                let bp = b.panel(pc, kc, jp);
                let j0 = jp * NR;
                let nr = NR.min(n - j0);
                for ip in 0..mc.div_ceil(R) {
                    let i0 = ic + ip * R;
                    let mr = R.min(m - i0);
                    let ap = &apack[ip * kc * R..(ip + 1) * kc * R];
                    let tile = Tile { c: &mut c[i0 * ldc + j0..], ldc, rows: mr, cols: nr, overwrite };
                    micro_kernel::<R>(kc, ap, bp, tile);
                }
            }
            ic += mc;
        }
        pc += kc;
    }
}

/// Packs rows ic..ic+mc, columns pc..pc+kc of op(A) into R-row panels ([kc × R] each).
fn pack_a<const R: usize>(a: Mat, ic: usize, mc: usize, pc: usize, kc: usize, out: &mut [f32]) {
    for ip in 0..mc.div_ceil(R) {
        let panel = &mut out[ip * kc * R..(ip + 1) * kc * R];
        let r0 = ip * R;
        let mr = R.min(mc - r0);
        if mr < R {
            panel.fill(0.0);
        }
        if !a.trans {
            let rows: [&[f32]; R] = core::array::from_fn(|r| {
                let s = (ic + r0 + r.min(mr - 1)) * a.ld + pc;
                &a.data[s..s + kc]
            });
            // groups of 4 full rows: 4×4 register transposes; the rest (edge panels, the last
            // R mod 4 rows of a tile) one float at a time
            let full = if mr == R { R / 4 * 4 } else { 0 };
            let mut g = 0;
            while g < full {
                let mut p = 0;
                while p + 4 <= kc {
                    // SAFETY: each row has kc ≥ p + 4 floats; the panel has kc·R ≥ (p+3)·R + g + 4.
                    unsafe {
                        let t = V4::transpose4(core::array::from_fn(|r| V4::load(rows[g + r].as_ptr().add(p))));
                        for (i, v) in t.iter().enumerate() {
                            v.store(panel.as_mut_ptr().add((p + i) * R + g));
                        }
                    }
                    p += 4;
                }
                for p in p..kc {
                    for r in g..g + 4 {
                        panel[p * R + r] = rows[r][p];
                    }
                }
                g += 4;
            }
            if full < mr {
                for p in 0..kc {
                    for r in full..mr {
                        panel[p * R + r] = rows[r][p];
                    }
                }
            }
        } else {
            // stored [k×m]: row p of storage holds column p of op(A); 4 floats a vector, the
            // rest one at a time (a copy_from_slice of a few floats is a memcpy call in wasm)
            let full = mr / 4 * 4;
            for p in 0..kc {
                let s = (pc + p) * a.ld + ic + r0;
                let (src, dst) = (&a.data[s..s + mr], &mut panel[p * R..p * R + mr]);
                let mut g = 0;
                while g < full {
                    // SAFETY: src and dst both hold mr ≥ g + 4 floats.
                    unsafe { V4::load(src.as_ptr().add(g)).store(dst.as_mut_ptr().add(g)) }
                    g += 4;
                }
                for (d, v) in dst[full..].iter_mut().zip(&src[full..]) {
                    *d = *v;
                }
            }
        }
    }
}

/// The part of C a micro-kernel call writes: `c` starts at the tile's (0,0), rows `ldc` apart;
/// `rows` ≤ MR × `cols` ≤ NR of it are kept. `overwrite` stores the tile instead of adding it.
struct Tile<'a> {
    c: &'a mut [f32],
    ldc: usize,
    rows: usize,
    cols: usize,
    overwrite: bool,
}

/// C tile [rows×cols] (+)= A panel [kc×R] · B panel [kc×NR].
#[inline(always)]
fn micro_kernel<const R: usize>(kc: usize, ap: &[f32], bp: &[f32], tile: Tile) {
    let Tile { c, ldc, rows: mr, cols: nr, overwrite } = tile;
    assert!(ap.len() >= kc * R && bp.len() >= kc * NR);
    let z = V4::splat(0.0);
    let mut acc = [[z; 2]; R];
    // SAFETY: ap has kc·R and bp has kc·NR elements (asserted above), so every load below is
    // in bounds.
    unsafe {
        let mut a = ap.as_ptr();
        let mut b = bp.as_ptr();
        for _ in 0..kc {
            let b0 = V4::load(b);
            let b1 = V4::load(b.add(4));
            for (r, row) in acc.iter_mut().enumerate() {
                let ar = V4::load_splat(a.add(r));
                row[0] = row[0].mul_add(ar, b0);
                row[1] = row[1].mul_add(ar, b1);
            }
            a = a.add(R);
            b = b.add(NR);
        }
    }
    if mr == R && nr == NR && c.len() >= (R - 1) * ldc + NR {
        for (r, row) in acc.iter().enumerate() {
            // SAFETY: the full tile fits in c (checked just above).
            unsafe {
                let p = c.as_mut_ptr().add(r * ldc);
                if overwrite {
                    row[0].store(p);
                    row[1].store(p.add(4));
                } else {
                    V4::load(p).add(row[0]).store(p);
                    V4::load(p.add(4)).add(row[1]).store(p.add(4));
                }
            }
        }
    } else {
        let mut tile = [[0f32; NR]; R];
        for (row, t) in acc.iter().zip(tile.iter_mut()) {
            // SAFETY: t holds NR = 8 floats.
            unsafe {
                row[0].store(t.as_mut_ptr());
                row[1].store(t.as_mut_ptr().add(4));
            }
        }
        for (r, t) in tile.iter().enumerate().take(mr) {
            let (dst, src) = (&mut c[r * ldc..r * ldc + nr], &t[..nr]);
            if overwrite {
                dst.copy_from_slice(src);
            } else {
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
    }
}

/// The GEMM's ceiling: its own micro-kernel alone, `reps` times over one A panel [kc×MR] and
/// one B panel [kc×NR] (64-byte aligned, small enough for L1 at kc of a few hundred), adding
/// the MR×NR tile to a C that stays in L1 too: no packing, no edges, no cache misses. Returns
/// the flops done, 2·MR·NR·kc·reps, and leaves the sum of C in `out` so the work is kept.
/// Only the benchmark calls it (`benchMicroKernel`).
pub fn micro_kernel_ceiling(kc: usize, reps: usize, out: &mut f32) -> f64 {
    micro_kernel_ceiling_tile::<MR>(kc, reps, out)
}

/// [`micro_kernel_ceiling`] with an R-row tile of the caller's choice (`bench/tiles.mjs`
/// compares the tiles a build could use).
pub fn micro_kernel_ceiling_tile<const R: usize>(kc: usize, reps: usize, out: &mut f32) -> f64 {
    let kc = kc.max(1);
    let (mut pa, mut pb) = (Aligned::default(), Aligned::default());
    let ap = pa.get(kc * R, false);
    for (i, v) in ap.iter_mut().enumerate() {
        *v = ((i * 7919 + 1) % 1000) as f32 / 1000.0 - 0.5;
    }
    let bp = pb.get(kc * NR, false);
    for (i, v) in bp.iter_mut().enumerate() {
        *v = ((i * 7919 + 2) % 1000) as f32 / 1000.0 - 0.5;
    }
    let mut c = [[0f32; NR]; R];
    for _ in 0..reps {
        // black_box: the panels are opaque to the optimiser, so no repetition can be folded away,
        // and the whole tile is observed after every call, so none of its 8 accumulator chains
        // is dead code (observing only c[0] let LLVM drop 7 of them: a "ceiling" above the
        // hardware's, bound by one add's latency)
        let tile = Tile { c: c.as_flattened_mut(), ldc: NR, rows: R, cols: NR, overwrite: false };
        micro_kernel::<R>(kc, std::hint::black_box(&*ap), std::hint::black_box(&*bp), tile);
        std::hint::black_box(&mut c);
    }
    *out = std::hint::black_box(c.iter().flatten().sum());
    2.0 * (R * NR * kc) as f64 * reps as f64
}

/// The C of a product: [m×n] in `c` with rows `ldc` apart; `accumulate` adds to it instead of
/// overwriting it.
struct Out<'a> {
    c: &'a mut [f32],
    ldc: usize,
    accumulate: bool,
}

/// Unpacked product for m ≤ SMALL_M rows. B transposed (stored [n×k]) with A plain: dot
/// products of A's rows with B's rows, four columns at a time. B plain: each C row is
/// a sum of B's rows scaled by A's entries, 32 columns at a time.
fn gemm_small((m, n, k): (usize, usize, usize), a: Mat, b: Mat, out: Out) {
    let Out { c, ldc, accumulate } = out;
    if m == 0 || n == 0 {
        return;
    }
    assert!(c.len() >= (m - 1) * ldc + n, "gemm: C too small");
    for i in 0..m {
        let crow = &mut c[i * ldc..i * ldc + n];
        if b.trans {
            debug_assert!(!a.trans);
            let arow = &a.data[i * a.ld..i * a.ld + k];
            let mut j = 0;
            while j + 4 <= n {
                let brows: [&[f32]; 4] = core::array::from_fn(|r| &b.data[(j + r) * b.ld..(j + r) * b.ld + k]);
                let mut acc = [V4::splat(0.0); 4];
                let mut p = 0;
                while p + 4 <= k {
                    // SAFETY: arow and every brows[r] hold k ≥ p + 4 floats.
                    unsafe {
                        let av = V4::load(arow.as_ptr().add(p));
                        for r in 0..4 {
                            acc[r] = acc[r].mul_add(av, V4::load(brows[r].as_ptr().add(p)));
                        }
                    }
                    p += 4;
                }
                let t = V4::transpose4(acc);
                let mut sums = [0f32; 4];
                // SAFETY: sums holds 4 floats.
                unsafe { t[0].add(t[1]).add(t[2].add(t[3])).store(sums.as_mut_ptr()) };
                for p in p..k {
                    for r in 0..4 {
                        sums[r] += arow[p] * brows[r][p];
                    }
                }
                for r in 0..4 {
                    crow[j + r] = if accumulate { crow[j + r] + sums[r] } else { sums[r] };
                }
                j += 4;
            }
            for (jj, cv) in crow.iter_mut().enumerate().skip(j) {
                let brow = &b.data[jj * b.ld..jj * b.ld + k];
                let s: f32 = arow.iter().zip(brow).map(|(x, y)| x * y).sum();
                *cv = if accumulate { *cv + s } else { s };
            }
        } else {
            let mut j = 0;
            while j < n {
                let w = 32.min(n - j);
                if w == 32 {
                    let mut acc = [V4::splat(0.0); 8];
                    if accumulate {
                        // SAFETY: crow has n ≥ j + 32 floats.
                        unsafe {
                            for (v, x) in acc.iter_mut().enumerate() {
                                *x = V4::load(crow.as_ptr().add(j + 4 * v));
                            }
                        }
                    }
                    for p in 0..k {
                        let s = V4::splat(a.at(i, p));
                        let brow = &b.data[p * b.ld + j..p * b.ld + j + 32];
                        // SAFETY: brow holds 32 floats.
                        unsafe {
                            for (v, x) in acc.iter_mut().enumerate() {
                                *x = x.add(s.mul(V4::load(brow.as_ptr().add(4 * v))));
                            }
                        }
                    }
                    // SAFETY: crow has n ≥ j + 32 floats.
                    unsafe {
                        for (v, x) in acc.iter().enumerate() {
                            x.store(crow.as_mut_ptr().add(j + 4 * v));
                        }
                    }
                } else {
                    let dst = &mut crow[j..j + w];
                    if !accumulate {
                        dst.fill(0.0);
                    }
                    for p in 0..k {
                        let s = a.at(i, p);
                        for (d, x) in dst.iter_mut().zip(&b.data[p * b.ld + j..p * b.ld + j + w]) {
                            *d += s * x;
                        }
                    }
                }
                j += w;
            }
        }
    }
}

// ---- element-wise -------------------------------------------------------------------------

#[inline(always)]
fn exp_v(x: V4) -> V4 {
    // Cephes expf: exp(x) = 2^n · e^r, n = round(x·log2 e), |r| ≤ ln2/2, degree-5 polynomial.
    let x = x.min(V4::splat(88.3)).max(V4::splat(-87.3));
    let n = x.mul(V4::splat(std::f32::consts::LOG2_E)).round();
    let r = x.sub(n.mul(V4::splat(0.693_359_4))).sub(n.mul(V4::splat(-2.121_944_4e-4)));
    let mut p = V4::splat(1.987_569_1e-4);
    p = p.mul(r).add(V4::splat(1.398_199_9e-3));
    p = p.mul(r).add(V4::splat(8.333_452e-3));
    p = p.mul(r).add(V4::splat(4.166_579_6e-2));
    p = p.mul(r).add(V4::splat(0.166_666_65));
    p = p.mul(r).add(V4::splat(0.5));
    let y = p.mul(r.mul(r)).add(r).add(V4::splat(1.0));
    y.mul(n.pow2i())
}

#[inline(always)]
fn sigmoid_v(x: V4) -> V4 {
    let one = V4::splat(1.0);
    one.div(one.add(exp_v(V4::splat(0.0).sub(x))))
}

#[allow(clippy::excessive_precision)] // Cephes tanhf coefficients, as published
#[inline(always)]
fn tanh_v(x: V4) -> V4 {
    let zero = V4::splat(0.0);
    let one = V4::splat(1.0);
    let ax = x.max(zero.sub(x));
    // |x| ≥ 0.625: 1 − 2/(e^{2|x|}+1), sign restored below.
    let big = one.sub(V4::splat(2.0).div(exp_v(ax.add(ax)).add(one)));
    let big = x.gt_select(zero, big, zero.sub(big));
    // |x| < 0.625: odd polynomial (Cephes tanhf).
    let z = x.mul(x);
    let mut p = V4::splat(-5.704_988_7e-3);
    p = p.mul(z).add(V4::splat(2.063_908_9e-2));
    p = p.mul(z).sub(V4::splat(5.373_971_6e-2));
    p = p.mul(z).add(V4::splat(0.133_314_42));
    p = p.mul(z).sub(V4::splat(0.333_332_82));
    let small = p.mul(z).mul(x).add(x);
    ax.gt_select(V4::splat(0.625), big, small)
}

#[inline(always)]
fn map_inplace(x: &mut [f32], f: impl Fn(V4) -> V4) {
    let mut chunks = x.chunks_exact_mut(4);
    for c in &mut chunks {
        // SAFETY: c has exactly 4 elements.
        unsafe { f(V4::load(c.as_ptr())).store(c.as_mut_ptr()) }
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut t = [0f32; 4];
        t[..rest.len()].copy_from_slice(rest);
        // SAFETY: t has 4 elements.
        unsafe {
            let v = f(V4::load(t.as_ptr()));
            v.store(t.as_mut_ptr());
        }
        let n = rest.len();
        rest.copy_from_slice(&t[..n]);
    }
}

pub fn exp(x: &mut [f32]) {
    map_inplace(x, exp_v)
}

pub fn sigmoid(x: &mut [f32]) {
    map_inplace(x, sigmoid_v)
}

pub fn tanh(x: &mut [f32]) {
    map_inplace(x, tanh_v)
}
