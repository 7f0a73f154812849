//! One module per pane. Each owns its state, its `update` (an action in, [`Effect`]s out)
//! and its `draw`; the root (`ui::update`) routes an action to the pane that owns it and
//! carries out the effects that reach beyond that pane.

pub mod chat;
pub mod detail;
pub mod incidents;
pub mod logs;
pub mod palette;
pub mod runbooks;
pub mod search;

use chrono::{DateTime, Utc};

use crate::copilot::offline::Evidence;
use crate::ui::{Action, Focus, LlmState, Pane, Task};

/// What a pane's update asks of the rest of the UI. A pane changes only its own state;
/// everything else it wants done comes back as one of these, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Redraw,
    Task(Task),
    Goto(Pane),
    Focus(Focus),
    Notice(String),
    /// Search the logs pane for `query` (a citation opened from the chat).
    Search {
        query: String,
        /// Why these results are shown, for the pane's first line.
        origin: String,
        /// What to search when `query` finds nothing, around a time.
        fallback: (String, DateTime<Utc>),
    },
    /// Read the series a metric citation names, for the search just started.
    Chart(Box<Evidence>),
    Llm(LlmState),
    /// The list under the selection changed: the chat follows the selected incident.
    Rescope,
    /// Another incident was selected: the panes about it start from their top.
    Selected,
    /// The detail pane opens at its top.
    DetailTop,
    /// Back from an opened citation to the answer that cited it.
    BackToAnswer,
}

/// Moves a list position for a movement action; true when it moved.
pub(crate) fn move_in(pos: &mut usize, len: usize, a: &Action, page: usize) -> bool {
    let before = *pos;
    let last = len.saturating_sub(1);
    *pos = match a {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (*pos + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => pos.saturating_sub(page),
        Action::PageDown => (*pos + page).min(last),
        _ => *pos,
    };
    *pos != before
}

/// A redraw when `changed`, else nothing.
pub(crate) fn redraw_if(changed: bool) -> Vec<Effect> {
    if changed {
        vec![Effect::Redraw]
    } else {
        Vec::new()
    }
}
