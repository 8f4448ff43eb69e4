//! One writer per checkout: tasks that write under `target/` (build, componentize, check, dist, bench) hold an
//! exclusive lock on `target/.xtask.lock` while they run, so two `cargo xtask` runs in one checkout serialise
//! instead of interleaving writes to the same intermediate files. The second one says whom it waits for. The lock
//! is the kernel's (`flock`): it is released when its holder exits, however it exits, so a killed run never
//! leaves a stale lock behind. Nested tasks in one process (bench running dist) share the lock they already hold.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::status;

/// The lock file, under the checkout's `target/`.
pub fn path(root: &Path) -> PathBuf {
    root.join("target/.xtask.lock")
}

/// Held for as long as it lives; dropping the last guard of this process releases the lock.
#[must_use = "the lock is released when the guard is dropped"]
pub struct Guard {
    path: PathBuf,
}

/// The locks this process holds: path → (open file holding the lock, how many guards share it).
static HELD: Mutex<Vec<(PathBuf, File, usize)>> = Mutex::new(Vec::new());

/// Takes the lock of the checkout at `root`, waiting (and saying so, once) while another process holds it.
pub fn acquire(root: &Path) -> Result<Guard> {
    acquire_at(&path(root))
}

fn acquire_at(path: &Path) -> Result<Guard> {
    let mut held = HELD.lock().unwrap();
    if let Some(entry) = held.iter_mut().find(|(p, ..)| p == path) {
        entry.2 += 1;
        return Ok(Guard { path: path.to_path_buf() });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("failed to open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
            status::step(
                "Waiting",
                format!("for another cargo xtask in this checkout{who} to finish ({})", path.display()),
            );
            file.lock().with_context(|| format!("failed to lock {}", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("failed to lock {}", path.display()));
        }
    }
    // The holder's pid, for the message a waiting run prints.
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()))
        .with_context(|| format!("failed to write {}", path.display()))?;
    held.push((path.to_path_buf(), file, 1));
    Ok(Guard { path: path.to_path_buf() })
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap();
        if let Some(at) = held.iter().position(|(p, ..)| *p == self.path) {
            held[at].2 -= 1;
            if held[at].2 == 0 {
                // Closing the file releases the kernel lock.
                held.remove(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A second holder (another open file description, as another process has) waits until the first lets go;
    /// a nested acquisition in the holding process does not wait at all.
    #[test]
    fn a_second_holder_waits_for_the_first_and_nesting_shares_the_lock() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        let path = dir.join("target/.xtask.lock");
        let first = acquire_at(&path).unwrap();
        let nested = acquire_at(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), std::process::id().to_string());

        // The kernel lock is per open file: a fresh open of the same file cannot take it while `first` lives.
        // Events, not timings, say what happened: the waiter reports that it was refused, then that it got in.
        let other = File::options().read(true).write(true).open(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let refused = matches!(other.try_lock(), Err(std::fs::TryLockError::WouldBlock));
            tx.send(("refused", refused)).unwrap();
            other.lock().unwrap();
            tx.send(("locked", true)).unwrap();
        });
        assert_eq!(rx.recv().unwrap(), ("refused", true), "a second holder got the lock at once");
        std::thread::sleep(Duration::from_millis(200));
        assert!(rx.try_recv().is_err(), "the second holder got the lock while the first held it");
        drop(nested);
        std::thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "dropping a nested guard released the lock");
        drop(first);
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)).unwrap(), ("locked", true));
        waiter.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
