//! Reads the labelled Loghub samples (`<System>_2k.log_structured.csv`), for the
//! template-mining accuracy test and `firewatch-templates-eval`.

use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub name: String,
    pub contents: Vec<String>,
    pub event_ids: Vec<String>,
    pub templates: Vec<String>,
}

/// RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            c => field.push(c),
        }
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Loads `<dir>/<name>_2k.log_structured.csv`.
pub fn load(dir: &Path, name: &str) -> Result<Sample, String> {
    let path = dir.join(format!("{name}_2k.log_structured.csv"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let rows = parse_csv(&text);
    let header = rows.first().ok_or_else(|| format!("{} is empty", path.display()))?;
    let col =
        |h: &str| header.iter().position(|x| x == h).ok_or_else(|| format!("no {h} column in {}", path.display()));
    let (ci, ei, ti) = (col("Content")?, col("EventId")?, col("EventTemplate")?);
    let mut s = Sample { name: name.to_string(), ..Default::default() };
    for r in rows.iter().skip(1).filter(|r| r.len() > ci.max(ei).max(ti)) {
        s.contents.push(r[ci].clone());
        s.event_ids.push(r[ei].clone());
        s.templates.push(r[ti].clone());
    }
    Ok(s)
}

pub const SYSTEMS: [&str; 12] =
    ["Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "Linux", "Mac", "OpenSSH", "Spark", "Windows", "Zookeeper"];
