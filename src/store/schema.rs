//! The OpenTelemetry-shaped schema of the log and span index.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    FAST, STORED, STRING,
};

use super::tokenizer;

/// Bumped when the schema changes incompatibly; stored in the index directory.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub timestamp: Field,
    pub severity: Field,
    pub severity_number: Field,
    pub service: Field,
    pub region: Field,
    pub host: Field,
    /// The record as written (stored).
    pub body: Field,
    /// The words of the body, then the attributes as `@key` + value tokens (indexed):
    /// bare words find an order id wherever it is, `key:value` finds it under its key.
    pub text: Field,
    pub trace_id: Field,
    pub span_id: Field,
    pub parent_span_id: Field,
    pub duration_us: Field,
    /// Id of the log record's template in the data dir's miner (see `store::templates`).
    pub template_id: Field,
    /// The same attributes as exact JSON text, for display and export.
    pub attributes_json: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let raw_fast = STRING | STORED | FAST;
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
            // Results are ordered by time, never by BM25: no norms, no scoring metadata.
            .set_fieldnorms(false),
    );
    let date =
        DateOptions::default().set_indexed().set_fast().set_stored().set_precision(DateTimePrecision::Nanoseconds);
    let num = NumericOptions::default().set_fast().set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", raw_fast.clone()),
        timestamp: b.add_date_field("timestamp", date),
        severity: b.add_text_field("severity", raw_fast.clone()),
        severity_number: b.add_u64_field("severity_number", num.clone()),
        service: b.add_text_field("service", raw_fast.clone()),
        region: b.add_text_field("region", raw_fast.clone()),
        host: b.add_text_field("host", raw_fast),
        body: b.add_text_field("body", STORED),
        text: b.add_text_field("text", text),
        trace_id: b.add_text_field("trace_id", STRING | STORED),
        span_id: b.add_text_field("span_id", STRING | STORED),
        parent_span_id: b.add_text_field("parent_span_id", STRING | STORED),
        duration_us: b.add_u64_field("duration_us", num.clone()),
        template_id: b.add_u64_field("template_id", num),
        attributes_json: b.add_text_field("attributes_json", STORED),
    };
    (b.build(), fields)
}
