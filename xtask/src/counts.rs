//! Parsing what other tools print: test counts, Cargo.lock, versions.

use std::ops::AddAssign;

/// Test counts of one phase (or of everything).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    /// Ignored (cargo), skipped or todo (node).
    pub skipped: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Removes ANSI escape sequences (`ESC [ ... letter`), in case colour was forced.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Counts from one libtest summary line, as printed by `cargo test` and by
/// wasm-bindgen-test-runner:
/// `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s`
/// or `test result: FAILED. 2 passed; 1 failed; ...`. None for any other line.
pub fn parse_test_result_line(line: &str) -> Option<Counts> {
    let line = strip_ansi(line);
    let rest = &line[line.find("test result:")? + "test result:".len()..];
    let mut counts = Counts::default();
    let mut seen = false;
    let words: Vec<&str> = rest.split_whitespace().collect();
    for pair in words.windows(2) {
        let Ok(n) = pair[0].parse::<u64>() else {
            continue;
        };
        match pair[1].trim_end_matches([';', ',', '.']) {
            "passed" => counts.passed += n,
            "failed" => counts.failed += n,
            "ignored" => counts.skipped += n,
            _ => continue,
        }
        seen = true;
    }
    seen.then_some(counts)
}

/// The sum over every libtest summary line in `lines`, and how many there were.
pub fn sum_test_results<S: AsRef<str>>(lines: &[S]) -> (Counts, usize) {
    let mut total = Counts::default();
    let mut n = 0;
    for line in lines {
        if let Some(c) = parse_test_result_line(line.as_ref()) {
            total += c;
            n += 1;
        }
    }
    (total, n)
}

/// Totals from the closing comments of node's TAP reporter (`# pass 8`, `# fail 0`,
/// `# cancelled 0`, `# skipped 0`, `# todo 0`); cancelled tests count as failed.
/// None if the output has no `# pass` / `# fail` totals (the run did not finish).
pub fn parse_tap_totals(tap: &str) -> Option<Counts> {
    let mut pass = None;
    let mut fail = None;
    let mut cancelled = 0;
    let mut skipped = 0;
    let mut todo = 0;
    for line in tap.lines() {
        let line = strip_ansi(line);
        let Some(rest) = line.trim().strip_prefix("# ") else {
            continue;
        };
        let mut it = rest.split_whitespace();
        let (Some(key), Some(value), None) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let Ok(value) = value.parse::<u64>() else {
            continue;
        };
        // The last occurrence wins: the run's totals close the output.
        match key {
            "pass" => pass = Some(value),
            "fail" => fail = Some(value),
            "cancelled" => cancelled = value,
            "skipped" => skipped = value,
            "todo" => todo = value,
            _ => {}
        }
    }
    Some(Counts {
        passed: pass?,
        failed: fail? + cancelled,
        skipped: skipped + todo,
    })
}

/// The versions of package `name` in a Cargo.lock, in file order.
pub fn lock_versions(lock: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur_name: Option<String> = None;
    let mut cur_version: Option<String> = None;
    let mut flush = |n: &mut Option<String>, v: &mut Option<String>| {
        if let (Some(n), Some(v)) = (n.take(), v.take())
            && n == name
            && !out.contains(&v)
        {
            out.push(v);
        }
    };
    for line in lock.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            flush(&mut cur_name, &mut cur_version);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        match key.trim() {
            "name" => cur_name = Some(value),
            "version" => cur_version = Some(value),
            _ => {}
        }
    }
    flush(&mut cur_name, &mut cur_version);
    out
}

/// The version in a tool's `--version` output such as `wasm-bindgen 0.2.130` or `v20.20.2`.
pub fn version_in(output: &str) -> Option<String> {
    output
        .split_whitespace()
        .map(|w| w.trim_start_matches('v'))
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))
        .map(str::to_string)
}

/// `(major, minor)` of a version string like `20.20.2`.
pub fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut it = version.split(['.', '-', '+']);
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(passed: u64, failed: u64, skipped: u64) -> Counts {
        Counts {
            passed,
            failed,
            skipped,
        }
    }

    #[test]
    fn libtest_ok_line() {
        let line = "test result: ok. 12 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 1.73s";
        assert_eq!(parse_test_result_line(line), Some(c(12, 0, 2)));
    }

    #[test]
    fn libtest_failed_line() {
        let line = "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s";
        assert_eq!(parse_test_result_line(line), Some(c(3, 1, 0)));
    }

    #[test]
    fn libtest_line_with_colour() {
        let line = "test result: \u{1b}[32mok\u{1b}[0m. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_test_result_line(line), Some(c(4, 0, 0)));
        let line = "test result: \u{1b}[31mFAILED\u{1b}[0m. 0 passed; 7 failed; 0 ignored";
        assert_eq!(parse_test_result_line(line), Some(c(0, 7, 0)));
    }

    #[test]
    fn wasm_bindgen_test_runner_line() {
        let line =
            "test result: ok. 9 passed; 0 failed; 0 ignored; 0 filtered out; finished in 2.41s";
        assert_eq!(parse_test_result_line(line), Some(c(9, 0, 0)));
    }

    #[test]
    fn other_lines_are_not_results() {
        for line in [
            "running 3 tests",
            "test tests::passed_and_failed ... ok",
            "test result_parsing_4_passed ... ok",
            "error: test failed, to rerun pass `-p showroom-server --test api`",
            "",
        ] {
            assert_eq!(parse_test_result_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn sums_every_result_line() {
        let out = [
            "running 2 tests",
            "test a ... ok",
            "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
            "   Doc-tests showroom_shared",
            "test result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s",
            "test result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 3.00s",
        ];
        assert_eq!(sum_test_results(&out), (c(7, 2, 1), 3));
        assert_eq!(sum_test_results::<&str>(&[]), (c(0, 0, 0), 0));
    }

    #[test]
    fn node_tap_totals() {
        let tap = "TAP version 13\n# Subtest: login\nok 1 - login\n  ---\n  duration_ms: 12\n  ...\n1..9\n# tests 9\n# suites 0\n# pass 7\n# fail 1\n# cancelled 1\n# skipped 0\n# todo 0\n# duration_ms 30211.5\n";
        assert_eq!(parse_tap_totals(tap), Some(c(7, 2, 0)));
    }

    #[test]
    fn node_tap_skips_and_todos() {
        let tap = "# tests 4\n# pass 2\n# fail 0\n# cancelled 0\n# skipped 1\n# todo 1\n";
        assert_eq!(parse_tap_totals(tap), Some(c(2, 0, 2)));
    }

    #[test]
    fn node_tap_ignores_nested_comments_that_are_not_totals() {
        // Test output may contain "# pass"-like diagnostics; only "# key N" counts and the
        // closing totals come last.
        let tap = "# Subtest: pass through\n    # pass the salt\n# pass 3\n# fail 0\n";
        assert_eq!(parse_tap_totals(tap), Some(c(3, 0, 0)));
    }

    #[test]
    fn unfinished_tap_has_no_totals() {
        assert_eq!(parse_tap_totals("TAP version 13\n# Subtest: x\n"), None);
        assert_eq!(parse_tap_totals(""), None);
    }

    #[test]
    fn cargo_lock_version_of_wasm_bindgen() {
        let lock = r#"
# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "a0181c14ddd6c7b8b0b0132a5f1ea2f32be0d893cd3ea97b6e3b28886b8a3d1c"
dependencies = [
 "cfg-if",
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"
"#;
        assert_eq!(lock_versions(lock, "wasm-bindgen"), vec!["0.2.130"]);
        assert_eq!(lock_versions(lock, "wasm-bindgen-backend"), vec!["0.2.99"]);
        assert!(lock_versions(lock, "leptos").is_empty());
        // The lock file's own `version = 4` (before any package) is not a package.
        assert!(lock_versions(lock, "").is_empty());
    }

    #[test]
    fn cargo_lock_of_this_workspace_pins_one_wasm_bindgen() {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
            .expect("Cargo.lock");
        let versions = lock_versions(&lock, "wasm-bindgen");
        assert_eq!(versions.len(), 1, "{versions:?}");
    }

    #[test]
    fn versions_of_tools() {
        assert_eq!(
            version_in("wasm-bindgen 0.2.130").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(version_in("v20.20.2").as_deref(), Some("20.20.2"));
        assert_eq!(
            version_in("wasm-bindgen-test-runner 0.2.130 (abc123 2025-01-01)").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(version_in("nothing here"), None);
        assert_eq!(major_minor("20.20.2"), Some((20, 20)));
        assert_eq!(major_minor("18"), Some((18, 0)));
        assert_eq!(major_minor("x"), None);
    }
}
