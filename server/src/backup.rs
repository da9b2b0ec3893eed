//! Backups of the SQLite database, and restoring one.
//!
//! A backup is `VACUUM INTO` a new file — SQLite's consistent online copy,
//! never a file copy of a live database — named `showroom-YYYYMMDD-HHMMSS.db`
//! (UTC) in the backup folder, written under a temporary name and renamed
//! when complete, so a folder never holds half a backup under a backup's name.
//! The server writes one every `SHOWROOM_BACKUP_EVERY_HOURS` and removes
//! those older than `SHOWROOM_BACKUP_KEEP_DAYS` (always keeping the newest).
//!
//! A restore needs the server stopped: a running server holds an exclusive
//! lock on `<database>.lock`. The restored database gets a new log identity
//! ([`crate::db::set_log_id`]): every device sees its cursor names another
//! log, starts over from zero and re-sends every change it holds, so what the
//! backup lacks comes back from the devices.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::Clock;
use crate::db::{self, Db};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backups are for the SQLite database; back PostgreSQL up with pg_dump (docs/DEPLOY.md)"
    )]
    NotSqlite,
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the database failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Open(#[from] db::DbError),
    #[error("the server is running on this database (it holds {0}): stop it first")]
    Running(String),
    #[error("{path} is not a usable Showroom database: {why}")]
    NotABackup { path: String, why: String },
    #[error("no randomness: {0}")]
    Random(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The database file of a `sqlite:` URL, or `None` for PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

/// The backup folder: the configured one, or `backups/` beside the database.
pub fn folder(configured: Option<&Path>, database: &Path) -> PathBuf {
    match configured {
        Some(dir) => dir.to_path_buf(),
        None => database
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("backups"),
    }
}

/// Held while the server runs on a SQLite file: an exclusive lock on
/// `<database>.lock`, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

/// Takes the lock of the database at `database`; fails if a server holds it.
pub fn lock(database: &Path) -> Result<ServerLock, BackupError> {
    let path = with_suffix(database, ".lock");
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(ServerLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(BackupError::Running(path.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// A backup's file name for the time `now` (Unix ms, UTC).
pub fn file_name(now: i64) -> String {
    format!("showroom-{}.db", stamp(now))
}

/// `YYYYMMDD-HHMMSS` of the time `now` (Unix ms, UTC).
fn stamp(now: i64) -> String {
    let secs = now.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The time a backup's file name says (Unix ms), for the backups this
/// module wrote; other files in the folder are never touched.
fn time_of(name: &str) -> Option<i64> {
    let stamp = name.strip_prefix("showroom-")?.strip_suffix(".db")?;
    let (date, time) = stamp.split_once('-')?;
    if date.len() != 8 || time.len() != 6 || !stamp.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    let n = |s: &str| s.parse::<i64>().ok();
    let (y, m, d) = (n(&date[..4])?, n(&date[4..6])?, n(&date[6..])?);
    let (hh, mm, ss) = (n(&time[..2])?, n(&time[2..4])?, n(&time[4..])?);
    let days = days_from_civil(y, m, d);
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000)
}

// Howard Hinnant's civil-calendar algorithms (public domain), for UTC dates
// without a date crate on the server.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    /// Older backups removed by the retention rule.
    pub removed: usize,
}

/// Writes a backup of the open SQLite database into `dir` now, then removes
/// backups older than `keep_days` (never the newest).
pub async fn write(
    db: &Db,
    dir: &Path,
    clock: &Clock,
    keep_days: u32,
) -> Result<Written, BackupError> {
    if !matches!(db, Db::Sqlite(_)) {
        return Err(BackupError::NotSqlite);
    }
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let now = clock.now();
    let path = dir.join(file_name(now));
    let partial = dir.join(format!(".{}.partial", file_name(now)));
    // A leftover of a crashed backup would make VACUUM INTO fail.
    let _ = tokio::fs::remove_file(&partial).await;
    let target = partial
        .to_str()
        .ok_or_else(|| BackupError::NotABackup {
            path: partial.display().to_string(),
            why: "the path is not UTF-8".to_owned(),
        })?
        .to_owned();
    db::vacuum_into(db, &target).await?;
    tokio::fs::rename(&partial, &path)
        .await
        .map_err(io(&path))?;
    let bytes = tokio::fs::metadata(&path).await.map_err(io(&path))?.len();
    let removed = prune(dir, now, keep_days).await?;
    Ok(Written {
        path,
        bytes,
        removed,
    })
}

/// Removes this module's backups older than `keep_days`, keeping the newest.
async fn prune(dir: &Path, now: i64, keep_days: u32) -> Result<usize, BackupError> {
    let mut backups = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await.map_err(io(dir))?;
    while let Some(entry) = entries.next_entry().await.map_err(io(dir))? {
        if let Some(at) = entry.file_name().to_str().and_then(time_of) {
            backups.push((at, entry.path()));
        }
    }
    backups.sort();
    backups.pop(); // the newest stays, whatever its age
    let cutoff = now - i64::from(keep_days) * 86_400_000;
    let mut removed = 0;
    for (at, path) in backups {
        if at < cutoff {
            tokio::fs::remove_file(&path).await.map_err(io(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// When the next backup is due: `every` after the newest one in `dir`
/// (at once when none is there, or it is older), so a server restarted
/// often still backs up on time.
pub async fn first_due(dir: &Path, now: i64, every: Duration) -> Duration {
    let mut newest: Option<i64> = None;
    if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            if let Some(at) = entry.file_name().to_str().and_then(time_of) {
                newest = Some(newest.map_or(at, |n| n.max(at)));
            }
        }
    }
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    match newest {
        Some(at) => Duration::from_millis(
            u64::try_from(at.saturating_add(every_ms).saturating_sub(now)).unwrap_or(0),
        ),
        None => Duration::ZERO,
    }
}

/// Backs up every `every`, the first one when [`first_due`], logging each.
pub fn schedule(db: Db, dir: PathBuf, clock: Clock, every: Duration, keep_days: u32) {
    tokio::spawn(async move {
        let first = first_due(&dir, clock.now(), every).await;
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + first, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match write(&db, &dir, &clock, keep_days).await {
                Ok(w) => tracing::info!(
                    path = %w.path.display(),
                    bytes = w.bytes,
                    removed = w.removed,
                    "backup written"
                ),
                Err(err) => tracing::error!(%err, dir = %dir.display(), "backup failed"),
            }
        }
    });
}

/// What a restore did.
#[derive(Clone, Debug)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the database that was replaced went.
    pub previous: Option<PathBuf>,
    pub log_id: u64,
}

/// A fresh log identity, in the range the migration uses.
pub fn new_log_id() -> Result<u64, BackupError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| BackupError::Random(e.to_string()))?;
    Ok(u64::from_le_bytes(bytes) % 9_007_199_254_740_990 + 1)
}

/// Replaces the SQLite database at `url` with `backup`. The server must be
/// stopped. The backup is copied and checked (SQLite's integrity check, the
/// schema brought up to date) beside the database first; only then is the
/// current database moved aside to `<database>.before-restore-<time>` (with
/// its `-wal` and `-shm`) and the copy put in its place.
pub async fn restore(url: &str, backup: &Path, clock: &Clock) -> Result<Restored, BackupError> {
    let database = sqlite_path(url).ok_or(BackupError::NotSqlite)?;
    let _lock = lock(&database)?;
    if !backup.is_file() {
        return Err(BackupError::NotABackup {
            path: backup.display().to_string(),
            why: "no such file".to_owned(),
        });
    }
    let staging = with_suffix(&database, ".restoring");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&staging, suffix));
    }
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::copy(backup, &staging).map_err(io(&staging))?;
    let log_id = new_log_id()?;
    {
        let staged = Db::connect(&format!("sqlite://{}", staging.display()))
            .await
            .map_err(|e| BackupError::NotABackup {
                path: backup.display().to_string(),
                why: e.to_string(),
            })?;
        let check = db::integrity_check(&staged).await?;
        if check != "ok" {
            staged.close().await;
            return Err(BackupError::NotABackup {
                path: backup.display().to_string(),
                why: format!("integrity check: {check}"),
            });
        }
        db::set_log_id(&staged, log_id).await?;
        // Leaves one self-contained file (the WAL folded in).
        db::checkpoint(&staged).await?;
        staged.close().await;
    }
    let previous = if database.exists() {
        let aside = with_suffix(
            &database,
            &format!(".before-restore-{}", stamp(clock.now())),
        );
        for suffix in ["", "-wal", "-shm"] {
            let from = with_suffix(&database, suffix);
            if from.exists() {
                let to = with_suffix(&aside, suffix);
                std::fs::rename(&from, &to).map_err(io(&to))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&staging, suffix));
    }
    std::fs::rename(&staging, &database).map_err(io(&database))?;
    Ok(Restored {
        database,
        previous,
        log_id,
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_utc_time() {
        // 2026-12-01 19:54:16 UTC
        let t = 1_796_154_856_000;
        assert_eq!(file_name(t), "showroom-20261201-195416.db");
        assert_eq!(time_of(&file_name(t)), Some(t));
        assert_eq!(time_of("showroom-20261301-000000.db.partial"), None);
        assert_eq!(time_of("notes.db"), None);
        assert_eq!(file_name(0), "showroom-19700101-000000.db");
    }

    #[tokio::test]
    async fn the_first_backup_is_due_a_period_after_the_newest() {
        let dir =
            std::env::temp_dir().join(format!("showroom-due-{}", uuid::Uuid::new_v4().simple()));
        let day = Duration::from_secs(86_400);
        let t = 1_796_154_856_000;
        assert_eq!(
            first_due(&dir, t, day).await,
            Duration::ZERO,
            "no folder: now"
        );
        std::fs::create_dir_all(&dir).ok();
        std::fs::write(dir.join(file_name(t - 3_600_000)), b"").ok();
        std::fs::write(dir.join("notes.txt"), b"").ok();
        assert_eq!(
            first_due(&dir, t, day).await,
            Duration::from_secs(23 * 3600)
        );
        assert_eq!(
            first_due(&dir, t + 2 * 86_400_000, day).await,
            Duration::ZERO,
            "overdue: now"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite://data/showroom.db"),
            Some(PathBuf::from("data/showroom.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/showroom/showroom.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/showroom/showroom.db"))
        );
        assert_eq!(sqlite_path("postgres://x@y/z"), None);
        assert_eq!(
            folder(None, Path::new("/var/lib/showroom/showroom.db")),
            PathBuf::from("/var/lib/showroom/backups")
        );
    }
}
