//! A step's record beside its output (`<output>.key`: its input key, then the output's size and SHA-256, then what
//! the file system said about the output when it was hashed), verified on every use, so an output damaged after it
//! was written is rebuilt, never trusted; and the clean-up of what a killed run left behind. The keys themselves
//! are `keys`'.
//!
//! Verifying an output reads it whole and hashes it, unless the file system shows it untouched since it was
//! hashed: the same device, inode, size, modification time and *change time* (ctime). Every write, truncation,
//! rename onto the path, `touch`, `chmod` or new hard link advances the ctime, and no user tool can set it back
//! (`touch -d` and `utimes` set the modification time and themselves advance the ctime), so every change made
//! through the file system is still caught; what this cannot see is the disk changing bytes under the file
//! system. A change in the same clock tick as the hash is not trusted either (a record is only believed for an
//! output whose ctime is older than the record itself, git's rule for racily clean files).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};

use crate::util;

/// A step's record beside its output: `<output>.key`.
fn record_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    output.with_file_name(name)
}

/// What the file system says about a file, as the record's third line: `stat <dev> <inode> <size> <mtime> <ctime>`
/// (times in nanoseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stat {
    line: String,
    ctime_ns: i128,
}

#[cfg(unix)]
fn stat(path: &Path) -> Option<Stat> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    let (mtime, ctime) = (ns(meta.mtime(), meta.mtime_nsec()), ns(meta.ctime(), meta.ctime_nsec()));
    let line = format!("stat {} {} {} {mtime} {ctime}", meta.dev(), meta.ino(), meta.len());
    Some(Stat { line, ctime_ns: ctime })
}

/// Elsewhere there is no change time to trust: every use hashes.
#[cfg(not(unix))]
fn stat(_: &Path) -> Option<Stat> {
    None
}

/// How a fresh output was found unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The file system shows it untouched since it was hashed.
    Untouched,
    /// Read back whole: its size and SHA-256 are the recorded ones.
    Hashed,
}

/// A record as read: the key line, the size and digest, and the file-system line if there is one.
struct Record {
    key: String,
    size: String,
    digest: String,
    stat: Option<String>,
    written_ns: i128,
}

fn read_record(output: &Path) -> Option<Record> {
    let path = record_path(output);
    let written = std::fs::metadata(&path).ok()?.modified().ok()?;
    let written_ns = match written.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(_) => return None,
    };
    let text = std::fs::read_to_string(&path).ok()?;
    let mut lines = text.lines();
    let key = lines.next()?.to_string();
    let (size, digest) = lines.next()?.split_once(' ')?;
    let stat = lines.next().map(str::to_string);
    Some(Record { key, size: size.to_string(), digest: digest.to_string(), stat, written_ns })
}

/// The output's SHA-256 if the step that wrote it is fresh: its record names the same input key and the output
/// still has the size and digest recorded when it was written (or the file system shows it untouched since, see
/// the module's comment). A missing, truncated or altered output (or record) makes the step run again; nothing
/// damaged after it was built is ever reported `Fresh`.
pub fn fresh(output: &Path, key: &str) -> Option<String> {
    fresh_how(output, key).map(|(digest, _)| digest)
}

/// `fresh`, and how the output was found unchanged. An output read back whole whose record lacked the current
/// file-system line (a record older than the line, or an output re-linked since) gets it, so the next use need
/// not read it again.
pub fn fresh_how(output: &Path, key: &str) -> Option<(String, Verified)> {
    let record = read_record(output)?;
    if record.key != key {
        return None;
    }
    let before = stat(output);
    if let (Some(now), Some(recorded)) = (&before, &record.stat)
        && now.line == *recorded
        && now.ctime_ns < record.written_ns
    {
        return Some((record.digest, Verified::Untouched));
    }
    let bytes = std::fs::read(output).ok()?;
    if bytes.len().to_string() != record.size {
        return None;
    }
    let actual = util::sha256_hex(&bytes);
    if actual != record.digest {
        return None;
    }
    if let Some(now) = before
        && stat(output).as_ref() == Some(&now)
    {
        // Best effort: a record that cannot be rewritten only costs the next use a read.
        let _ = write_record(output, key, bytes.len(), &actual, Some(&now));
    }
    Some((actual, Verified::Hashed))
}

/// A step at `output` with input key `key`: fresh, or `make` writes `output` and the step is recorded. Returns the
/// output's SHA-256 and whether it was fresh (nothing ran).
pub fn fresh_or(output: &Path, key: &str, make: impl FnOnce() -> Result<()>) -> Result<(String, bool)> {
    match fresh(output, key) {
        Some(digest) => Ok((digest, true)),
        None => {
            make()?;
            Ok((record(output, key)?, false))
        }
    }
}

/// Records a step that just wrote `output`: its input key, then the size and SHA-256 of what it wrote (returned),
/// then the file-system line, if the file did not change while it was read.
pub fn record(output: &Path, key: &str) -> Result<String> {
    let before = stat(output);
    let bytes = util::read(output)?;
    let digest = util::sha256_hex(&bytes);
    let unchanged = before.filter(|b| stat(output).as_ref() == Some(b));
    write_record(output, key, bytes.len(), &digest, unchanged.as_ref())?;
    Ok(digest)
}

fn write_record(output: &Path, key: &str, size: usize, digest: &str, stat: Option<&Stat>) -> Result<()> {
    let stat = stat.map(|s| format!("{}\n", s.line)).unwrap_or_default();
    util::write_atomic(&record_path(output), format!("{key}\n{size} {digest}\n{stat}").as_bytes())
}

/// After `output`, verified by this run as `digest`, gained or lost a hard link (dist links every shipped
/// component into target/dist), which advances its ctime: records its new file-system line if nothing else about
/// it moved (the same inode, size and modification time) and the record still says `digest`; otherwise leaves the
/// record alone, so the next use reads the output back whole.
pub fn relinked(output: &Path, digest: &str) -> Result<()> {
    let (Some(record), Some(now)) = (read_record(output), stat(output)) else { return Ok(()) };
    let Some(recorded) = &record.stat else { return Ok(()) };
    let same_but_ctime = |line: &str| line.rsplit_once(' ').map(|(rest, _ctime)| rest.to_string());
    if record.digest != digest || same_but_ctime(recorded) != same_but_ctime(&now.line) {
        return Ok(());
    }
    if *recorded != now.line {
        let size: usize = record.size.parse().context("a record's size is not a number")?;
        write_record(output, &record.key, size, digest, Some(&now))?;
    }
    Ok(())
}

/// Removes what a killed run left behind below `dir`: temporary files (`.<name>.<pid>.tmp`, `.core.<pid>.tmp.wasm`)
/// that were never renamed into place. Called under the checkout's lock, so no live run owns them.
pub fn remove_orphans(dir: &Path) -> Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut removed = 0;
    for file in util::files_under(dir)? {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') && name.contains(".tmp") {
            std::fs::remove_file(&file).with_context(|| format!("failed to remove {}", file.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `fresh_how` until it trusts the file system (once the clock has ticked past the output's last
    /// change, which a record written in the same tick cannot prove); at most two seconds.
    fn until_untouched(output: &Path, key: &str) -> Verified {
        let start = std::time::Instant::now();
        loop {
            let (_, how) = fresh_how(output, key).expect("the output is fresh");
            if how == Verified::Untouched || start.elapsed().as_secs() >= 2 {
                return how;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn an_untouched_output_is_not_read_again_and_any_change_is_still_caught() {
        let dir = std::env::temp_dir().join(format!("gowasm-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let output = dir.join("module.wasm");
        std::fs::write(&output, b"the bytes a step wrote").unwrap();
        let digest = record(&output, "key").unwrap();
        assert_eq!(until_untouched(&output, "key"), Verified::Untouched);
        assert_eq!(fresh(&output, "other key"), None, "a record for another key was trusted");

        // The same size, one byte changed, and the modification time set back to what it was: the change time
        // still moved, so the output is read back whole and refused.
        let mtime = std::fs::metadata(&output).unwrap().modified().unwrap();
        std::fs::write(&output, b"the bytes a step wrotE").unwrap();
        std::fs::File::options().write(true).open(&output).unwrap().set_modified(mtime).unwrap();
        assert_eq!(fresh_how(&output, "key"), None, "a changed output was trusted");

        // Put back, it is found by its digest, and trusted untouched again once its record says so.
        std::fs::write(&output, b"the bytes a step wrote").unwrap();
        assert_eq!(fresh_how(&output, "key"), Some((digest.clone(), Verified::Hashed)));
        assert_eq!(until_untouched(&output, "key"), Verified::Untouched);

        // A new hard link advances the change time: hashed again, unless the linking step vouches for it.
        let link = dir.join("linked.wasm");
        std::fs::hard_link(&output, &link).unwrap();
        relinked(&output, &digest).unwrap();
        assert_eq!(until_untouched(&output, "key"), Verified::Untouched);
        std::fs::remove_file(&link).unwrap();
        relinked(&output, "another digest").unwrap();
        assert_eq!(fresh_how(&output, "key"), Some((digest, Verified::Hashed)));

        // A record from before the file-system line (two lines) is still honoured, by hashing.
        std::fs::write(record_path(&output), format!("key\n22 {}\n", util::sha256_hex(b"the bytes a step wrote")))
            .unwrap();
        assert_eq!(fresh_how(&output, "key").map(|(_, how)| how), Some(Verified::Hashed));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
