//! The analysis stage: pure functions over signals, no I/O.

pub mod anomaly;
pub mod template_eval;
pub mod templates;
