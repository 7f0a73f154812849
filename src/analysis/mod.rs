//! The analysis stage: pure functions over signals, no I/O.

pub mod anomaly;
pub mod calibration;
pub mod correlate;
pub mod events;
pub mod histogram;
pub mod incidents;
pub mod labels;
pub mod rca;
pub mod series;
pub mod significance;
pub mod template_eval;
pub mod templates;
pub mod topology;
