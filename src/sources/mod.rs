//! The sources stage: each backend's own format or protocol, turned into signals.
//!
//! Pull sources (Loki, Elasticsearch, Alertmanager, Prometheus) each implement [`pull::Source`]: fetch a round
//! from a cursor. [`pull::run`] runs every one of them, and alone owns health, backoff, `Retry-After`, hand-over
//! and shutdown. Push receivers (OTLP, the Alertmanager webhook) answer their clients once a batch is committed.
//! Sources take typed values (`Duration`s, [`http::HttpConfig`]) and never read the config themselves.

pub mod accept;
pub mod alertmanager;
pub mod alertmanager_api;
pub mod alertmanager_webhook;
pub mod backoff;
pub mod container;
pub mod elastic;
pub mod feed;
pub mod http;
pub mod jsonlog;
pub mod lines;
pub mod logfmt;
pub mod loki;
pub mod otlp_http;
pub mod otlp_json;
pub mod plaintext;
pub mod prometheus;
pub mod pull;
pub mod remote;
pub mod timestamp;
