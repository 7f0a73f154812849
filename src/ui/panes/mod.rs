//! One file per pane; each draws from `&State` only.

pub mod chat;
pub mod detail;
pub mod incidents;
pub mod runbooks;
pub mod search;
