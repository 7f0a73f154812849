//! The copilot stage: a question in plain words -> interpretation -> evidence -> an answer that cites it.
//!
//! - `interpret`: services, regions, symptom and time window of a question.
//! - `offline`: the evidence pack and a cited answer from the analysis, with no LLM.
//! - `redact`: secrets and personal data become placeholders before anything leaves the host.
//! - `prompts`, `pack`, `llm`, `tools`, `agent`: the LLM path (prompt, evidence fitted to the
//!   window, streamed calls, read-only tools, tool rounds within a budget).
//! - `cite`: the citation check every answer goes through.
//! - `chat`: the chat pane as a pure state machine (events in, effects out).

pub mod agent;
pub mod chat;
pub mod cite;
pub mod interpret;
pub mod llm;
pub mod offline;
pub mod pack;
pub mod prompts;
pub mod redact;
pub mod tools;
