//! The OpenTelemetry-shaped schema of the log and span index.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, IpAddrOptions, NumericOptions, Schema, TextFieldIndexing,
    TextOptions, FAST, STORED, STRING,
};

use super::tokenizer;

/// Bumped when the schema changes incompatibly; stored in the index directory.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The record's id (a `u128`, stored as an IPv6 address, Tantivy's 128-bit value). Not a term: one unique
    /// term per record cost more than any other part of the index.
    pub id: Field,
    /// The id's high and low 64 bits, in the fast columns that `id:` lookups scan (a 128-bit column costs
    /// about 5% of the ingest to write, two 64-bit ones little).
    pub id_hi: Field,
    pub id_lo: Field,
    /// The id as a term, only on records that a later version may replace (upserts): the writer deletes by it.
    pub upsert_id: Field,
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
    // An exact value, looked up by term: no norms (nothing is scored) and no fast column (nothing reads one).
    let raw_indexing = TextFieldIndexing::default()
        .set_tokenizer("raw")
        .set_index_option(IndexRecordOption::Basic)
        .set_fieldnorms(false);
    let raw = TextOptions::default().set_indexing_options(raw_indexing.clone()).set_stored();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
            // Results are ordered by time, never by BM25: no norms, no scoring metadata.
            .set_fieldnorms(false),
    );
    // Time ranges are read from the fast column (Tantivy's range query uses it for a fast field): a term
    // per nanosecond would be one more unique term per record.
    let date = DateOptions::default().set_fast().set_stored().set_precision(DateTimePrecision::Nanoseconds);
    let num = NumericOptions::default().set_fast().set_stored();
    let fields = Fields {
        id: b.add_ip_addr_field("id", IpAddrOptions::default().set_stored()),
        id_hi: b.add_u64_field("id_hi", NumericOptions::default().set_fast()),
        id_lo: b.add_u64_field("id_lo", NumericOptions::default().set_fast()),
        upsert_id: b.add_text_field("upsert_id", TextOptions::default().set_indexing_options(raw_indexing.clone())),
        kind: b.add_text_field("kind", raw.clone()),
        timestamp: b.add_date_field("timestamp", date),
        severity: b.add_text_field("severity", raw.clone()),
        // Only ranges (`level:>=warn`) read it, from its column.
        severity_number: b.add_u64_field("severity_number", NumericOptions::default().set_fast()),
        service: b.add_text_field("service", raw.clone()),
        region: b.add_text_field("region", raw.clone()),
        host: b.add_text_field("host", raw.clone()),
        body: b.add_text_field("body", TextOptions::default().set_stored()),
        text: b.add_text_field("text", text),
        trace_id: b.add_text_field("trace_id", raw.clone()),
        span_id: b.add_text_field("span_id", raw.clone()),
        parent_span_id: b.add_text_field("parent_span_id", raw),
        duration_us: b.add_u64_field("duration_us", num.clone()),
        template_id: b.add_u64_field("template_id", num),
        attributes_json: b.add_text_field("attributes_json", TextOptions::default().set_stored()),
    };
    (b.build(), fields)
}

/// The schema of format 1 (before [`SCHEMA_VERSION`] 2), which `store::upgrade` recognises and rewrites: the id
/// as a hex term, the timestamp indexed, exact fields with fast columns and norms.
pub fn build_v1() -> Schema {
    let mut b = Schema::builder();
    let raw_fast = STRING | STORED | FAST;
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
            .set_fieldnorms(false),
    );
    let date =
        DateOptions::default().set_indexed().set_fast().set_stored().set_precision(DateTimePrecision::Nanoseconds);
    let num = NumericOptions::default().set_fast().set_stored();
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("kind", raw_fast.clone());
    b.add_date_field("timestamp", date);
    b.add_text_field("severity", raw_fast.clone());
    b.add_u64_field("severity_number", num.clone());
    b.add_text_field("service", raw_fast.clone());
    b.add_text_field("region", raw_fast.clone());
    b.add_text_field("host", raw_fast);
    b.add_text_field("body", STORED);
    b.add_text_field("text", text);
    b.add_text_field("trace_id", STRING | STORED);
    b.add_text_field("span_id", STRING | STORED);
    b.add_text_field("parent_span_id", STRING | STORED);
    b.add_u64_field("duration_us", num.clone());
    b.add_u64_field("template_id", num);
    b.add_text_field("attributes_json", STORED);
    b.build()
}
