//! Turns the per-locale text files (`locales/en.toml`, `locales/zh-CN.toml`)
//! into `Key` and `Format` with their texts, for `src/i18n.rs`. The build
//! fails, naming the file and the key, when a locale lacks a key or has one
//! the default locale does not, or when a text drops or invents a
//! `{placeholder}`: a missing translation never reaches a tablet.
//!
//! A `[formats]` text with a count may be a table of plural forms, one per
//! CLDR category the language distinguishes (`{ one = "{n} follow-up due",
//! other = "{n} follow-ups due" }`; `other` is required, and a plain text is
//! `other` alone): `i18n` picks the form with the browser's
//! `Intl.PluralRules`. Every form keeps the placeholders of the default
//! locale's `other`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// The locales, in `i18n::Locale`'s order; the first is the default.
const LOCALES: [&str; 2] = ["en", "zh-CN"];

/// CLDR's plural categories, as `Intl.PluralRules` names them, in
/// `showroom_shared::plural::Forms`' field order.
const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// A format's forms: (category, text), `other` among them.
type Forms = Vec<(String, String)>;

struct Texts {
    messages: Vec<(String, String)>,
    formats: Vec<(String, Forms)>,
}

fn read(dir: &Path, locale: &str) -> Result<Texts, String> {
    let path = dir.join(format!("{locale}.toml"));
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: not valid TOML: {e}", path.display()))?;
    let section = |name: &str| -> Result<Vec<(String, Forms)>, String> {
        let Some(toml::Value::Table(t)) = table.get(name) else {
            return Err(format!("{}: no [{name}] table", path.display()));
        };
        t.iter()
            .map(|(k, v)| match v {
                toml::Value::String(s) => Ok((k.clone(), vec![("other".to_owned(), s.clone())])),
                toml::Value::Table(forms) if name == "formats" => {
                    let mut out = Vec::new();
                    for (category, text) in forms {
                        let toml::Value::String(text) = text else {
                            return Err(format!(
                                "{}: [{name}] {k}.{category} is not a text",
                                path.display()
                            ));
                        };
                        if !CATEGORIES.contains(&category.as_str()) {
                            return Err(format!(
                                "{}: [{name}] {k}.{category} is not a plural category ({})",
                                path.display(),
                                CATEGORIES.join(", ")
                            ));
                        }
                        out.push((category.clone(), text.clone()));
                    }
                    if !forms.contains_key("other") {
                        return Err(format!(
                            "{}: [{name}] {k} has no `other` form",
                            path.display()
                        ));
                    }
                    Ok((k.clone(), out))
                }
                _ => Err(format!("{}: [{name}] {k} is not a text", path.display())),
            })
            .collect()
    };
    for key in table.keys() {
        if key != "messages" && key != "formats" {
            return Err(format!("{}: unknown table [{key}]", path.display()));
        }
    }
    let messages = section("messages")?
        .into_iter()
        .map(|(k, mut forms)| (k, forms.pop().map(|(_, t)| t).unwrap_or_default()))
        .collect();
    Ok(Texts {
        messages,
        formats: section("formats")?,
    })
}

/// A format's `other` text.
fn other(forms: &Forms) -> &str {
    forms
        .iter()
        .find(|(c, _)| c == "other")
        .map(|(_, t)| t.as_str())
        .unwrap_or_default()
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.insert(rest[start + 1..start + end].to_owned());
        rest = &rest[start + end + 1..];
    }
    out
}

fn camel(key: &str) -> String {
    key.split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn check(all: &[Texts]) -> Vec<String> {
    let mut problems = Vec::new();
    let default = &all[0];
    for (kind, pick) in [
        (
            "messages",
            (|t: &Texts| t.messages.iter().map(|(k, _)| k.as_str()).collect())
                as fn(&Texts) -> BTreeSet<&str>,
        ),
        ("formats", |t: &Texts| {
            t.formats.iter().map(|(k, _)| k.as_str()).collect()
        }),
    ] {
        let keys = pick(default);
        for (locale, texts) in LOCALES.iter().zip(all).skip(1) {
            let theirs = pick(texts);
            for k in keys.difference(&theirs) {
                problems.push(format!(
                    "locales/{locale}.toml: [{kind}] {k} has no translation"
                ));
            }
            for k in theirs.difference(&keys) {
                problems.push(format!(
                    "locales/{locale}.toml: [{kind}] {k} is not in locales/{}.toml",
                    LOCALES[0]
                ));
            }
        }
    }
    for (k, en) in &default.formats {
        let want = placeholders(other(en));
        for (locale, texts) in LOCALES.iter().zip(all) {
            let Some((_, forms)) = texts.formats.iter().find(|(key, _)| key == k) else {
                continue;
            };
            for (category, t) in forms {
                if placeholders(t) != want {
                    problems.push(format!(
                        "locales/{locale}.toml: [formats] {k} ({category}) uses {:?}, locales/{}.toml {:?}",
                        placeholders(t),
                        LOCALES[0],
                        want
                    ));
                }
            }
        }
    }
    for (k, text) in &default.messages {
        if !placeholders(text).is_empty() {
            problems.push(format!(
                "locales/{}.toml: [messages] {k} has a {{placeholder}}: it belongs in [formats]",
                LOCALES[0]
            ));
        }
    }
    problems
}

fn main() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()))
        .join("locales");
    println!("cargo:rerun-if-changed={}", dir.display());
    let all: Vec<Texts> = match LOCALES.iter().map(|l| read(&dir, l)).collect() {
        Ok(all) => all,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let problems = check(&all);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        std::process::exit(1);
    }
    let text = |texts: &Texts, key: &str| -> String {
        texts
            .messages
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    // `Forms { one: Some("…"), ..Forms::other("…") }`
    let forms = |texts: &Texts, key: &str| -> String {
        let Some((_, forms)) = texts.formats.iter().find(|(k, _)| k == key) else {
            return "Forms::other(\"\")".to_owned();
        };
        let mut out = String::from("Forms { ");
        for category in CATEGORIES.iter().filter(|c| **c != "other") {
            if let Some((_, t)) = forms.iter().find(|(c, _)| c == category) {
                let _ = write!(out, "{category}: Some({t:?}), ");
            }
        }
        let _ = write!(out, "..Forms::other({:?}) }}", other(forms));
        out
    };
    let mut out =
        String::from("// Generated by app/build.rs from app/locales/*.toml: edit those.\n\n");
    out.push_str("message_keys! {\n");
    for (k, _) in &all[0].messages {
        let _ = writeln!(out, "    {},", camel(k));
    }
    out.push_str("}\n\nimpl Key {\n    /// The texts, in `Locale::ALL`'s order.\n    const fn texts(self) -> (&'static str, &'static str) {\n        match self {\n");
    for (k, _) in &all[0].messages {
        let _ = writeln!(
            out,
            "            Key::{} => ({:?}, {:?}),",
            camel(k),
            text(&all[0], k),
            text(&all[1], k)
        );
    }
    out.push_str("        }\n    }\n}\n\n/// Texts with `{placeholders}` the app fills in.\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum Format {\n");
    for (k, _) in &all[0].formats {
        let _ = writeln!(out, "    {},", camel(k));
    }
    out.push_str("}\n\nimpl Format {\n    pub const ALL: &'static [Format] = &[\n");
    for (k, _) in &all[0].formats {
        let _ = writeln!(out, "        Format::{},", camel(k));
    }
    out.push_str("    ];\n\n    /// The templates with their plural forms, in `Locale::ALL`'s order.\n    const fn templates(self) -> (Forms, Forms) {\n        match self {\n");
    for (k, _) in &all[0].formats {
        let _ = writeln!(
            out,
            "            Format::{} => ({}, {}),",
            camel(k),
            forms(&all[0], k),
            forms(&all[1], k)
        );
    }
    out.push_str("        }\n    }\n}\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("i18n_texts.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        eprintln!("error: {}: {e}", dest.display());
        std::process::exit(1);
    }
}
