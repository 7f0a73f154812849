//! The analysis stage: pure functions over signals, no I/O.

pub mod anomaly;
pub mod correlate;
pub mod incidents;
pub mod rca;
pub mod series;
pub mod template_eval;
pub mod templates;
pub mod topology;
