//! The sources stage: each backend's own format or protocol, turned into signals.

pub mod alertmanager;
pub mod feed;
pub mod jsonlog;
pub mod lines;
pub mod otlp_json;
pub mod plaintext;
pub mod timestamp;
