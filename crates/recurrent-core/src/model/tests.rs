//! Model-level tests live in crates/recurrent-core/tests/.
