//! Precompressing `dist/`: next to each compressible file, `FILE.br` (Brotli,
//! quality 11) and `FILE.gz` (gzip -9), made once per build, so that the
//! server (`ServeDir::precompressed_br().precompressed_gzip()`) sends the
//! smallest encoding the browser accepts without compressing per request.
//!
//! A variant is written only when it is smaller than the file; files under
//! [`MIN_BYTES`], formats that are compressed already (png, jpg, woff2, …)
//! and files outside the build's versioned directory ([`VERSIONED_DIR`]) are
//! left alone. Both encoders are deterministic (the gzip header carries no
//! time or name), so the same build gives the same bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util;

/// The extensions worth compressing: text and wasm. Everything else (images,
/// fonts, archives) is compressed by its own format.
pub const COMPRESSIBLE: &[&str] = &[
    "wasm",
    "js",
    "mjs",
    "css",
    "html",
    "json",
    "webmanifest",
    "map",
    "svg",
    "txt",
    "xml",
];

/// Below this a response fits in a packet or two either way.
pub const MIN_BYTES: usize = 1024;

/// Brotli's best. On the 3.4 MB wasm (December 2026) it took ~14 s once per
/// build on two cores for 882 KB, against ~3 s for 990 KB at quality 9 and
/// ~13 s for 920 KB at 10: every install and update saves the difference.
pub const BROTLI_QUALITY: i32 = 11;
/// A 4 MiB window, Brotli's default: the whole wasm fits in it.
pub const BROTLI_WINDOW_BITS: i32 = 22;
pub const GZIP_LEVEL: u32 = 9;

/// One compressible file of a precompressed dir: its sizes, `None` for a
/// variant that was not written because it saved nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    pub rel: PathBuf,
    pub raw: u64,
    pub gz: Option<u64>,
    pub br: Option<u64>,
}

/// Only the build's own assets (`assets/<build>/…`, whose URL names the
/// build) are precompressed. The few files at fixed URLs (`index.html`,
/// `sw.js`, `boot.js`, the manifest, icons) are what a deployment rewrites in
/// place, and the service worker's update check is a fetch of `sw.js`: a
/// variant left over from an earlier build would be served instead of the
/// new file and hide the update. They are a few kilobytes.
pub const VERSIONED_DIR: &str = "assets";

/// Whether a file of this name and size gets `.br`/`.gz` variants considered.
pub fn worth_compressing(rel: &Path, len: usize) -> bool {
    len >= MIN_BYTES
        && rel.starts_with(VERSIONED_DIR)
        && rel
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether `rel` is the `.br` or `.gz` variant of a file also in `files`.
pub fn is_variant(rel: &Path, files: &[PathBuf]) -> bool {
    let is_encoded = rel.extension().is_some_and(|e| e == "br" || e == "gz");
    is_encoded && files.iter().any(|f| f.as_path() == rel.with_extension(""))
}

pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::new(GZIP_LEVEL),
    );
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("gzip: {e}"))
}

pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW_BITS,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(bytes.len() / 3);
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

/// Writes `FILE.br` and `FILE.gz` next to every file under `dir` that is
/// [`worth_compressing`], each only if smaller than the file (an older variant
/// that no longer saves anything is removed). Returns the compressible files.
pub fn precompress_dir(dir: &Path) -> Result<Vec<Compressed>, String> {
    let files = util::files_under(dir)?;
    let mut out = Vec::new();
    for rel in &files {
        if is_variant(rel, &files) {
            continue;
        }
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !worth_compressing(rel, bytes.len()) {
            // An older variant of it would be served instead of it.
            for ext in ["br", "gz"] {
                remove_variant(&path, ext)?;
            }
            continue;
        }
        // The two encoders side by side: the machine has at least two cores
        // and Brotli on the wasm is the one long step.
        let (br, gz) = std::thread::scope(|s| {
            let gz = s.spawn(|| gzip(&bytes));
            let br = brotli(&bytes);
            let gz = gz.join().unwrap_or_else(|_| Err("gzip panicked".into()));
            (br, gz)
        });
        let br = write_if_smaller(&path, "br", &br?, bytes.len())?;
        let gz = write_if_smaller(&path, "gz", &gz?, bytes.len())?;
        out.push(Compressed {
            rel: rel.clone(),
            raw: bytes.len() as u64,
            gz,
            br,
        });
    }
    Ok(out)
}

fn variant_of(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn write_if_smaller(
    path: &Path,
    ext: &str,
    encoded: &[u8],
    raw: usize,
) -> Result<Option<u64>, String> {
    if encoded.len() < raw {
        let variant = variant_of(path, ext);
        std::fs::write(&variant, encoded).map_err(|e| format!("{}: {e}", variant.display()))?;
        Ok(Some(encoded.len() as u64))
    } else {
        remove_variant(path, ext).map(|()| None)
    }
}

/// Removes `FILE.<ext>` if there is one.
fn remove_variant(path: &Path, ext: &str) -> Result<(), String> {
    let variant = variant_of(path, ext);
    match std::fs::remove_file(&variant) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", variant.display())),
    }
}

/// A table of every file under `dir` (variants aside): raw, gzip and Brotli
/// sizes, and what a first visit downloads without compression and with the
/// best variant of each file.
pub fn table(dir: &Path, compressed: &[Compressed]) -> Result<String, String> {
    let files = util::files_under(dir)?;
    let mut lines = vec![format!(
        "  {:<44} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip -9", "brotli 11"
    )];
    let (mut raw_total, mut gz_total, mut br_total) = (0u64, 0u64, 0u64);
    let cell = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    for rel in &files {
        if is_variant(rel, &files) {
            continue;
        }
        let path = dir.join(rel);
        let raw = std::fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        let entry = compressed.iter().find(|c| &c.rel == rel);
        let gz = entry.and_then(|c| c.gz);
        let br = entry.and_then(|c| c.br);
        raw_total += raw;
        gz_total += gz.unwrap_or(raw);
        br_total += br.or(gz).unwrap_or(raw);
        lines.push(format!(
            "  {:<44} {:>10} {:>10} {:>10}",
            rel.display(),
            raw,
            cell(gz),
            cell(br)
        ));
    }
    lines.push(format!(
        "  {:<44} {:>10} {:>10} {:>10}",
        "total (uncompressed files as they are)", raw_total, gz_total, br_total
    ));
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::TempDir;
    use std::io::Read;

    #[test]
    fn only_text_and_wasm_of_a_kilobyte_or_more() {
        for (name, len, want) in [
            ("assets/b/showroom_bg.wasm", 3_000_000, true),
            ("assets/b/showroom.js", 80_000, true),
            ("assets/b/showroom.css", 1024, true),
            ("assets/b/icon.SVG", 4000, true),
            // Fixed URLs a deployment rewrites in place: never a stale variant.
            ("index.html", 1290, false),
            ("sw.js", 2847, false),
            ("manifest.webmanifest", 1024, false),
            ("icons/icon.svg", 4000, false),
            ("boot.js", 1023, false),
            ("icons/icon-512.png", 9000, false),
            ("fonts/x.woff2", 50_000, false),
            ("assets/b/showroom_bg.wasm.br", 800_000, false),
            ("assets/b/showroom_bg.wasm.gz", 1_200_000, false),
            ("LICENSE", 5000, false),
        ] {
            assert_eq!(worth_compressing(Path::new(name), len), want, "{name}");
        }
    }

    #[test]
    fn variants_are_recognised_only_beside_their_file() {
        let files: Vec<PathBuf> = ["a.js", "a.js.br", "a.js.gz", "data.gz"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert!(is_variant(Path::new("a.js.br"), &files));
        assert!(is_variant(Path::new("a.js.gz"), &files));
        assert!(!is_variant(Path::new("a.js"), &files));
        // A shipped archive with no plain twin is a file of its own.
        assert!(!is_variant(Path::new("data.gz"), &files));
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn unbrotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
        out
    }

    #[test]
    fn writes_smaller_variants_that_decode_to_the_file() {
        let tmp = TempDir::fresh(&std::env::temp_dir(), "xtask-precompress-test").unwrap();
        let d = &tmp.0;
        let text: Vec<u8> = (0..400)
            .flat_map(|i| format!("export const x{i} = {};\n", i % 7).into_bytes())
            .collect();
        // Bytes no encoder can shrink (a linear congruential sequence).
        let mut seed = 0x2545_f491_u32;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 24) as u8
            })
            .collect();
        std::fs::create_dir_all(d.join("assets")).unwrap();
        std::fs::write(d.join("assets/app.js"), &text).unwrap();
        std::fs::write(d.join("assets/noise.wasm"), &noise).unwrap();
        std::fs::write(d.join("assets/noise.wasm.br"), b"stale").unwrap();
        // A fixed-URL file left with a variant by an older build: removed.
        std::fs::write(d.join("sw.js"), &text).unwrap();
        std::fs::write(d.join("sw.js.br"), b"stale").unwrap();
        std::fs::write(d.join("small.css"), b"body{margin:0}").unwrap();
        std::fs::write(d.join("icon.png"), &text).unwrap();

        let done = precompress_dir(d).unwrap();

        let br = std::fs::read(d.join("assets/app.js.br")).unwrap();
        let gz = std::fs::read(d.join("assets/app.js.gz")).unwrap();
        assert_eq!(unbrotli(&br), text);
        assert_eq!(gunzip(&gz), text);
        assert!(br.len() < gz.len() && gz.len() < text.len() / 4);
        // The incompressible file keeps no variant, not even an older one.
        assert!(!d.join("assets/noise.wasm.br").exists());
        assert!(!d.join("assets/noise.wasm.gz").exists());
        for skipped in [
            "small.css.br",
            "small.css.gz",
            "icon.png.br",
            "icon.png.gz",
            "sw.js.br",
            "sw.js.gz",
        ] {
            assert!(!d.join(skipped).exists(), "{skipped}");
        }
        assert_eq!(
            done,
            vec![
                Compressed {
                    rel: "assets/app.js".into(),
                    raw: text.len() as u64,
                    gz: Some(gz.len() as u64),
                    br: Some(br.len() as u64),
                },
                Compressed {
                    rel: "assets/noise.wasm".into(),
                    raw: 4096,
                    gz: None,
                    br: None,
                },
            ]
        );

        // Again on the same dir: the variants are not compressed in turn, and
        // the bytes are the same (deterministic encoders).
        assert_eq!(precompress_dir(d).unwrap(), done);
        assert_eq!(std::fs::read(d.join("assets/app.js.br")).unwrap(), br);
        assert_eq!(std::fs::read(d.join("assets/app.js.gz")).unwrap(), gz);
        assert!(!d.join("assets/app.js.br.gz").exists());
    }
}
