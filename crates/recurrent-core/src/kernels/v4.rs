//! `V4`: four f32 lanes, the one vector type the SIMD kernels are written against.
//!
//! Backends, chosen at compile time:
//! - wasm32 with `+simd128`: `core::arch::wasm32::v128` (the shipped builds; with
//!   `+relaxed-simd` too, `mul_add` is one `f32x4.relaxed_madd`);
//! - x86_64: SSE2 `__m128` (baseline on every x86_64 CPU, so native `cargo test`
//!   exercises the same kernel source as the wasm build);
//! - anything else: a plain `[f32; 4]`, so the SIMD kernels still compile and stay correct.
//!
//! # Safety
//! `load`/`store` read or write 4 consecutive f32 at `p`; callers guarantee `p..p+4` is in
//! bounds. No alignment is required.

// The lane operations keep the intrinsics' names (add, mul, ...), not operator traits.
#![allow(clippy::should_implement_trait)]

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;
    #[derive(Clone, Copy)]
    pub struct V4(pub v128);
    impl V4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            V4(f32x4_splat(x))
        }
        /// # Safety
        /// `p` must be valid for reading one f32.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            unsafe { V4(v128_load32_splat(p as *const u32)) }
        }
        /// # Safety
        /// `p` must be valid for reading 4 f32 (no alignment needed).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            unsafe { V4(v128_load(p as *const v128)) }
        }
        /// # Safety
        /// `p` must be valid for writing 4 f32 (no alignment needed).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { v128_store(p as *mut v128, self.0) }
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            V4(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            V4(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            V4(f32x4_mul(self.0, o.0))
        }
        /// self + a·b: one fused multiply-add (`f32x4.relaxed_madd`) in the relaxed-SIMD build,
        /// whose rounding may differ in the last bit; a multiply then an add otherwise.
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            {
                V4(f32x4_relaxed_madd(a.0, b.0, self.0))
            }
            #[cfg(not(target_feature = "relaxed-simd"))]
            {
                self.add(a.mul(b))
            }
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            V4(f32x4_div(self.0, o.0))
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            V4(f32x4_pmax(self.0, o.0))
        }
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            V4(f32x4_pmin(self.0, o.0))
        }
        /// Round to nearest integer (ties to even), still as f32.
        #[inline(always)]
        pub fn round(self) -> Self {
            V4(f32x4_nearest(self.0))
        }
        /// 2^n for lanes holding integral n in [-126, 127].
        #[inline(always)]
        pub fn pow2i(self) -> Self {
            let n = i32x4_trunc_sat_f32x4(self.0);
            V4(i32x4_shl(i32x4_add(n, i32x4_splat(127)), 23))
        }
        /// Lanes where self > o become all-ones masks; `select` picks with them.
        #[inline(always)]
        pub fn gt_select(self, o: Self, a: Self, b: Self) -> Self {
            V4(v128_bitselect(a.0, b.0, f32x4_gt(self.0, o.0)))
        }
        /// Transposes the 4×4 matrix whose rows are r[0..4].
        #[inline(always)]
        pub fn transpose4(r: [Self; 4]) -> [Self; 4] {
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(r[0].0, r[1].0);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(r[0].0, r[1].0);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(r[2].0, r[3].0);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(r[2].0, r[3].0);
            [
                V4(i64x2_shuffle::<0, 2>(t0, t2)),
                V4(i64x2_shuffle::<1, 3>(t0, t2)),
                V4(i64x2_shuffle::<0, 2>(t1, t3)),
                V4(i64x2_shuffle::<1, 3>(t1, t3)),
            ]
        }
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            f32x4_extract_lane::<0>(self.0)
                + f32x4_extract_lane::<1>(self.0)
                + f32x4_extract_lane::<2>(self.0)
                + f32x4_extract_lane::<3>(self.0)
        }
    }
}

#[cfg(all(target_arch = "x86_64", not(all(target_arch = "wasm32", target_feature = "simd128"))))]
mod imp {
    use core::arch::x86_64::*;
    #[derive(Clone, Copy)]
    pub struct V4(pub __m128);
    // SSE2 is part of the x86_64 baseline, so these intrinsics are always available.
    impl V4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            unsafe { V4(_mm_set1_ps(x)) }
        }
        /// # Safety
        /// `p` must be valid for reading one f32.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            unsafe { V4(_mm_load1_ps(p)) }
        }
        /// # Safety
        /// `p` must be valid for reading 4 f32 (no alignment needed).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            unsafe { V4(_mm_loadu_ps(p)) }
        }
        /// # Safety
        /// `p` must be valid for writing 4 f32 (no alignment needed).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { _mm_storeu_ps(p, self.0) }
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            unsafe { V4(_mm_add_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            unsafe { V4(_mm_sub_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            unsafe { V4(_mm_mul_ps(self.0, o.0)) }
        }
        /// self + a·b (a multiply then an add, as the simd128 build).
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self.add(a.mul(b))
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            unsafe { V4(_mm_div_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            unsafe { V4(_mm_max_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            unsafe { V4(_mm_min_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn round(self) -> Self {
            unsafe { V4(_mm_cvtepi32_ps(_mm_cvtps_epi32(self.0))) }
        }
        #[inline(always)]
        pub fn pow2i(self) -> Self {
            unsafe {
                let n = _mm_cvttps_epi32(self.0);
                V4(_mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n, _mm_set1_epi32(127)), 23)))
            }
        }
        #[inline(always)]
        pub fn gt_select(self, o: Self, a: Self, b: Self) -> Self {
            unsafe {
                let m = _mm_cmpgt_ps(self.0, o.0);
                V4(_mm_or_ps(_mm_and_ps(m, a.0), _mm_andnot_ps(m, b.0)))
            }
        }
        /// Transposes the 4×4 matrix whose rows are r[0..4].
        #[inline(always)]
        pub fn transpose4(r: [Self; 4]) -> [Self; 4] {
            unsafe {
                let t0 = _mm_unpacklo_ps(r[0].0, r[1].0);
                let t1 = _mm_unpackhi_ps(r[0].0, r[1].0);
                let t2 = _mm_unpacklo_ps(r[2].0, r[3].0);
                let t3 = _mm_unpackhi_ps(r[2].0, r[3].0);
                [V4(_mm_movelh_ps(t0, t2)), V4(_mm_movehl_ps(t2, t0)), V4(_mm_movelh_ps(t1, t3)), V4(_mm_movehl_ps(t3, t1))]
            }
        }
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            let mut t = [0f32; 4];
            unsafe { _mm_storeu_ps(t.as_mut_ptr(), self.0) };
            t[0] + t[1] + t[2] + t[3]
        }
    }
}

#[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64")))]
mod imp {
    #[derive(Clone, Copy)]
    pub struct V4(pub [f32; 4]);
    macro_rules! lanes {
        ($a:expr, $b:expr, $f:expr) => {{
            let f = $f;
            V4([f($a.0[0], $b.0[0]), f($a.0[1], $b.0[1]), f($a.0[2], $b.0[2]), f($a.0[3], $b.0[3])])
        }};
    }
    impl V4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            V4([x; 4])
        }
        /// # Safety
        /// `p` must be valid for reading one f32.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            unsafe { V4([*p; 4]) }
        }
        /// # Safety
        /// `p` must be valid for reading 4 f32 (no alignment needed).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            unsafe { V4(core::ptr::read_unaligned(p as *const [f32; 4])) }
        }
        /// # Safety
        /// `p` must be valid for writing 4 f32 (no alignment needed).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { core::ptr::write_unaligned(p as *mut [f32; 4], self.0) }
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            lanes!(self, o, |a: f32, b: f32| a + b)
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            lanes!(self, o, |a: f32, b: f32| a - b)
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            lanes!(self, o, |a: f32, b: f32| a * b)
        }
        /// self + a·b (a multiply then an add, as the simd128 build).
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self.add(a.mul(b))
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            lanes!(self, o, |a: f32, b: f32| a / b)
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            lanes!(self, o, |a: f32, b: f32| if b > a { b } else { a })
        }
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            lanes!(self, o, |a: f32, b: f32| if b < a { b } else { a })
        }
        #[inline(always)]
        pub fn round(self) -> Self {
            V4(self.0.map(|x| x.round_ties_even()))
        }
        #[inline(always)]
        pub fn pow2i(self) -> Self {
            V4(self.0.map(|x| f32::from_bits(((x as i32 + 127) << 23) as u32)))
        }
        #[inline(always)]
        pub fn gt_select(self, o: Self, a: Self, b: Self) -> Self {
            V4([0, 1, 2, 3].map(|i| if self.0[i] > o.0[i] { a.0[i] } else { b.0[i] }))
        }
        /// Transposes the 4×4 matrix whose rows are r[0..4].
        #[inline(always)]
        pub fn transpose4(r: [Self; 4]) -> [Self; 4] {
            [0, 1, 2, 3].map(|j| V4([r[0].0[j], r[1].0[j], r[2].0[j], r[3].0[j]]))
        }
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            self.0[0] + self.0[1] + self.0[2] + self.0[3]
        }
    }
}

pub use imp::V4;
