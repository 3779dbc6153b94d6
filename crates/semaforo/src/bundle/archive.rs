//! The bundle's container: a tar archive of regular files, read with
//! limits and written in one canonical form.
//!
//! The canonical form is what [`write()`] produces: ustar headers with mode
//! 0644, owner 0, group 0, modification time 0, empty user and group names,
//! the entries in the order given, and the two zero blocks that end an
//! archive. The same entries always give the same bytes.

use super::BundleError;

/// The largest bundle read, in bytes.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;
/// The most entries a bundle may hold.
pub const MAX_ENTRIES: usize = 10_000;
/// The longest path of an entry, in bytes (the ustar name field, so that
/// no extension header is ever needed).
pub const MAX_PATH_BYTES: usize = 100;

const BLOCK: usize = 512;

/// One file of the archive: its path and contents.
pub(crate) type Entry = (String, Vec<u8>);

/// Checks a path inside a bundle: relative, `/`-separated, each component
/// non-empty, not `.` or `..`, of ASCII letters, digits, `.`, `_` and `-`.
pub(crate) fn check_path(path: &str) -> Result<(), BundleError> {
    let bad = |reason: &str| BundleError::BadPath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    if path.is_empty() {
        return Err(bad("the path is empty"));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(bad("the path is longer than 100 bytes"));
    }
    if path.starts_with('/') {
        return Err(bad("the path is absolute"));
    }
    for part in path.split('/') {
        match part {
            "" => return Err(bad("the path has an empty component")),
            "." | ".." => return Err(bad("the path has a `.` or `..` component")),
            _ => {}
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        {
            return Err(bad(
                "the path has a character other than ASCII letters, digits, `.`, `_`, `-` and `/`",
            ));
        }
    }
    Ok(())
}

/// Reads every entry of an archive, refusing anything but regular files
/// with valid, distinct paths, and a truncated archive.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Entry>, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_BUNDLE_BYTES as u64,
        });
    }
    // An archive ends with two zero blocks; without them (or with a length
    // that is not whole blocks) it was cut short.
    let end_ok = bytes.len() >= 2 * BLOCK
        && bytes.len().is_multiple_of(BLOCK)
        && bytes
            .get(bytes.len() - 2 * BLOCK..)
            .is_some_and(|t| t.iter().all(|&b| b == 0));
    if !end_ok {
        return Err(BundleError::Truncated {
            detail: "the archive does not end with the two zero blocks of a complete tar archive"
                .into(),
        });
    }
    let mut archive = tar::Archive::new(bytes);
    let archive_error = |index: usize, e: std::io::Error| BundleError::Archive {
        entry: index,
        message: e.to_string(),
    };
    let entries = archive.entries().map_err(|e| archive_error(0, e))?;
    let mut out: Vec<Entry> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, entry) in entries.enumerate() {
        let mut entry = entry.map_err(|e| archive_error(index, e))?;
        if index >= MAX_ENTRIES {
            return Err(BundleError::TooManyEntries { limit: MAX_ENTRIES });
        }
        let raw_path = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw_path).map_err(|e| BundleError::BadPath {
            path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            reason: "the path is not UTF-8".into(),
        })?;
        let kind = entry.header().entry_type();
        if kind != tar::EntryType::Regular {
            return Err(BundleError::NotAFile {
                path,
                kind: kind_name(kind).to_string(),
            });
        }
        check_path(&path)?;
        if !seen.insert(path.clone()) {
            return Err(BundleError::DuplicateEntry { path });
        }
        let size = entry.size();
        let remaining = (bytes.len() as u64).saturating_sub(entry.raw_file_position());
        if size > remaining {
            return Err(BundleError::Truncated {
                detail: format!(
                    "entry `{path}` declares {size} bytes, the archive holds {remaining} after its header"
                ),
            });
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        std::io::Read::read_to_end(&mut entry, &mut data).map_err(|e| archive_error(index, e))?;
        if data.len() as u64 != size {
            return Err(BundleError::Truncated {
                detail: format!("entry `{path}` holds {} of its {size} bytes", data.len()),
            });
        }
        out.push((path, data));
    }
    Ok(out)
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Link => "a hard link",
        tar::EntryType::Symlink => "a symbolic link",
        tar::EntryType::Directory => "a directory",
        tar::EntryType::Char | tar::EntryType::Block => "a device",
        tar::EntryType::Fifo => "a named pipe",
        tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => "a pax extension header",
        tar::EntryType::GNULongName | tar::EntryType::GNULongLink => "a GNU long name",
        _ => "not a regular file",
    }
}

/// Writes entries in the canonical form (see the module docs).
pub(crate) fn write<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, BundleError> {
    let io = |e: std::io::Error| BundleError::Archive {
        entry: 0,
        message: e.to_string(),
    };
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        check_path(path)?;
        let mut h = tar::Header::new_ustar();
        h.set_path(path).map_err(io)?;
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, data).map_err(io)?;
    }
    b.into_inner().map_err(io)
}
