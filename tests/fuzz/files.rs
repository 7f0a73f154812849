//! Targets: runbook files (front matter and steps) and the config file, as random edits of real ones and as
//! arbitrary text; and the config's duration, size and timezone values.

use std::path::Path;

use firewatch::config::{self, Config};
use firewatch::runbooks::{self, Runbook, EMBEDDED};
use proptest::prelude::*;
use proptest::sample::select;

use crate::{any_text, config as fuzz_config, edits, mutate, phrase};

/// What a runbook's TOML is made of, placeholders and shells included.
const RUNBOOK_FRAGMENTS: &[&str] = &[
    "+++\n",
    "\n+++\n",
    "+++\r\n",
    "\u{feff}",
    "\n",
    "\"",
    "'",
    "\"\"\"",
    "[",
    "]",
    "[[steps]]\n",
    "[[params]]\n",
    "[applies]\n",
    "id = \"x\"\n",
    "id = \"\"\n",
    "kind = \"http\"\n",
    "kind = \"sql\"\n",
    "kind = \"manual\"\n",
    "command = [\"sh\", \"-c\", \"{service}\"]\n",
    "command = [\"env\", \"{x}\"]\n",
    "command = []\n",
    "shell = true\n",
    "read_only = false\n",
    "timeout = \"99999999999999d\"\n",
    "timeout = \"0\"\n",
    "type = \"database\"\n",
    "type = \"bogus\"\n",
    "default = \"postgres://u:p@h/db\"\n",
    "{",
    "}",
    "{}",
    "{service}",
    "{{",
    "{ x }",
    "=",
    "é",
    "\u{0}",
];

proptest! {
    #![proptest_config(fuzz_config(1000))]

    /// A runbook file is parsed or refused with its path in the error.
    #[test]
    fn runbook_front_matter(which in 0..EMBEDDED.len(), e in edits(RUNBOOK_FRAGMENTS, 6),
                            free in prop_oneof![any_text(300), phrase(RUNBOOK_FRAGMENTS, &["", " "], 24)]) {
        let mutated = mutate(EMBEDDED[which].1, &e);
        for text in [mutated.as_str(), free.as_str(), &format!("+++\n{free}\n+++\nbody")] {
            match Runbook::parse(text, "fuzz.md") {
                Ok(rb) => {
                    let _ = rb.params_of(&(0..rb.steps.len()).collect::<Vec<_>>());
                }
                Err(e) => prop_assert!(e.to_string().contains("fuzz.md"), "{e}"),
            }
            let _ = runbooks::placeholders(text);
        }
    }
}

const CONFIG_FRAGMENTS: &[&str] = &[
    "\n",
    "[store]\n",
    "[retention]\n",
    "[ingest]\n",
    "[ui]\n",
    "[llm]\n",
    "[otlp]\n",
    "[[source]]\n",
    "[[endpoint]]\n",
    "[redact]\n",
    "kind = \"loki\"\n",
    "url = \"http://[::1\"\n",
    "max_age = \"18446744073709551615d\"\n",
    "max_size = \"99999999999999999999GB\"\n",
    "max_size = \"1.5GiB\"\n",
    "commit_interval = \"0\"\n",
    "assume_timezone = \"+99:99\"\n",
    "assume_timezone = \"-14:00\"\n",
    "writer_threads = 0\n",
    "writer_memory_mb = -1\n",
    "max_line_bytes = 18446744073709551615\n",
    "bearer_token = \"x\"\n",
    "api_key = \"${HOME}\"\n",
    "\"${\"",
    "${",
    "}",
    "=",
    "\"",
    "'",
    "[",
    "]",
    "é",
];

proptest! {
    #![proptest_config(fuzz_config(1000))]

    /// A config file is read or refused with a reason: never a panic, whatever its TOML or values.
    #[test]
    fn config_toml(e in edits(CONFIG_FRAGMENTS, 6), free in prop_oneof![any_text(200), phrase(CONFIG_FRAGMENTS, &[""], 12)]) {
        let path = Path::new("fuzz.toml");
        for text in [mutate(config::DEFAULT_TOML, &e), free] {
            if let Ok(cfg) = Config::from_layers(Some((path, &text))) {
                let _ = (cfg.commit_interval(), cfg.max_age(), cfg.max_size(), cfg.assume_zone());
                for i in 0..cfg.source.len() {
                    let _ = cfg.source_name(i);
                }
            }
        }
    }

    /// Durations, sizes and timezones as the config and the command line write them.
    #[test]
    fn config_values(s in prop_oneof![
        any_text(24),
        (any::<u64>(), select(&["ms", "s", "m", "h", "d", "w", "B", "KB", "MB", "GB", "GiB", "TB", ""][..]))
            .prop_map(|(n, u)| format!("{}{u}", n >> (n % 64))),
        (any::<f64>(), select(&["GB", "GiB", "MB", "h"][..])).prop_map(|(f, u)| format!("{f}{u}")),
        (select(&["+", "-", ""][..]), 0u32..1000, 0u32..1000).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
        phrase(&["1", "5m", "2h", "30s", "0", "UTC", "local", "+", "-", ":", "."], &["", " "], 5),
    ]) {
        let _ = config::parse_duration(&s);
        let _ = config::parse_size(&s);
        let _ = config::parse_timezone(&s);
    }
}
