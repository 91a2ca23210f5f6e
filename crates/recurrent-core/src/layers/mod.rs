//! Layers: the recurrent stack, embedding, dense, dropout, a linear-chain CRF head, plus the
//! parameter table that places every parameter in one arena (views by offset).

pub mod attention;
pub mod crf;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod recurrent;
pub mod step_norms;

use crate::rng::Rng;

/// A parameter's place in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub off: usize,
    pub len: usize,
}

impl Slot {
    #[inline]
    pub fn of<'a>(&self, arena: &'a [f32]) -> &'a [f32] {
        &arena[self.off..self.off + self.len]
    }
    #[inline]
    pub fn of_mut<'a>(&self, arena: &'a mut [f32]) -> &'a mut [f32] {
        &mut arena[self.off..self.off + self.len]
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// U(−bound, bound)
    Uniform(f32),
    /// N(0, std²)
    Normal(f32),
    Zeros,
}

#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub slot: Slot,
    pub init: Init,
}

/// Every parameter of a model, in registration order, packed back to back.
#[derive(Clone, Debug, Default)]
pub struct ParamTable {
    pub specs: Vec<ParamSpec>,
    pub total: usize,
}

impl ParamTable {
    /// Registers a parameter. Sizes saturate instead of wrapping, so an impossible model
    /// shows as a `total` above `limits::MAX_PARAMS` (checked before allocating).
    pub fn add(&mut self, name: &str, shape: &[usize], init: Init) -> Slot {
        let len = shape.iter().try_fold(1usize, |p, &d| p.checked_mul(d)).unwrap_or(usize::MAX);
        let slot = Slot { off: self.total, len };
        self.total = self.total.saturating_add(len);
        self.specs.push(ParamSpec { name: name.to_string(), shape: shape.to_vec(), slot, init });
        slot
    }
    pub fn add_uniform(&mut self, name: &str, shape: &[usize], bound: f32) -> Slot {
        self.add(name, shape, Init::Uniform(bound))
    }
    pub fn find(&self, name: &str) -> Option<&ParamSpec> {
        self.specs.iter().find(|s| s.name == name)
    }
    /// Fills `arena` (len = total) from each spec's init, in registration order.
    pub fn init(&self, arena: &mut [f32], rng: &mut Rng) {
        for s in &self.specs {
            let v = s.slot.of_mut(arena);
            match s.init {
                Init::Uniform(b) => v.iter_mut().for_each(|x| *x = rng.uniform(-b, b)),
                Init::Normal(sd) => v.iter_mut().for_each(|x| *x = rng.normal() * sd),
                Init::Zeros => v.fill(0.0),
            }
        }
    }
}
