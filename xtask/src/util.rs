//! Paths, subprocesses and printing shared by every command.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// Where things are, and the environment every child process gets.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The workspace root (parent of `xtask/`).
    pub root: PathBuf,
    /// Cargo's target dir: `$CARGO_TARGET_DIR` (made absolute) or `<root>/target`.
    pub target_dir: PathBuf,
    /// The cargo that runs us (`$CARGO`), else `cargo` from PATH.
    pub cargo: OsString,
    /// PATH for children: ours, with cargo's bin dir added if it was missing, so that a
    /// freshly `cargo install`ed wasm-bindgen (and wasm-bindgen-test-runner, which the
    /// wasm32 test runner in `.cargo/config.toml` names) is found.
    pub path: OsString,
    /// `$CARGO_HOME/bin` (default `~/.cargo/bin`).
    pub cargo_bin_dir: Option<PathBuf>,
}

impl Ctx {
    pub fn new() -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("xtask's manifest dir has no parent")?
            .to_path_buf();
        let cwd = std::env::current_dir().map_err(|e| format!("current dir: {e}"))?;
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => cwd.join(dir),
            _ => root.join("target"),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let cargo_bin_dir = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .map(|home| home.join("bin"));
        let current_path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<PathBuf> = std::env::split_paths(&current_path).collect();
        if let Some(bin) = &cargo_bin_dir
            && !dirs.iter().any(|d| d == bin)
        {
            dirs.insert(0, bin.clone());
        }
        let path = std::env::join_paths(dirs).map_err(|e| format!("PATH: {e}"))?;
        Ok(Ctx {
            root,
            target_dir,
            cargo,
            path,
            cargo_bin_dir,
        })
    }

    /// A command with our PATH, run from the workspace root, with an absolute
    /// CARGO_TARGET_DIR if the user set one (children run from another directory).
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("PATH", &self.path).current_dir(&self.root);
        if std::env::var_os("CARGO_TARGET_DIR").is_some() {
            c.env("CARGO_TARGET_DIR", &self.target_dir);
        }
        c
    }

    pub fn cargo(&self) -> Command {
        self.cmd(&self.cargo)
    }
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A visible step marker, so that the long output of a run can be scanned.
pub fn step(message: &str) {
    println!("\n==> {message}");
    let _ = std::io::stdout().flush();
}

/// A command as a shell would show it (for messages; quoting is cosmetic).
pub fn show(cmd: &Command) -> String {
    let mut out = String::new();
    for (k, v) in cmd.get_envs() {
        if k == "PATH" {
            continue;
        }
        if let Some(v) = v {
            out.push_str(&format!("{}={} ", k.to_string_lossy(), quote(v)));
        }
    }
    // `$CARGO` is a long toolchain path; `cargo` says the same.
    let program = Path::new(cmd.get_program());
    if program.file_name() == Some(OsStr::new("cargo")) {
        out.push_str("cargo");
    } else {
        out.push_str(&quote(cmd.get_program()));
    }
    for a in cmd.get_args() {
        out.push(' ');
        out.push_str(&quote(a));
    }
    out
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited stdio; fails unless it exits 0.
pub fn run_checked(cmd: &mut Command) -> Result<(), String> {
    step(&show(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({})", show(cmd), describe(status)))
    }
}

/// Runs `cmd` and returns its stdout (trimmed) if it exits 0; None if it cannot start or fails.
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs `cmd`, copying its stdout to ours line by line as it comes (stderr is
/// inherited), and returns its exit status and stdout lines for parsing.
pub fn run_streaming(cmd: &mut Command) -> Result<(ExitStatus, Vec<String>), String> {
    step(&show(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        let out = std::io::stdout();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    let mut lock = out.lock();
                    let _ = lock.write_all(&buf);
                    let _ = lock.flush();
                    let line = String::from_utf8_lossy(&buf);
                    lines.push(line.trim_end_matches(['\n', '\r']).to_string());
                }
                Err(_) => break,
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for child: {e}"))?;
    Ok((status, lines))
}

pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "unknown status".into(),
    }
}

/// Whether we run as root (`id -u` is 0).
pub fn is_root() -> bool {
    output_of(Command::new("id").arg("-u")).as_deref() == Some("0")
}

/// A directory that is removed (with everything in it) when this guard drops.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty `<base>/<prefix>-<pid>`.
    pub fn fresh(base: &Path, prefix: &str) -> Result<Self, String> {
        let dir = base.join(format!("{prefix}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` (recursively), as paths relative to `dir`, sorted; skips
/// hidden files and directories (`.gitkeep`, `.DS_Store`).
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let here = base.join(rel);
        let entries = std::fs::read_dir(&here).map_err(|e| format!("{}: {e}", here.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", here.display()))?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let rel = rel.join(&name);
            let ty = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            if ty.is_dir() || (ty.is_symlink() && entry.path().is_dir()) {
                walk(base, &rel, out)?;
            } else {
                out.push(rel);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out)?;
    out.sort();
    Ok(out)
}

/// Copies every (non-hidden) file under `from` into `to`, creating directories.
pub fn copy_tree(from: &Path, to: &Path) -> Result<Vec<PathBuf>, String> {
    let files = files_under(from)?;
    for rel in &files {
        let dest = to.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::copy(from.join(rel), &dest).map_err(|e| {
            format!(
                "copy {} -> {}: {e}",
                from.join(rel).display(),
                dest.display()
            )
        })?;
    }
    Ok(files)
}
