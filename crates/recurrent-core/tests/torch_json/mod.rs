//! A PyTorch fixture file as the generators write it (test/fixtures/torch, test/fixtures/stepgrad):
//! its metadata, and each tensor's `data` in float64 (`mod torch_json;` in each test file).

use recurrent_core::CellKind;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

pub struct Fixture {
    pub meta: Value,
    pub t: HashMap<String, Vec<f64>>,
}

impl Fixture {
    pub fn load(path: &Path) -> Fixture {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut t = HashMap::new();
        for (k, x) in v["tensors"].as_object().unwrap() {
            t.insert(k.clone(), x["data"].as_array().unwrap().iter().map(|y| y.as_f64().unwrap()).collect());
        }
        Fixture { meta: v, t }
    }
    pub fn f32(&self, k: &str) -> Vec<f32> {
        self.t[k].iter().map(|&x| x as f32).collect()
    }
    pub fn usize(&self, k: &str) -> usize {
        self.meta[k].as_u64().unwrap() as usize
    }
    pub fn cell(&self) -> CellKind {
        CellKind::parse(self.meta["cell"].as_str().unwrap()).unwrap()
    }
}
