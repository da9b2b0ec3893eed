//! A throwaway PostgreSQL cluster on loopback for the tests.
//!
//! Stopped and deleted when the guard drops (also when a test phase fails or panics).
//! If xtask itself is killed (Ctrl-C), a small watchdog process does the same, and
//! the next run removes any cluster whose xtask is gone.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::util::{self, describe, step};

const PREFIX: &str = "showroom-pg-";

pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    watchdog: Option<Child>,
    pub url: String,
}

/// A free TCP port on 127.0.0.1 (bound, read, dropped).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

impl PgCluster {
    fn pg(&self, program: &str) -> Command {
        pg_command(&self.bin, self.as_postgres, program)
    }

    pub fn start(bin: &Path) -> Result<PgCluster, String> {
        remove_stale_clusters(bin);
        let as_postgres = util::is_root();
        let dir = PathBuf::from("/tmp").join(format!("{PREFIX}{}", std::process::id()));
        step(&format!(
            "starting a throwaway PostgreSQL in {}",
            dir.display()
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // From here on the guard cleans up, whatever fails.
        let mut cluster = PgCluster {
            dir: dir.clone(),
            bin: bin.to_path_buf(),
            as_postgres,
            watchdog: None,
            url: String::new(),
        };
        if as_postgres {
            // initdb refuses to run as root.
            util::run_checked(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        cluster.watchdog = spawn_watchdog(&cluster);
        let data = dir.join("data");
        let mut initdb = cluster.pg("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .stdout(Stdio::null());
        util::run_checked(&mut initdb)?;

        let log = dir.join("postgres.log");
        let mut last_error = String::new();
        // A port picked as free can be taken before the server binds it: try a few.
        for _ in 0..3 {
            let port = free_port()?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                dir.display()
            );
            let mut start = cluster.pg("pg_ctl");
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .stdout(Stdio::null());
            match util::run_checked(&mut start) {
                Ok(()) => {
                    cluster.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
                    println!("PostgreSQL ready: {}", cluster.url);
                    return Ok(cluster);
                }
                Err(e) => {
                    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                    last_error = format!("{e}\n--- {} ---\n{log_text}", log.display());
                    if !log_text.contains("in use") {
                        break;
                    }
                }
            }
        }
        Err(last_error)
    }
}

/// `runuser` lives in /usr/sbin, which a root shell has on PATH but a CI
/// runner's or a login-less environment's PATH may lack.
fn runuser() -> &'static str {
    [
        "/usr/sbin/runuser",
        "/sbin/runuser",
        "/usr/bin/runuser",
        "/bin/runuser",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .unwrap_or("runuser")
}

fn pg_command(bin: &Path, as_postgres: bool, program: &str) -> Command {
    if as_postgres {
        let mut c = Command::new(runuser());
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

fn stop(bin: &Path, as_postgres: bool, dir: &Path) {
    let data = dir.join("data");
    if data.join("postmaster.pid").exists() {
        let status = pg_command(bin, as_postgres, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => eprintln!("xtask: pg_ctl stop in {}: {}", data.display(), describe(s)),
            Err(e) => eprintln!("xtask: pg_ctl stop in {}: {e}", data.display()),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        step(&format!(
            "stopping PostgreSQL and removing {}",
            self.dir.display()
        ));
        stop(&self.bin, self.as_postgres, &self.dir);
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

/// A detached shell that, once this process is gone, stops the cluster and deletes its
/// directory if they are still there (Ctrl-C kills xtask before any Drop runs, and
/// pg_ctl detaches the server from our process group, so nothing else would).
fn spawn_watchdog(cluster: &PgCluster) -> Option<Child> {
    let pg_ctl = cluster.bin.join("pg_ctl");
    let script = r#"
while kill -0 "$1" 2>/dev/null; do sleep 1; done
if [ -f "$2/data/postmaster.pid" ]; then
  if [ "$4" = 1 ]; then "$5" -u postgres -- "$3" -D "$2/data" -m immediate stop
  else "$3" -D "$2/data" -m immediate stop; fi
fi
rm -rf "$2"
"#;
    Command::new("setsid")
        .args(["sh", "-c", script, "xtask-pg-watchdog"])
        .arg(std::process::id().to_string())
        .arg(&cluster.dir)
        .arg(&pg_ctl)
        .arg(if cluster.as_postgres { "1" } else { "0" })
        .arg(runuser())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// Clusters left by an xtask that no longer runs (killed before it could clean up).
fn remove_stale_clusters(bin: &Path) {
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        println!("removing a stale test cluster {}", entry.path().display());
        stop(bin, util::is_root(), &entry.path());
    }
}
