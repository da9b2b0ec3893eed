//! Making sure the tools are there, installing them when we can, and saying exactly
//! what to install when we cannot.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::counts::{lock_versions, major_minor, version_in};
use crate::util::{self, Ctx, output_of, step};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// playwright-core 1.65 needs Node 20.
pub const NODE_MIN_MAJOR: u32 = 20;

/// The wasm32 target and a wasm-bindgen CLI of the version in Cargo.lock. Returns the
/// context to use from then on (its PATH finds the right wasm-bindgen first).
pub fn ensure_wasm_tools(ctx: &Ctx) -> Result<Ctx, String> {
    ensure_wasm_target(ctx)?;
    ensure_wasm_bindgen(ctx)
}

fn ensure_wasm_target(ctx: &Ctx) -> Result<(), String> {
    step(&format!("checking the Rust target {WASM_TARGET}"));
    let installed = output_of(ctx.cmd("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|l| l.trim() == WASM_TARGET) => {
            println!("{WASM_TARGET}: installed");
            Ok(())
        }
        Some(_) => util::run_checked(ctx.cmd("rustup").args(["target", "add", WASM_TARGET]))
            .map_err(|e| format!("{e}\nInstall it yourself with: rustup target add {WASM_TARGET}")),
        None => {
            // No rustup: a toolchain from elsewhere may still have the target's std.
            let libdir = output_of(ctx.cmd("rustc").args([
                "--print",
                "target-libdir",
                "--target",
                WASM_TARGET,
            ]));
            match libdir {
                Some(dir) if Path::new(&dir).is_dir() => {
                    println!("{WASM_TARGET}: found at {dir} (no rustup)");
                    Ok(())
                }
                _ => Err(format!(
                    "the Rust target {WASM_TARGET} is missing and rustup is not available.\n\
                     Install rustup (https://rustup.rs) and run: rustup target add {WASM_TARGET}"
                )),
            }
        }
    }
}

/// The wasm-bindgen version that Cargo.lock pins.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let lock_path = root.join("Cargo.lock");
    let lock =
        std::fs::read_to_string(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let versions = lock_versions(&lock, "wasm-bindgen");
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "{} has no wasm-bindgen package",
            lock_path.display()
        )),
        many => Err(format!(
            "{} has several wasm-bindgen versions ({}); the CLI can match only one",
            lock_path.display(),
            many.join(", ")
        )),
    }
}

fn tool_version(ctx: &Ctx, program: &Path) -> Option<String> {
    output_of(ctx.cmd(program).arg("--version")).and_then(|out| version_in(&out))
}

fn ensure_wasm_bindgen(ctx: &Ctx) -> Result<Ctx, String> {
    let want = locked_wasm_bindgen_version(&ctx.root)?;
    step(&format!(
        "checking wasm-bindgen {want} (the version in Cargo.lock)"
    ));
    let found = |ctx: &Ctx| -> (Option<String>, Option<String>) {
        (
            tool_version(ctx, Path::new("wasm-bindgen")),
            tool_version(ctx, Path::new("wasm-bindgen-test-runner")),
        )
    };
    let (cli, runner) = found(ctx);
    if cli.as_deref() == Some(want.as_str()) && runner.as_deref() == Some(want.as_str()) {
        println!("wasm-bindgen {want} and wasm-bindgen-test-runner {want}: installed");
        return Ok(ctx.clone());
    }
    println!(
        "wasm-bindgen: {}, wasm-bindgen-test-runner: {}; installing wasm-bindgen-cli {want} \
         (about 4 minutes on a cold machine)",
        cli.as_deref().unwrap_or("not found"),
        runner.as_deref().unwrap_or("not found"),
    );
    // No --locked: the CLI's own lock file wants a webpki-roots the registry lacks.
    let mut install = ctx.cargo();
    install.args(["install", "wasm-bindgen-cli", "--version", &want]);
    // cargo install has no business building into the workspace's target dir.
    install.env_remove("CARGO_TARGET_DIR");
    util::run_checked(&mut install).map_err(|e| {
        format!("{e}\nInstall it yourself with: cargo install wasm-bindgen-cli --version {want}")
    })?;
    // An older wasm-bindgen earlier on PATH would still shadow the new one: put cargo's
    // bin dir first.
    let mut ctx = ctx.clone();
    if let Some(bin) = ctx.cargo_bin_dir.clone() {
        let mut dirs: Vec<PathBuf> = std::env::split_paths(&ctx.path)
            .filter(|d| *d != bin)
            .collect();
        dirs.insert(0, bin);
        ctx.path = std::env::join_paths(dirs).map_err(|e| format!("PATH: {e}"))?;
    }
    let (cli, runner) = found(&ctx);
    if cli.as_deref() == Some(want.as_str()) && runner.as_deref() == Some(want.as_str()) {
        println!("wasm-bindgen {want}: installed");
        Ok(ctx)
    } else {
        Err(format!(
            "after `cargo install wasm-bindgen-cli --version {want}`, wasm-bindgen is {} and \
             wasm-bindgen-test-runner is {}; put {} first on PATH",
            cli.as_deref().unwrap_or("not found"),
            runner.as_deref().unwrap_or("not found"),
            ctx.cargo_bin_dir
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "cargo's bin directory".into()),
        ))
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has initdb.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    for entry in std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten() {
        let Ok(version) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let bin = entry.path().join("bin");
        if util::is_executable(&bin.join("initdb"))
            && util::is_executable(&bin.join("pg_ctl"))
            && best.as_ref().is_none_or(|(v, _)| version > *v)
        {
            best = Some((version, bin));
        }
    }
    best.map(|(_, bin)| bin)
}

/// What the test phases can use: each entry is Ok or says why not.
pub struct SystemTools {
    pub browser: Result<(), String>,
    pub postgres: Result<PathBuf, String>,
}

/// Chromium + ChromeDriver and PostgreSQL's server binaries (each only if needed),
/// from Debian's packages: installed with apt-get when we are root, else the exact
/// command is printed.
pub fn ensure_system_tools(need_browser: bool, need_postgres: bool) -> SystemTools {
    let wanted: Vec<&str> = [
        (need_browser, "Chromium, ChromeDriver"),
        (need_postgres, "PostgreSQL"),
    ]
    .iter()
    .filter(|(need, _)| *need)
    .map(|(_, what)| *what)
    .collect();
    step(&format!("checking {}", wanted.join(", ")));
    let browser_ok = || Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file();
    let mut missing: Vec<&str> = Vec::new();
    if need_browser && !Path::new(CHROMIUM).is_file() {
        missing.push("chromium");
    }
    if need_browser && !Path::new(CHROMEDRIVER).is_file() {
        missing.push("chromium-driver");
    }
    if need_postgres && postgres_bin_dir().is_none() {
        missing.push("postgresql");
    }
    let mut install_error = None;
    if missing.is_empty() {
        println!("all present");
    } else {
        let command = format!(
            "apt-get update && apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        );
        if !util::is_root() {
            install_error = Some(format!(
                "missing Debian packages: {}. Install them as root with:\n  sudo sh -c \
                 'DEBIAN_FRONTEND=noninteractive {command}'",
                missing.join(" ")
            ));
        } else if Command::new("apt-get").arg("--version").output().is_err() {
            install_error = Some(format!(
                "missing: {} and there is no apt-get here; install Chromium (at {CHROMIUM}), \
                 ChromeDriver (at {CHROMEDRIVER}) and the PostgreSQL server binaries \
                 (/usr/lib/postgresql/<version>/bin) with your system's package manager",
                missing.join(" ")
            ));
        } else {
            println!(
                "installing Debian packages: {} (about a minute)",
                missing.join(" ")
            );
            let update = util::run_checked(
                Command::new("apt-get")
                    .arg("update")
                    .env("DEBIAN_FRONTEND", "noninteractive"),
            );
            let install = update.and_then(|()| {
                util::run_checked(
                    Command::new("apt-get")
                        .args(["install", "-y", "--no-install-recommends"])
                        .args(&missing)
                        .env("DEBIAN_FRONTEND", "noninteractive"),
                )
            });
            if let Err(e) = install {
                install_error = Some(format!("{e}\nInstall them with: {command}"));
            }
        }
    }
    let why = |what: &str| {
        format!(
            "{what} is missing: {}",
            install_error.as_deref().unwrap_or("see above")
        )
    };
    SystemTools {
        browser: if !need_browser {
            Err("not needed".into())
        } else if browser_ok() {
            Ok(())
        } else {
            Err(why(&format!(
                "Chromium ({CHROMIUM}) or ChromeDriver ({CHROMEDRIVER})"
            )))
        },
        postgres: if !need_postgres {
            Err("not needed".into())
        } else {
            postgres_bin_dir().ok_or_else(|| why("PostgreSQL (/usr/lib/postgresql/*/bin/initdb)"))
        },
    }
}

/// Node's `(major, minor)` if Node ≥ 20 and npm are there.
pub fn ensure_node(ctx: &Ctx) -> Result<(u32, u32), String> {
    step("checking Node.js and npm");
    let advice = format!(
        "Install Node.js {NODE_MIN_MAJOR} or newer with npm (for example from nodejs.org or \
         NodeSource; Debian 12's own nodejs package is 18, too old for playwright-core)"
    );
    let node = output_of(ctx.cmd("node").arg("--version"))
        .ok_or_else(|| format!("node was not found. {advice}"))?;
    let version = version_in(&node).ok_or_else(|| format!("node --version said {node:?}"))?;
    let (major, minor) =
        major_minor(&version).ok_or_else(|| format!("node --version said {node:?}"))?;
    if major < NODE_MIN_MAJOR {
        return Err(format!("node {version} is too old. {advice}"));
    }
    let npm = output_of(ctx.cmd("npm").arg("--version"))
        .ok_or_else(|| format!("npm was not found (node {version} is). {advice}"))?;
    println!("node {version}, npm {npm}");
    Ok((major, minor))
}

/// `npm ci` in `dir` when its `node_modules` is missing or older than the manifests.
pub fn ensure_node_modules(ctx: &Ctx, dir: &Path) -> Result<(), String> {
    let stamp = dir.join("node_modules").join(".package-lock.json");
    let mtime = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    let fresh = match mtime(&stamp) {
        None => false,
        Some(installed) => ["package.json", "package-lock.json"]
            .iter()
            .all(|f| mtime(&dir.join(f)).is_some_and(|m| m <= installed)),
    };
    if fresh {
        println!("{}: node_modules up to date", dir.display());
        return Ok(());
    }
    util::run_checked(
        ctx.cmd("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )
}
