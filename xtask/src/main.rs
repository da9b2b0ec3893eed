//! Build, run and test orchestration for Showroom, invoked as `cargo xtask <command>`
//! (alias in `.cargo/config.toml`).
//!
//! Almost std only, so that it compiles quickly on a cold machine: its only
//! dependencies are the gzip and Brotli encoders that precompress `dist/` (pure
//! Rust; optimised even in debug builds, see the workspace Cargo.toml, they add
//! ~30 s to a cold compile). It installs the tools it needs when it can (wasm32
//! target, wasm-bindgen-cli, and as root Debian's Chromium, ChromeDriver and
//! PostgreSQL), and says exactly what to install when it cannot.

mod counts;
mod dist;
mod pg;
mod precompress;
mod testcmd;
#[cfg(test)]
mod tidy;
mod tools;
mod util;

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use util::{Ctx, step};

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  build   Build the PWA (release wasm) into dist/, with FILE.br and FILE.gz beside
          each compressible file (the server sends the one the browser accepts)
  precompress DIR
          Write the .br/.gz variants for an already built dist dir (what `build`
          does last) and print the size of each file raw, gzipped and in Brotli
  run     Build the PWA and the server (release) and run the server with demo data.
          Extra arguments after `run` go to the server; SHOWROOM_ADDR and DATABASE_URL
          are passed through (defaults: 127.0.0.1:8080, sqlite://data/showroom.db).
  test    Run every test: host (SQLite + a throwaway PostgreSQL), wasm in headless
          Chromium, and the browser end-to-end suite; ends with one summary line.
  bench sync [ARGS] [-- FANOUT-ARGS]
          The sync benchmark (tests/src/bin/sync_bench.rs), then the fan-out benchmark
          (tests/src/bin/fanout_bench.rs: 2,000 idle + 200 pushing sockets against the
          release showroom-server in a child process, and two server processes on one
          PostgreSQL database), release builds, on SQLite and on a throwaway PostgreSQL
          (unless SHOWROOM_BENCH_PG_URL is set). ARGS go to sync-bench, FANOUT-ARGS
          (after `--`) to fanout-bench (`cargo xtask bench sync --help` shows both).
  bench fanout [FANOUT-ARGS]
          Only the fan-out benchmark, e.g. `cargo xtask bench fanout --idle 200 --active 20`.
  bench device [ARGS]
          The device benchmark (tests/bench/device.mjs): a 768x1024 tablet in headless
          Chromium signing in to a dealer of 10,000 leads, at full speed and with the
          CPU throttled 4x: sync, live updates, memory, typing, opening a lead, offline
          reload; prints one table. Builds the PWA, the release server and device-seed.
          ARGS go to the script: --leads N, --rates 1,4, --no-soak, --json PATH, --help.
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
            Some(which @ ("sync" | "fanout")) => {
                let rest = &args[2..];
                let (sync_args, fanout_args) = if which == "fanout" {
                    (None, rest)
                } else {
                    match rest.iter().position(|a| a == "--") {
                        Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
                        None => (Some(rest), &rest[rest.len()..]),
                    }
                };
                match bench_sync(&ctx, sync_args, fanout_args) {
                    Ok(code) => code,
                    Err(e) => {
                        eprintln!("\nxtask bench {which} FAILED: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Some("device") => match bench_device(&ctx, &args[2..]) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("\nxtask bench device FAILED: {e}");
                    ExitCode::FAILURE
                }
            },
            _ => {
                eprintln!(
                    "xtask bench: which benchmark? `cargo xtask bench sync` (sync, then fan-out), `cargo xtask bench fanout` or `cargo xtask bench device`"
                );
                ExitCode::from(2)
            }
        },
        "precompress" => match args.get(1).filter(|_| args.len() == 2) {
            Some(dir) => match precompress_cmd(std::path::Path::new(dir)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("\nxtask precompress FAILED: {e}");
                    ExitCode::FAILURE
                }
            },
            None => {
                eprintln!("xtask precompress takes one argument: the dist dir");
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

/// `cargo xtask precompress DIR`: the last step of `build`, on its own.
fn precompress_cmd(dir: &std::path::Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let started = std::time::Instant::now();
    let compressed = precompress::precompress_dir(dir)?;
    println!(
        "{} files precompressed in {:.1} s, bytes per file:\n{}",
        compressed.len(),
        started.elapsed().as_secs_f64(),
        precompress::table(dir, &compressed)?
    );
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

/// `cargo xtask bench sync`: the sync benchmark, then the fan-out benchmark against
/// the release server binary, with a throwaway PostgreSQL cluster for their
/// PostgreSQL figures unless SHOWROOM_BENCH_PG_URL names one. `sync_args` is None
/// for `cargo xtask bench fanout` (the fan-out benchmark only).
fn bench_sync(
    ctx: &Ctx,
    sync_args: Option<&[String]>,
    fanout_args: &[String],
) -> Result<ExitCode, String> {
    let is_help = |a: &String| a == "--help" || a == "-h";
    let wants_help =
        sync_args.is_some_and(|a| a.iter().any(is_help)) || fanout_args.iter().any(is_help);
    let mut cargo = ctx.cargo();
    cargo.args(["build", "--release", "-p", "showroom-tests"]);
    if sync_args.is_some() {
        cargo.args(["--bin", "sync-bench"]);
    }
    cargo.args(["--bin", "fanout-bench"]);
    // fanout-bench runs the real server binary (it looks for it next to itself).
    if !wants_help {
        cargo.args(["-p", "showroom-server", "--bin", "showroom-server"]);
    }
    util::run_checked(&mut cargo)?;
    let release = ctx.target_dir.join("release");
    let mut benches = Vec::new();
    if let Some(args) = sync_args {
        let mut bench = ctx.cmd(release.join("sync-bench"));
        bench.args(if wants_help { &[][..] } else { args });
        benches.push(("sync-bench", bench));
    }
    let mut fanout = ctx.cmd(release.join("fanout-bench"));
    fanout.args(if wants_help { &[][..] } else { fanout_args });
    benches.push(("fanout-bench", fanout));
    if wants_help {
        for (_, bench) in &mut benches {
            bench.arg("--help");
        }
    }
    let external = std::env::var("SHOWROOM_BENCH_PG_URL").is_ok_and(|u| !u.is_empty());
    // Held until the benchmarks end; dropping it stops and deletes the cluster.
    let mut _cluster = None;
    if !external && !wants_help {
        match tools::ensure_system_tools(false, true).postgres {
            Ok(pg_bin) => {
                let cluster = pg::PgCluster::start(&pg_bin)?;
                for (_, bench) in &mut benches {
                    bench.env("SHOWROOM_BENCH_PG_URL", &cluster.url);
                }
                _cluster = Some(cluster);
            }
            Err(e) => println!("\nwarning: measuring on SQLite only: {e}"),
        }
    }
    let mut code = ExitCode::SUCCESS;
    for (name, mut bench) in benches {
        step(&util::show(&bench));
        let status = bench
            .status()
            .map_err(|e| format!("could not start {name}: {e}"))?;
        if !status.success() {
            eprintln!("{name} failed ({})", util::describe(status));
            code = ExitCode::FAILURE;
        }
    }
    Ok(code)
}

/// `cargo xtask bench device`: the PWA (release), the release server and the seeding
/// device, then `node tests/bench/device.mjs ARGS` in headless Chromium.
fn bench_device(ctx: &Ctx, args: &[String]) -> Result<ExitCode, String> {
    let node_version = tools::ensure_node(ctx)?;
    let e2e_dir = ctx.root.join("tests").join("e2e");
    tools::ensure_node_modules(ctx, &e2e_dir)?;
    let script = ctx.root.join("tests").join("bench").join("device.mjs");
    if args.iter().any(|a| a == "--help" || a == "-h") {
        let status = ctx
            .cmd("node")
            .arg(&script)
            .arg("--help")
            .status()
            .map_err(|e| format!("could not start node: {e}"))?;
        return Ok(if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    tools::ensure_system_tools(true, false).browser?;
    let wctx = tools::ensure_wasm_tools(ctx)?;
    let dist = dist::build_pwa(&wctx)?.dist;
    util::run_checked(ctx.cargo().args([
        "build",
        "--release",
        "-p",
        "showroom-server",
        "--bin",
        "showroom-server",
        "-p",
        "showroom-tests",
        "--bin",
        "device-seed",
    ]))?;
    let release = ctx.target_dir.join("release");
    let tmp = util::TempDir::fresh(std::path::Path::new("/tmp"), "showroom-bench-device")?;
    let mut node = ctx.cmd("node");
    node.arg(&script)
        .args(args)
        .env("SHOWROOM_SERVER_BIN", release.join("showroom-server"))
        .env("SHOWROOM_DEVICE_SEED_BIN", release.join("device-seed"))
        .env("SHOWROOM_DIST", &dist)
        .env("CHROMIUM", tools::CHROMIUM)
        .env("TMPDIR", &tmp.0);
    step(&format!(
        "{} (node {}.{})",
        util::show(&node),
        node_version.0,
        node_version.1
    ));
    let status = node
        .status()
        .map_err(|e| format!("could not start node: {e}"))?;
    if status.success() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("device benchmark failed ({})", util::describe(status));
        Ok(ExitCode::FAILURE)
    }
}
