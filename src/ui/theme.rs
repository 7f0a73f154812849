//! Themes name meanings (critical, warning, muted, evidence...), not colours. The shipped
//! ones are embedded from `themes/`; colours fall back to the 256-colour palette when the
//! terminal does not announce truecolor, and `NO_COLOR` (non-empty), `CLICOLOR=0` or
//! `TERM=dumb` drop colour entirely (`sanitize::color`), leaving bold,
//! reverse and underline to carry the meaning.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub const SHIPPED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme {name}: {message}")]
    Invalid { name: String, message: String },
    #[error("no theme named '{0}' (the themes are dark, light, high-contrast)")]
    Unknown(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    text: String,
    muted: String,
    border: String,
    accent: String,
    critical: String,
    warning: String,
    ok: String,
    evidence: String,
    selection_fg: String,
    selection_bg: String,
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    TrueColor,
    Ansi256,
    /// `NO_COLOR`: attributes only.
    Mono,
}

impl Depth {
    /// From the environment: no colour where the one rule for every command says so
    /// (`NO_COLOR`, `CLICOLOR`, `TERM=dumb`), then `COLORTERM`.
    pub fn detect() -> Depth {
        use crate::sanitize::color::{self, ColorChoice, Stream};
        if !color::enabled(ColorChoice::Auto, Stream::Tui) {
            Depth::Mono
        } else if std::env::var("COLORTERM").is_ok_and(|v| v == "truecolor" || v == "24bit") {
            Depth::TrueColor
        } else {
            Depth::Ansi256
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub border: Style,
    pub accent: Style,
    pub critical: Style,
    pub warning: Style,
    pub ok: Style,
    pub evidence: Style,
    pub selection: Style,
}

fn parse_color(v: &str) -> Option<Color> {
    let v = v.trim();
    if let Some(hex) = v.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let n = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8));
    }
    if let Ok(i) = v.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    v.parse::<Color>().ok()
}

/// The nearest colour of the xterm 256-colour cube or grey ramp.
fn to_256(c: Color) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    let level = |v: u8| if v < 48 { 0 } else if v < 115 { 1 } else { (v as u16 - 35) / 40 } as u8;
    let (lr, lg, lb) = (level(r), level(g), level(b));
    let cube = |l: u8| if l == 0 { 0 } else { 55 + 40 * l as u16 } as i32;
    let cube_idx = 16 + 36 * lr + 6 * lg + lb;
    let dist = |a: (i32, i32, i32)| (a.0 - r as i32).pow(2) + (a.1 - g as i32).pow(2) + (a.2 - b as i32).pow(2);
    let d_cube = dist((cube(lr), cube(lg), cube(lb)));
    let avg = (r as i32 + g as i32 + b as i32) / 3;
    let grey_i = ((avg - 8).max(0) / 10).min(23);
    let grey_v = 8 + 10 * grey_i;
    let d_grey = dist((grey_v, grey_v, grey_v));
    if d_grey < d_cube {
        Color::Indexed(232 + grey_i as u8)
    } else {
        Color::Indexed(cube_idx)
    }
}

impl Theme {
    pub fn parse(text: &str, depth: Depth) -> Result<Theme, ThemeError> {
        let f: ThemeFile = toml::from_str(text)
            .map_err(|e| ThemeError::Invalid { name: "?".into(), message: e.message().to_string() })?;
        let name = f.name.clone();
        let color = |key: &str, v: &str| -> Result<Color, ThemeError> {
            let c = parse_color(v).ok_or_else(|| ThemeError::Invalid {
                name: name.clone(),
                message: format!("{key}: '{v}' is not a colour"),
            })?;
            Ok(match depth {
                Depth::TrueColor => c,
                Depth::Ansi256 => to_256(c),
                Depth::Mono => Color::Reset,
            })
        };
        let fg = |key: &str, v: &str| color(key, v).map(|c| Style::default().fg(c));
        let bold = Modifier::BOLD;
        Ok(Theme {
            text: fg("text", &f.text)?,
            muted: fg("muted", &f.muted)?.add_modifier(if depth == Depth::Mono {
                Modifier::DIM
            } else {
                Modifier::empty()
            }),
            border: fg("border", &f.border)?,
            accent: fg("accent", &f.accent)?.add_modifier(bold),
            critical: fg("critical", &f.critical)?.add_modifier(bold),
            warning: fg("warning", &f.warning)?.add_modifier(if depth == Depth::Mono {
                Modifier::UNDERLINED
            } else {
                Modifier::empty()
            }),
            ok: fg("ok", &f.ok)?,
            evidence: fg("evidence", &f.evidence)?.add_modifier(Modifier::UNDERLINED),
            selection: match depth {
                Depth::Mono => Style::default().add_modifier(Modifier::REVERSED),
                _ => Style::default()
                    .fg(color("selection_fg", &f.selection_fg)?)
                    .bg(color("selection_bg", &f.selection_bg)?),
            },
            name: f.name,
        })
    }

    /// A shipped theme by name.
    pub fn named(name: &str, depth: Depth) -> Result<Theme, ThemeError> {
        let (_, text) =
            SHIPPED.iter().find(|(n, _)| *n == name).ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        Theme::parse(text, depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses_at_every_depth() {
        for (name, text) in SHIPPED {
            for depth in [Depth::TrueColor, Depth::Ansi256, Depth::Mono] {
                let t = Theme::parse(text, depth).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(t.name, *name);
                if depth == Depth::Mono {
                    assert_eq!(t.critical.fg, Some(Color::Reset));
                    assert!(t.selection.add_modifier.contains(Modifier::REVERSED), "selection readable without colour");
                }
                if depth == Depth::Ansi256 {
                    assert!(!matches!(t.critical.fg, Some(Color::Rgb(..))), "{name}: no truecolor left");
                }
            }
        }
        assert!(Theme::named("solarized", Depth::TrueColor).is_err());
    }

    #[test]
    fn rgb_maps_to_the_nearest_256_colour() {
        assert_eq!(to_256(Color::Rgb(255, 0, 0)), Color::Indexed(196));
        assert_eq!(to_256(Color::Rgb(0, 0, 0)), Color::Indexed(16));
        assert_eq!(to_256(Color::Rgb(128, 128, 128)), Color::Indexed(244));
        assert_eq!(to_256(Color::Rgb(0x5f, 0xaf, 0xd7)), Color::Indexed(74));
    }
}
