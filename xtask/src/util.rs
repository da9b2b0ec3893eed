//! Paths, subprocesses and printing shared by every command.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// How a streamed command ended.
pub struct Streamed {
    pub status: ExitStatus,
    pub lines: Vec<String>,
    /// It ran past its time limit and was killed (with everything it started).
    pub timed_out: bool,
}

/// Runs `cmd`, copying its stdout to ours line by line as it comes (stderr is
/// inherited), and returns its exit status and stdout lines for parsing. Past `limit`
/// the command and every process it started are killed, so that a hung test cannot
/// eat the whole CI budget.
pub fn run_streaming(cmd: &mut Command, limit: Duration) -> Result<Streamed, String> {
    step(&show(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let reader = child.stdout.take().map(|stdout| {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf);
                        // print! (not a raw stdout write), so that libtest captures it
                        // in xtask's own tests.
                        print!("{line}");
                        let _ = std::io::stdout().flush();
                        if let Ok(mut l) = lines.lock() {
                            l.push(line.trim_end_matches(['\n', '\r']).to_string());
                        }
                    }
                }
            }
        })
    });
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for `{}`: {e}", show(cmd))),
        }
        if !timed_out && Instant::now() > deadline {
            timed_out = true;
            println!(
                "\nxtask: `{}` is still running after {} s: killing it and everything it started",
                show(cmd),
                limit.as_secs()
            );
            kill_tree(child.id());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The output ends when the last process holding the pipe exits; a daemonised
    // grandchild could hold it forever, so give it only a moment.
    if let Some(reader) = reader {
        let until = Instant::now() + Duration::from_secs(10);
        while !reader.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        if reader.is_finished() {
            let _ = reader.join();
        }
    }
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    Ok(Streamed {
        status,
        lines,
        timed_out,
    })
}

/// SIGKILL to `pid` and all its descendants (found through /proc).
pub fn kill_tree(pid: u32) {
    for _ in 0..3 {
        let mut parents: Vec<(u32, u32)> = Vec::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces.
                let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                    continue;
                };
                let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                    continue;
                };
                if let Some(ppid) = after.split_whitespace().nth(1).and_then(|x| x.parse().ok()) {
                    parents.push((p, ppid));
                }
            }
        }
        let mut tree = vec![pid];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(
                parents
                    .iter()
                    .filter(|(_, pp)| *pp == parent)
                    .map(|(p, _)| *p),
            );
            i += 1;
        }
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(tree.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(200));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_collects_lines_and_status() {
        let r = run_streaming(
            Command::new("sh").args(["-c", "echo one; echo two; exit 3"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(r.lines, vec!["one", "two"]);
        assert_eq!(r.status.code(), Some(3));
        assert!(!r.timed_out);
    }

    #[test]
    fn a_hung_command_and_its_children_are_killed_at_the_limit() {
        let started = Instant::now();
        // The grandchild `sleep` holds stdout open too: both must die.
        let r = run_streaming(
            Command::new("sh").args(["-c", "echo started; sleep 300 & sleep 300; wait"]),
            Duration::from_millis(500),
        )
        .unwrap();
        assert!(r.timed_out);
        assert_eq!(r.lines, vec!["started"]);
        assert!(!r.status.success());
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
    }
}
