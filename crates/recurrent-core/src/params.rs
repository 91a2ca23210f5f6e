//! `ParamArena`: every parameter of a model (PyTorch names and shapes, from a `ParamTable`)
//! with its values and gradients, each in one flat arena. Every model kind holds one.

use crate::error::{Error, Result, check_finite, check_len};
use crate::layers::{ParamSpec, ParamTable};
use crate::limits::{MAX_PARAMS, zeros};
use crate::rng::Rng;

#[derive(Clone, Debug, Default)]
pub struct ParamArena {
    pub table: ParamTable,
    /// Values [total], laid out as `table` says.
    pub params: Vec<f32>,
    /// Gradients [total], same layout (accumulated by backward, cleared by `zero_grads`).
    pub grads: Vec<f32>,
}

impl ParamArena {
    /// Allocates values and gradients for `table` and fills the values from each
    /// parameter's init, drawn from `rng` in registration order. E_RANGE when the table
    /// holds more than `limits::MAX_PARAMS` scalars or the memory is not available.
    pub fn new(table: ParamTable, rng: &mut Rng) -> Result<Self> {
        if table.total > MAX_PARAMS {
            return Err(Error::range(format!("the model would have {} parameters, above the limit of {MAX_PARAMS}", table.total)));
        }
        let mut params = zeros("parameters", table.total)?;
        let grads = zeros("gradients", table.total)?;
        table.init(&mut params, rng);
        Ok(ParamArena { grads, table, params })
    }

    /// Number of scalars.
    pub fn len(&self) -> usize {
        self.params.len()
    }
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The parameter named `name`, or E_OPTION naming it.
    pub fn spec(&self, name: &str) -> Result<&ParamSpec> {
        self.table.find(name).ok_or_else(|| Error::option(format!("no parameter named '{name}'")))
    }
    pub fn param(&self, name: &str) -> Option<&[f32]> {
        self.table.find(name).map(|s| s.slot.of(&self.params))
    }
    pub fn grad(&self, name: &str) -> Option<&[f32]> {
        self.table.find(name).map(|s| s.slot.of(&self.grads))
    }

    /// Sets a parameter by name, checking its length; NaN or infinity is E_NONFINITE.
    pub fn set_param(&mut self, name: &str, data: &[f32]) -> Result<()> {
        let slot = {
            let spec = self.spec(name)?;
            check_len(name, data, spec.slot.len, &format!("{:?}", spec.shape))?;
            spec.slot
        };
        check_finite(name, data)?;
        slot.of_mut(&mut self.params).copy_from_slice(data);
        Ok(())
    }

    /// Sets every value at once (`data` in arena order); NaN or infinity is E_NONFINITE.
    pub fn set_params(&mut self, data: &[f32]) -> Result<()> {
        check_len("params", data, self.params.len(), "[paramCount]")?;
        check_finite("params", data)?;
        self.params.copy_from_slice(data);
        Ok(())
    }

    pub fn zero_grads(&mut self) {
        self.grads.fill(0.0);
    }
}
