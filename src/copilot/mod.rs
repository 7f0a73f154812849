//! The copilot stage: a question in plain words -> interpretation -> evidence -> an answer that cites it.
//!
//! Built so far: the interpreter (services, regions, symptom and time window of a question), the offline engine
//! (evidence pack and a cited answer from the analysis), redaction of secrets and personal data before anything
//! leaves the host, and the citation check of an answer.

pub mod cite;
pub mod interpret;
pub mod offline;
pub mod redact;
