//! The analysis stage: pure functions over signals, no I/O.

pub mod template_eval;
pub mod templates;
