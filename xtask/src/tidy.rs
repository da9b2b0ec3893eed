//! Tidy checks (after rust-analyzer's `tidy`): the layering ARCHITECTURE.md
//! states, kept by `cargo test` rather than by convention. Each check reads
//! the sources as text; a test module (from `#[cfg(test)]` to the end of a
//! file, the codebase's habit) and comments are not production code.
//!
//! - SQL is written only in `server/src/db`;
//! - pages and components never touch a document (`shared::doc`): they ask
//!   the device store (`app/src/local`);
//! - documents (`shared/src/doc`) do not know sync (`shared/src/sync`);
//! - the device store (`app/src/local`) does not know the UI;
//! - the domain's modules (`shared/src/domain`) form no circle;
//! - production code has no `.unwrap()`.
//!
//! A locale file missing a key already fails the app's build (`app/build.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The repository's root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The production lines of a source file: up to its `#[cfg(test)]`, without
/// comments, each with its line number.
pub fn production_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        // A trailing comment is not code either.
        let code = match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        };
        out.push((i + 1, code));
    }
    out
}

/// `needle`s found in the production code of the `.rs` files under `dir`
/// (relative to the root), except under `allowed`: "path:line: text".
pub fn find(dir: &str, allowed: &[&str], needles: &[&str]) -> Vec<String> {
    let root = root();
    let mut found = Vec::new();
    for file in rust_files(&root.join(dir)) {
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        if allowed.iter().any(|a| rel.starts_with(a)) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (n, line) in production_lines(&text) {
            if needles.iter().any(|needle| line.contains(needle)) {
                found.push(format!("{rel}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

/// The modules of `shared/src/domain` each module uses, from its production
/// code: `super::x` / `crate::domain::x` naming a module, or naming an item
/// `domain/mod.rs` re-exports from one (`super::Lead` is `lead`), also
/// inside braces (`use super::{Grade, Money}`).
pub fn domain_graph() -> BTreeMap<String, BTreeSet<String>> {
    let dir = root().join("shared/src/domain");
    let files = rust_files(&dir);
    let name_of = |f: &Path| f.file_stem().map(|s| s.to_string_lossy().into_owned());
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| name_of(f))
        .filter(|m| m != "mod")
        .collect();
    // Items `mod.rs` re-exports, and the module each comes from.
    let mut items: BTreeMap<String, String> = BTreeMap::new();
    let mod_rs = std::fs::read_to_string(dir.join("mod.rs")).unwrap_or_default();
    for statement in mod_rs.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        for name in words(names) {
            items.insert(name, module.trim().to_owned());
        }
    }
    let mut graph = BTreeMap::new();
    for file in &files {
        let Some(name) = name_of(file) else {
            continue;
        };
        if name == "mod" {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let code: String = production_lines(&text)
            .into_iter()
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n");
        let mut uses = BTreeSet::new();
        let mut note = |word: &str| {
            let target = if modules.contains(word) {
                Some(word.to_owned())
            } else {
                items.get(word).cloned()
            };
            if let Some(t) = target
                && t != name
            {
                uses.insert(t);
            }
        };
        for prefix in ["super::", "crate::domain::"] {
            let mut rest = code.as_str();
            while let Some(at) = rest.find(prefix) {
                let after = &rest[at + prefix.len()..];
                if let Some(group) = after.strip_prefix('{') {
                    let body = group.split('}').next().unwrap_or_default();
                    for w in words(body) {
                        note(&w);
                    }
                } else {
                    let w: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    note(&w);
                }
                rest = after;
            }
        }
        graph.insert(name, uses);
    }
    graph
}

/// The identifiers of `text`, in order.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A circle in `graph`, as the modules along it, if there is one.
pub fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut c = path[at..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_none(found: Vec<String>, rule: &str) {
        assert!(found.is_empty(), "{rule}:\n{}", found.join("\n"));
    }

    #[test]
    fn sql_is_written_only_in_server_db() {
        assert_none(
            find(
                "server/src",
                &["server/src/db/"],
                &[
                    "sqlx::query",
                    "query_as(",
                    "query_scalar(",
                    "raw_sql(",
                    "\"SELECT ",
                    "\"INSERT ",
                    "\"UPDATE ",
                    "\"DELETE ",
                    "pg_notify",
                ],
            ),
            "SQL outside server/src/db (put it behind a function of crate::db)",
        );
    }

    #[test]
    fn pages_and_components_never_touch_a_document() {
        for dir in ["app/src/pages", "app/src/components"] {
            assert_none(
                find(dir, &[], &["shared::doc"]),
                "a page or component uses shared::doc (ask app/src/local instead)",
            );
        }
    }

    #[test]
    fn documents_do_not_know_sync() {
        assert_none(
            find(
                "shared/src/doc",
                &[],
                &["crate::sync", "super::sync", "super::super::sync"],
            ),
            "shared::doc uses shared::sync",
        );
    }

    #[test]
    fn the_device_store_does_not_know_the_ui() {
        assert_none(
            find(
                "app/src/local",
                &[],
                &[
                    "crate::i18n",
                    "crate::pages",
                    "crate::components",
                    "crate::app",
                ],
            ),
            "app/src/local uses the UI",
        );
    }

    #[test]
    fn the_domain_has_no_circle() {
        let graph = domain_graph();
        assert!(
            graph.len() > 5,
            "the domain's modules were found: {graph:?}"
        );
        if let Some(c) = circle(&graph) {
            panic!("shared/src/domain has a circle: {}", c.join(" -> "));
        }
    }

    #[test]
    fn production_code_does_not_unwrap() {
        for dir in ["server/src", "shared/src", "app/src", "tests/src"] {
            assert_none(
                find(dir, &[], &[".unwrap()"]),
                "`.unwrap()` in production code: say what went wrong instead (a user or the network may supply it)",
            );
        }
    }

    #[test]
    fn the_checks_see_what_they_look_for() {
        // The helpers themselves: a check that finds nothing because it
        // reads nothing would pass forever.
        assert!(rust_files(&root().join("server/src/db")).len() > 3);
        assert!(!find("server/src/db", &[], &["sqlx::query"]).is_empty());
        let text = "fn a() { x.unwrap(); } // y.unwrap()\n// z.unwrap()\n#[cfg(test)]\nmod t { q.unwrap(); }";
        let lines = production_lines(text);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].1.contains("x.unwrap()") && !lines[0].1.contains("y.unwrap"));
        let mut g = BTreeMap::new();
        g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
        g.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
        assert_eq!(circle(&g), Some(vec!["a".into(), "b".into(), "a".into()]));
        g.insert("b".to_owned(), BTreeSet::new());
        assert_eq!(circle(&g), None);
    }
}
