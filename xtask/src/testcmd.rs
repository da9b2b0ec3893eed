//! `cargo xtask test`: every test, in three phases, and one summary.
//!
//! 1. host: `cargo test --workspace --exclude showroom-app` (SQLite, and PostgreSQL
//!    through a throwaway cluster unless SHOWROOM_TEST_PG_URL is set);
//! 2. wasm-browser: `cargo test -p showroom-app --target wasm32-unknown-unknown` in
//!    headless Chromium through ChromeDriver;
//! 3. e2e: the release PWA and the debug server driven by `node --test tests/e2e/`.
//!
//! Every phase runs even if an earlier one failed; a phase that cannot run counts as
//! one failure.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::counts::{Counts, parse_tap_totals, sum_test_results};
use crate::dist;
use crate::pg::PgCluster;
use crate::tools::{self, CHROMEDRIVER, CHROMIUM};
use crate::util::{self, Ctx, Streamed, TempDir, describe, step};

// Time limits (including compilation) that only a hang reaches: a cold CI machine
// needs about 3 + 4 + 3 minutes for the three phases.
const HOST_LIMIT: Duration = Duration::from_secs(25 * 60);
const WASM_LIMIT: Duration = Duration::from_secs(15 * 60);
const E2E_LIMIT: Duration = Duration::from_secs(15 * 60);

struct Phase {
    name: &'static str,
    counts: Counts,
    /// Why the phase could not run, or ran but its exit status disagrees with its counts.
    problem: Option<String>,
    seconds: u64,
}

impl Phase {
    fn failed_total(&self) -> u64 {
        self.counts.failed + u64::from(self.problem.is_some() && self.counts.failed == 0)
    }
}

pub fn run_all(ctx: &Ctx) -> ExitCode {
    let started = Instant::now();
    let mut phases = Vec::new();

    // Tools first, so that a missing one is reported once, up front.
    let wasm_ctx = tools::ensure_wasm_tools(ctx);
    if let Err(e) = &wasm_ctx {
        println!("\nwasm tools unavailable: {e}");
    }
    let external_pg = std::env::var("SHOWROOM_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let system = tools::ensure_system_tools(true, external_pg.is_none());
    let node = tools::ensure_node(ctx);
    let e2e_dir = ctx.root.join("tests").join("e2e");
    let node_modules = node
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|_| tools::ensure_node_modules(ctx, &e2e_dir));

    // Phase 1: host tests, with PostgreSQL.
    {
        let t = Instant::now();
        let mut phase = Phase {
            name: "host",
            counts: Counts::default(),
            problem: None,
            seconds: 0,
        };
        let pg: Result<(Option<PgCluster>, String), String> = match (&external_pg, &system.postgres)
        {
            (Some(url), _) => {
                println!("\nusing SHOWROOM_TEST_PG_URL={url}");
                Ok((None, url.clone()))
            }
            (None, Ok(bin)) => PgCluster::start(bin).map(|c| {
                let url = c.url.clone();
                (Some(c), url)
            }),
            (None, Err(e)) => Err(e.clone()),
        };
        match pg {
            Err(e) => phase.problem = Some(format!("no PostgreSQL for the server tests: {e}")),
            Ok((_guard, url)) => {
                let mut cargo = ctx.cargo();
                cargo
                    .args(["test", "--workspace", "--exclude", "showroom-app"])
                    .env("SHOWROOM_TEST_PG_URL", &url);
                run_cargo_tests(&mut cargo, &mut phase, HOST_LIMIT);
                // _guard drops here: the cluster is stopped and deleted.
            }
        }
        phase.seconds = t.elapsed().as_secs();
        phases.push(phase);
    }

    // Phase 2: the app's wasm tests in headless Chromium.
    {
        let t = Instant::now();
        let mut phase = Phase {
            name: "wasm-browser",
            counts: Counts::default(),
            problem: None,
            seconds: 0,
        };
        match (&wasm_ctx, &system.browser) {
            (Err(e), _) | (_, Err(e)) => phase.problem = Some(format!("not run: {e}")),
            (Ok(wctx), Ok(())) => match TempDir::fresh(Path::new("/tmp"), "showroom-wasm-test") {
                Err(e) => phase.problem = Some(e),
                Ok(tmp) => {
                    let mut cargo = wctx.cargo();
                    cargo
                        .args(["test", "-p", "showroom-app", "--target", tools::WASM_TARGET])
                        .env("CHROMEDRIVER", CHROMEDRIVER)
                        .env("WASM_BINDGEN_TEST_TIMEOUT", "180")
                        .env("TMPDIR", &tmp.0);
                    run_cargo_tests(&mut cargo, &mut phase, WASM_LIMIT);
                }
            },
        }
        phase.seconds = t.elapsed().as_secs();
        phases.push(phase);
    }

    // Phase 3: end to end.
    {
        let t = Instant::now();
        let mut phase = Phase {
            name: "e2e",
            counts: Counts::default(),
            problem: None,
            seconds: 0,
        };
        let ready = (|| -> Result<(Ctx, PathBuf, PathBuf, (u32, u32)), String> {
            let wctx = wasm_ctx.clone()?;
            system.browser.clone()?;
            let node_version = node.clone()?;
            node_modules.clone()?;
            let dist = dist::build_pwa(&wctx)?.dist;
            // The server, and the seeding device the bulk-sync test pushes leads with.
            util::run_checked(ctx.cargo().args([
                "build",
                "-p",
                "showroom-server",
                "-p",
                "showroom-tests",
                "--bin",
                "showroom-server",
                "--bin",
                "device-seed",
            ]))?;
            let server = ctx.target_dir.join("debug").join("showroom-server");
            if !server.is_file() {
                return Err(format!("the build did not produce {}", server.display()));
            }
            Ok((wctx, dist, server, node_version))
        })();
        match ready {
            Err(e) => phase.problem = Some(format!("not run: {e}")),
            Ok((wctx, dist, server, node_version)) => {
                run_e2e(&wctx, &e2e_dir, &dist, &server, node_version, &mut phase)
            }
        }
        phase.seconds = t.elapsed().as_secs();
        phases.push(phase);
    }

    summarize(&phases, started.elapsed().as_secs())
}

fn run_cargo_tests(cargo: &mut Command, phase: &mut Phase, limit: Duration) {
    match util::run_streaming(cargo, limit) {
        Err(e) => phase.problem = Some(e),
        Ok(Streamed {
            status,
            lines,
            timed_out,
        }) => {
            let (counts, results) = sum_test_results(&lines);
            phase.counts = counts;
            if timed_out {
                phase.problem = Some(format!(
                    "killed after {} min (a hung test?); counts are of the test binaries that finished",
                    limit.as_secs() / 60
                ));
            } else if !status.success() && counts.failed == 0 {
                phase.problem = Some(format!(
                    "cargo test failed ({}) with no failed test counted: a build error or a \
                     crashed test binary, see above",
                    describe(status)
                ));
            } else if status.success() && results == 0 {
                phase.problem = Some("cargo test printed no test result".into());
            }
        }
    }
}

fn run_e2e(
    ctx: &Ctx,
    e2e_dir: &Path,
    dist: &Path,
    server: &Path,
    (major, minor): (u32, u32),
    phase: &mut Phase,
) {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(e2e_dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(".test.mjs"))
            })
            .collect(),
        Err(e) => {
            phase.problem = Some(format!("{}: {e}", e2e_dir.display()));
            return;
        }
    };
    files.sort();
    if files.is_empty() {
        phase.problem = Some(format!("no *.test.mjs in {}", e2e_dir.display()));
        return;
    }
    let tmp = match TempDir::fresh(Path::new("/tmp"), "showroom-e2e") {
        Ok(t) => t,
        Err(e) => {
            phase.problem = Some(e);
            return;
        }
    };
    // Failure reports (screenshots, logs) of this run only.
    let artifacts = e2e_dir.join("artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    let tap = ctx.target_dir.join("xtask").join("e2e.tap");
    let _ = std::fs::create_dir_all(tap.parent().unwrap_or(Path::new(".")));
    let _ = std::fs::remove_file(&tap);

    let mut node = ctx.cmd("node");
    node.arg("--test");
    // One file at a time: each starts a server and a browser, and there are 2 cores.
    if (major, minor) >= (20, 10) {
        node.arg("--test-concurrency=1");
    }
    if (major, minor) >= (20, 11) {
        // A hung test must not eat the CI budget (tests set tighter timeouts).
        node.arg("--test-timeout=300000");
    }
    node.args([
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=tap",
    ])
    .arg(format!("--test-reporter-destination={}", tap.display()))
    .args(&files)
    .current_dir(e2e_dir)
    .env("SHOWROOM_SERVER_BIN", server)
    .env(
        "SHOWROOM_DEVICE_SEED_BIN",
        server.with_file_name("device-seed"),
    )
    .env("SHOWROOM_DIST", dist)
    .env("CHROMIUM", CHROMIUM)
    .env("TMPDIR", &tmp.0);

    match util::run_streaming(&mut node, E2E_LIMIT) {
        Err(e) => phase.problem = Some(e),
        Ok(Streamed {
            status, timed_out, ..
        }) => {
            let text = std::fs::read_to_string(&tap).unwrap_or_default();
            match parse_tap_totals(&text) {
                _ if timed_out => {
                    phase.problem = Some(format!(
                        "killed after {} min (a hung test file?)",
                        E2E_LIMIT.as_secs() / 60
                    ))
                }
                None => {
                    phase.problem = Some(format!(
                        "node --test ended ({}) without totals in {}",
                        describe(status),
                        tap.display()
                    ))
                }
                Some(counts) => {
                    phase.counts = counts;
                    if !status.success() && counts.failed == 0 {
                        phase.problem = Some(format!(
                            "node --test failed ({}) with no failed test counted",
                            describe(status)
                        ));
                    } else if counts.passed + counts.failed == 0 {
                        phase.problem = Some("node --test ran no test".into());
                    }
                    if counts.failed > 0 {
                        println!(
                            "e2e failure reports (screenshot + browser console + server log): {}",
                            artifacts.display()
                        );
                    }
                }
            }
        }
    }
}

fn summarize(phases: &[Phase], seconds: u64) -> ExitCode {
    let mut total = Counts::default();
    let mut failed_total = 0;
    let mut parts = Vec::new();
    let problems: Vec<String> = phases
        .iter()
        .filter_map(|p| p.problem.as_ref().map(|e| format!("  {}: {e}", p.name)))
        .collect();
    for p in phases {
        total += p.counts;
        failed_total += p.failed_total();
        let mut part = format!(
            "{} {} passed {} failed",
            p.name,
            p.counts.passed,
            p.failed_total()
        );
        if p.counts.skipped > 0 {
            part.push_str(&format!(" {} skipped", p.counts.skipped));
        }
        if p.problem.is_some() {
            part.push_str(" (ERROR)");
        }
        part.push_str(&format!(" [{} s]", p.seconds));
        parts.push(part);
    }
    step("summary");
    if !problems.is_empty() {
        println!("Problems:\n{}", problems.join("\n"));
    }
    println!(
        "SUMMARY: {} | TOTAL {} passed {} failed ({seconds} s)",
        parts.join(" | "),
        total.passed,
        failed_total
    );
    // The plain closing line that any reader of test output understands.
    let mut last = format!("TOTAL: {} passed, {failed_total} failed", total.passed);
    if total.skipped > 0 {
        last.push_str(&format!(", {} skipped", total.skipped));
    }
    println!("{last}");
    if failed_total == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_that_could_not_run_counts_as_one_failure() {
        let p = Phase {
            name: "e2e",
            counts: Counts::default(),
            problem: Some("not run".into()),
            seconds: 0,
        };
        assert_eq!(p.failed_total(), 1);
        let p = Phase {
            name: "host",
            counts: Counts {
                passed: 3,
                failed: 2,
                skipped: 0,
            },
            problem: Some("exit 101".into()),
            seconds: 0,
        };
        assert_eq!(p.failed_total(), 2);
        let p = Phase {
            name: "host",
            counts: Counts {
                passed: 3,
                failed: 0,
                skipped: 0,
            },
            problem: None,
            seconds: 0,
        };
        assert_eq!(p.failed_total(), 0);
    }
}
