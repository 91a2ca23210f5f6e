//! Kernel tests: every case runs against both the SIMD and the scalar module.

use super::{Mat, scalar, simd};
use crate::rng::Rng;

type Gemm = fn(usize, usize, usize, Mat, Mat, bool, &mut [f32], usize);
/// The shipped GEMM of each module, and the SIMD GEMM with every other micro-kernel tile that
/// `bench/tiles.mjs` measures (so a tile switched on later is already checked).
const GEMMS: [(&str, Gemm); 7] = [
    ("simd", simd::gemm),
    ("scalar", scalar::gemm),
    ("simd 5x8", |m, n, k, a, b, acc, c, ldc| tiled::<5>((m, n, k), a, b, acc, c, ldc)),
    ("simd 6x8", |m, n, k, a, b, acc, c, ldc| tiled::<6>((m, n, k), a, b, acc, c, ldc)),
    ("simd 8x8", |m, n, k, a, b, acc, c, ldc| tiled::<8>((m, n, k), a, b, acc, c, ldc)),
    // other block sizes that `bench/blocking.mjs` measures; small ones, so the tests' sizes cross
    // several blocks of each
    ("simd kc 5 mc 6", |m, n, k, a, b, acc, c, ldc| blocked((m, n, k), (5, 6), a, b, acc, c, ldc)),
    ("simd kc 256 mc 32", |m, n, k, a, b, acc, c, ldc| blocked((m, n, k), (256, 32), a, b, acc, c, ldc)),
];

/// The SIMD GEMM in blocks of `kc` rows of B and `mc` rows of A.
#[allow(clippy::too_many_arguments)] // the gemm signature it mirrors
fn blocked((m, n, k): (usize, usize, usize), (kc, mc): (usize, usize), a: Mat, b: Mat, acc: bool, c: &mut [f32], ldc: usize) {
    let mut bp = simd::PackedB::new();
    bp.pack_blocked(k, n, b, kc);
    simd::gemm_packed_blocked(m, a, &bp, acc, c, ldc, mc);
}

/// The SIMD GEMM with an R-row micro-kernel tile: B packed here, then `gemm_packed_tile`.
fn tiled<const R: usize>((m, n, k): (usize, usize, usize), a: Mat, b: Mat, acc: bool, c: &mut [f32], ldc: usize) {
    let mut bp = simd::PackedB::new();
    bp.pack(k, n, b);
    simd::gemm_packed_tile::<R>(m, a, &bp, acc, c, ldc);
}

fn rand_vec(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// f64 reference of C = beta·C + op(A)·op(B).
#[allow(clippy::too_many_arguments)] // the gemm signature it mirrors
fn reference(m: usize, n: usize, k: usize, a: Mat, b: Mat, c0: &[f32], acc: bool, ldc: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = if acc { c0[i * ldc + j] as f64 } else { 0.0 };
            for p in 0..k {
                s += a.at(i, p) as f64 * b.at(p, j) as f64;
            }
            out[i * n + j] = s;
        }
    }
    out
}

#[test]
fn gemm_all_transpose_forms_odd_sizes_both_backends() {
    check_shapes(7, &[(1, 1, 1), (3, 5, 7), (4, 8, 16), (5, 9, 3), (13, 17, 300), (97, 33, 258), (2, 24, 8), (32, 40, 1)]);
}

/// The SIMD paths' edges: m ≤ SMALL_M without packing (dot products with n past 4 and 32,
/// row updates with 32-wide blocks and tails), k across the KC block (512) so C is first
/// overwritten then accumulated, m across MC (64) with a partial MR panel.
#[test]
fn gemm_blocking_edges_and_small_m_paths_both_backends() {
    check_shapes(11, &[(1, 70, 37), (2, 96, 64), (3, 33, 530), (4, 64, 5), (1, 1, 1030), (5, 41, 1030), (130, 20, 515), (67, 9, 13)]);
}

fn check_shapes(seed: u64, shapes: &[(usize, usize, usize)]) {
    let mut rng = Rng::new(seed);
    for &(m, n, k) in shapes {
        for ta in [false, true] {
            for tb in [false, true] {
                for acc in [false, true] {
                    let pad = 3; // row strides larger than the logical width
                    let (ar, ac) = if ta { (k, m) } else { (m, k) };
                    let (br, bc) = if tb { (n, k) } else { (k, n) };
                    let a = rand_vec(&mut rng, ar * (ac + pad));
                    let b = rand_vec(&mut rng, br * (bc + pad));
                    let ldc = n + pad;
                    let c0 = rand_vec(&mut rng, m * ldc);
                    let am = Mat { data: &a, ld: ac + pad, trans: ta };
                    let bm = Mat { data: &b, ld: bc + pad, trans: tb };
                    let want = reference(m, n, k, am, bm, &c0, acc, ldc);
                    for (name, g) in GEMMS {
                        let mut c = c0.clone();
                        g(m, n, k, am, bm, acc, &mut c, ldc);
                        for i in 0..m {
                            for j in 0..n {
                                let (got, w) = (c[i * ldc + j] as f64, want[i * n + j]);
                                assert!(
                                    (got - w).abs() <= 1e-5 * (k as f64).sqrt() * (1.0 + w.abs()),
                                    "{name} m{m} n{n} k{k} ta{ta} tb{tb} acc{acc} at ({i},{j}): {got} vs {w}"
                                );
                            }
                            // padding columns of C are untouched
                            for j in n..ldc {
                                assert_eq!(c[i * ldc + j], c0[i * ldc + j], "{name} wrote past n");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn packed_gemm_matches_unpacked_on_both_backends() {
    let mut rng = Rng::new(3);
    let (m, n, k) = (7, 29, 261);
    let a = rand_vec(&mut rng, m * k);
    let b = rand_vec(&mut rng, n * k);
    let mut want = vec![0.0; m * n];
    scalar::gemm(m, n, k, Mat::n(&a, k), Mat::t(&b, k), false, &mut want, n);
    let mut ps = simd::PackedB::new();
    ps.pack(k, n, Mat::t(&b, k));
    let mut c1 = vec![0.0; m * n];
    simd::gemm_packed(m, Mat::n(&a, k), &ps, false, &mut c1, n);
    let mut pr = scalar::PackedB::new();
    pr.pack(k, n, Mat::t(&b, k));
    let mut c2 = vec![0.0; m * n];
    scalar::gemm_packed(m, Mat::n(&a, k), &pr, false, &mut c2, n);
    for i in 0..m * n {
        assert!((c1[i] - want[i]).abs() < 1e-4, "simd packed {i}");
        assert!((c2[i] - want[i]).abs() < 1e-4, "scalar packed {i}");
    }
    // repacking a smaller matrix into the same buffer gives the right answer too
    ps.pack(3, 5, Mat::n(&b[..15], 5));
    let mut c3 = vec![0.0; 5];
    simd::gemm_packed(1, Mat::n(&a[..3], 3), &ps, false, &mut c3, 5);
    for j in 0..5 {
        let w: f32 = (0..3).map(|p| a[p] * b[p * 5 + j]).sum();
        assert!((c3[j] - w).abs() < 1e-5);
    }
}

type Act = fn(&mut [f32]);

fn max_err(f: Act, g: fn(f64) -> f64, lo: f32, hi: f32, relative: bool) -> f64 {
    let n = 20001;
    let mut xs: Vec<f32> = (0..n).map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32).collect();
    let orig = xs.clone();
    f(&mut xs);
    let mut worst = 0.0f64;
    for (x, y) in orig.iter().zip(&xs) {
        let w = g(*x as f64);
        let e = if relative { ((*y as f64 - w) / w).abs() } else { (*y as f64 - w).abs() };
        worst = worst.max(e);
    }
    worst
}

#[test]
fn activations_accuracy_against_f64_both_backends() {
    let sets: [(&str, Act, Act, Act); 2] =
        [("simd", simd::exp, simd::sigmoid, simd::tanh), ("scalar", scalar::exp, scalar::sigmoid, scalar::tanh)];
    for (name, e, s, t) in sets {
        let ee = max_err(e, f64::exp, -80.0, 80.0, true);
        let se = max_err(s, |x| 1.0 / (1.0 + (-x).exp()), -30.0, 30.0, false);
        let te = max_err(t, f64::tanh, -12.0, 12.0, false);
        let te_small = max_err(t, f64::tanh, -0.7, 0.7, true);
        eprintln!("{name}: exp rel {ee:.2e}, sigmoid abs {se:.2e}, tanh abs {te:.2e}, tanh rel near 0 {te_small:.2e}");
        assert!(ee < 4e-7, "{name} exp rel err {ee}");
        assert!(se < 2e-7, "{name} sigmoid abs err {se}");
        assert!(te < 2e-7, "{name} tanh abs err {te}");
        assert!(te_small < 1e-6, "{name} tanh rel err near 0 {te_small}");
    }
}

#[test]
fn activations_saturate_without_nan_and_handle_tails() {
    for (e, s, t) in [(simd::exp as Act, simd::sigmoid as Act, simd::tanh as Act), (scalar::exp, scalar::sigmoid, scalar::tanh)] {
        let base = [-1e30f32, -200.0, -90.0, 0.0, 90.0, 200.0, 1e30];
        let mut x = base;
        s(&mut x);
        assert!(x.iter().all(|v| v.is_finite() && *v >= 0.0 && *v <= 1.0));
        assert!(x[0] < 1e-30 && x[6] == 1.0 && (x[3] - 0.5).abs() < 1e-7);
        let mut x = base;
        t(&mut x);
        assert!(x.iter().all(|v| v.is_finite()));
        assert!(x[0] == -1.0 && x[6] == 1.0 && x[3] == 0.0);
        let mut x = [1.0f32, 2.0, 3.0]; // length not a multiple of 4
        e(&mut x);
        assert!((x[2] - 3f32.exp()).abs() < 1e-5);
    }
}

#[test]
fn micro_kernel_ceiling_counts_its_flops_and_computes_the_tile() {
    // the sum of C after `reps` additions of the tile A panel [kc×MR]ᵀ · B panel [kc×NR]
    let (kc, reps) = (37, 3);
    let val = |i: usize, seed: usize| ((i * 7919 + seed) % 1000) as f32 / 1000.0 - 0.5;
    let mut tile = 0.0f64;
    for i in 0..simd::MR {
        for j in 0..simd::NR {
            tile += (0..kc).map(|p| val(p * simd::MR + i, 1) as f64 * val(p * simd::NR + j, 2) as f64).sum::<f64>();
        }
    }
    let mut out = 0.0;
    let flops = simd::micro_kernel_ceiling(kc, reps, &mut out);
    assert_eq!(flops, (2 * simd::MR * simd::NR * kc * reps) as f64);
    assert!((out as f64 - reps as f64 * tile).abs() < 1e-3, "{out} vs {}", reps as f64 * tile);
}
