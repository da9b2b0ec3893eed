//! Build, run and test orchestration for Showroom, invoked as `cargo xtask <command>`
//! (alias in `.cargo/config.toml`).
//!
//! std only, so that it compiles in seconds on a cold machine. It installs the tools
//! it needs when it can (wasm32 target, wasm-bindgen-cli, and as root Debian's
//! Chromium, ChromeDriver and PostgreSQL), and says exactly what to install when it
//! cannot.

mod counts;
mod dist;
mod pg;
mod testcmd;
mod tools;
mod util;

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use util::{Ctx, step};

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  build   Build the PWA (release wasm) into dist/
  run     Build the PWA and the server (release) and run the server with demo data.
          Extra arguments after `run` go to the server; SHOWROOM_ADDR and DATABASE_URL
          are passed through (defaults: 127.0.0.1:8080, sqlite://data/showroom.db).
  test    Run every test: host (SQLite + a throwaway PostgreSQL), wasm in headless
          Chromium, and the browser end-to-end suite; ends with one summary line.
  bench sync [ARGS]
          The sync benchmark (tests/src/bin/sync_bench.rs, release build) on SQLite
          and on a throwaway PostgreSQL (unless SHOWROOM_BENCH_PG_URL is set).
          ARGS go to the benchmark (`cargo xtask bench sync --help`).
  help    Show this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let ctx = match Ctx::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("xtask: {e}");
            return ExitCode::FAILURE;
        }
    };
    match command.as_str() {
        "build" => match build(&ctx) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("\nxtask build FAILED: {e}");
                ExitCode::FAILURE
            }
        },
        "run" => {
            let e = run(&ctx, &args[1..]);
            eprintln!("\nxtask run FAILED: {e}");
            ExitCode::FAILURE
        }
        "test" => {
            if args.len() > 1 {
                eprintln!("xtask test takes no arguments (it runs every test)");
                return ExitCode::from(2);
            }
            testcmd::run_all(&ctx)
        }
        "bench" => match args.get(1).map(String::as_str) {
            Some("sync") => match bench_sync(&ctx, &args[2..]) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("\nxtask bench sync FAILED: {e}");
                    ExitCode::FAILURE
                }
            },
            _ => {
                eprintln!(
                    "xtask bench: which benchmark? The one there is: `cargo xtask bench sync`"
                );
                ExitCode::from(2)
            }
        },
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `cargo xtask build`: the wasm tools, then the PWA into `dist/`.
fn build(ctx: &Ctx) -> Result<(), String> {
    let ctx = tools::ensure_wasm_tools(ctx)?;
    dist::build_pwa(&ctx)?;
    Ok(())
}

/// `cargo xtask run`: only returns on failure; on success the process becomes the server
/// (exec), so Ctrl-C reaches the server directly and its exit code is ours.
fn run(ctx: &Ctx, server_args: &[String]) -> String {
    let ctx = match tools::ensure_wasm_tools(ctx) {
        Ok(ctx) => ctx,
        Err(e) => return e,
    };
    let dist = match dist::build_pwa(&ctx) {
        Ok(info) => info.dist,
        Err(e) => return e,
    };
    let mut cargo = ctx.cargo();
    cargo.args(["build", "-p", "showroom-server", "--release"]);
    if let Err(e) = util::run_checked(&mut cargo) {
        return e;
    }
    let bin = ctx.target_dir.join("release").join("showroom-server");
    let mut server = ctx.cmd(&bin);
    server.args(server_args);
    server.env("SHOWROOM_STATIC_DIR", &dist);
    if std::env::var_os("SHOWROOM_SEED_DEMO").is_none() {
        server.env("SHOWROOM_SEED_DEMO", "1");
    }
    step(&format!(
        "starting {} (static files from {}; Ctrl-C stops it)",
        bin.display(),
        dist.display()
    ));
    // exec only returns if it failed.
    let e = server.exec();
    format!("could not start {}: {e}", bin.display())
}

/// `cargo xtask bench sync`: the sync benchmark, with a throwaway PostgreSQL cluster
/// for its PostgreSQL tables unless SHOWROOM_BENCH_PG_URL names one.
fn bench_sync(ctx: &Ctx, bench_args: &[String]) -> Result<ExitCode, String> {
    let mut cargo = ctx.cargo();
    cargo.args([
        "build",
        "--release",
        "-p",
        "showroom-tests",
        "--bin",
        "sync-bench",
    ]);
    util::run_checked(&mut cargo)?;
    let bin = ctx.target_dir.join("release").join("sync-bench");
    let mut bench = ctx.cmd(&bin);
    bench.args(bench_args);
    let wants_help = bench_args.iter().any(|a| a == "--help" || a == "-h");
    let external = std::env::var("SHOWROOM_BENCH_PG_URL").is_ok_and(|u| !u.is_empty());
    // Held until the benchmark ends; dropping it stops and deletes the cluster.
    let mut _cluster = None;
    if !external && !wants_help {
        match tools::ensure_system_tools(false, true).postgres {
            Ok(pg_bin) => {
                let cluster = pg::PgCluster::start(&pg_bin)?;
                bench.env("SHOWROOM_BENCH_PG_URL", &cluster.url);
                _cluster = Some(cluster);
            }
            Err(e) => println!("\nwarning: measuring on SQLite only: {e}"),
        }
    }
    step(&util::show(&bench));
    let status = bench
        .status()
        .map_err(|e| format!("could not start {}: {e}", bin.display()))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        eprintln!("sync-bench failed ({})", util::describe(status));
        ExitCode::FAILURE
    })
}
