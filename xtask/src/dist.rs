//! Building the PWA into `dist/`:
//!
//! ```text
//! dist/index.html, dist/sw.js, ... (every file of public/, with __BUILD__ and
//!                                   __PRECACHE__ filled in index.html and sw.js)
//! dist/assets/<BUILD>/showroom.js, showroom_bg.wasm, showroom.css (+ snippets/ if any)
//! dist/**/FILE.br, FILE.gz          (Brotli and gzip of each compressible file, made
//!                                   last: `precompress`)
//! ```
//!
//! BUILD is 16 hex digits of an FNV-1a 64 hash over everything that ships (the
//! wasm-bindgen output, `style/showroom.css` and `public/`), so that any change to
//! any shipped file changes `sw.js` and the installed service worker updates. The
//! `.br`/`.gz` variants follow from the files by deterministic encoders, so they
//! need not enter the hash; they are not in the precache list either (the browser
//! asks for the plain URL, the server picks the encoding).

use std::path::{Path, PathBuf};

use crate::precompress::{self, Compressed};
use crate::util::{self, Ctx, step};

pub struct DistInfo {
    pub dist: PathBuf,
    pub build: String,
    /// The compressible files and the sizes of their variants.
    pub compressed: Vec<Compressed>,
}

/// FNV-1a, 64 bits.
#[derive(Clone, Copy)]
pub struct Fnv1a64(u64);

impl Fnv1a64 {
    pub fn new() -> Self {
        Fnv1a64(0xcbf2_9ce4_8422_2325)
    }
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// The build id of a list of `(name, contents)`: name, length and bytes of each, so
/// that moving bytes from one file to the next changes the id.
pub fn build_id<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut h = Fnv1a64::new();
    for (name, bytes) in files {
        h.write(name.as_bytes());
        h.write(&[0]);
        h.write(&(bytes.len() as u64).to_le_bytes());
        h.write(bytes);
    }
    format!("{:016x}", h.finish())
}

/// A relative file path as the URL path the server serves it at: `/` + the path with
/// `/` separators, bytes outside the unreserved set percent-encoded.
pub fn url_path(rel: &Path) -> String {
    let mut out = String::new();
    for part in rel.components() {
        out.push('/');
        for &b in part.as_os_str().as_encoded_bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The service worker's precache list: the URL path of every file in dist except
/// `sw.js` itself and the `.br`/`.gz` variants of other files; `/index.html` first,
/// then the rest in path order.
pub fn precache_list(dist_files: &[PathBuf]) -> Vec<String> {
    let mut urls: Vec<String> = dist_files
        .iter()
        .filter(|rel| rel.as_path() != Path::new("sw.js"))
        .filter(|rel| !precompress::is_variant(rel, dist_files))
        .map(|rel| url_path(rel))
        .collect();
    urls.sort();
    if let Some(i) = urls.iter().position(|u| u == "/index.html") {
        let index = urls.remove(i);
        urls.insert(0, index);
    }
    urls
}

pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn json_array(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| json_string(s)).collect();
    format!("[{}]", parts.join(","))
}

/// Builds the wasm, runs wasm-bindgen and assembles a fresh `dist/`.
/// Expects the wasm tools to be there (`tools::ensure_wasm_tools`).
pub fn build_pwa(ctx: &Ctx) -> Result<DistInfo, String> {
    let mut cargo = ctx.cargo();
    cargo.args([
        "build",
        "-p",
        "showroom-app",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]);
    util::run_checked(&mut cargo)?;
    let wasm = ctx
        .target_dir
        .join("wasm32-unknown-unknown")
        .join("wasm-release")
        .join("showroom-app.wasm");
    if !wasm.is_file() {
        return Err(format!("the build did not produce {}", wasm.display()));
    }

    let bindgen_out = ctx.target_dir.join("xtask").join("wasm-bindgen");
    if bindgen_out.exists() {
        std::fs::remove_dir_all(&bindgen_out)
            .map_err(|e| format!("{}: {e}", bindgen_out.display()))?;
    }
    // The `name` section (function names, ~1.2 MB of a ~3.4 MB wasm) and the
    // `producers` section (toolchain versions) are not needed to run the app.
    // Without the names a panic still shows its message and location in the
    // console (console_error_panic_hook), but the wasm frames of its stack
    // trace show as `wasm-function[1234]` instead of Rust function names; to
    // read those, build locally without these two flags.
    let mut bindgen = ctx.cmd("wasm-bindgen");
    bindgen
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--remove-name-section",
            "--remove-producers-section",
            "--out-name",
            "showroom",
            "--out-dir",
        ])
        .arg(&bindgen_out)
        .arg(&wasm);
    util::run_checked(&mut bindgen)?;

    let dist = ctx.root.join("dist");
    let info = assemble(
        &bindgen_out,
        &ctx.root.join("style").join("showroom.css"),
        &ctx.root.join("public"),
        &dist,
    )?;
    println!(
        "PWA built: {} (BUILD {}), bytes per file:\n{}",
        dist.display(),
        info.build,
        precompress::table(&dist, &info.compressed)?
    );
    Ok(info)
}

/// Assembles `dist` (deleted first) from the wasm-bindgen output dir, the stylesheet
/// and `public/`. Separate from `build_pwa` so that it is testable without a build.
pub fn assemble(
    bindgen_out: &Path,
    css: &Path,
    public: &Path,
    dist: &Path,
) -> Result<DistInfo, String> {
    step(&format!("assembling {}", dist.display()));
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));

    for needed in ["showroom.js", "showroom_bg.wasm"] {
        if !bindgen_out.join(needed).is_file() {
            return Err(format!(
                "{} is missing from the wasm-bindgen output",
                needed
            ));
        }
    }
    if !css.is_file() {
        return Err(format!(
            "{} is missing (the PWA's stylesheet, copied to assets/<BUILD>/showroom.css)",
            css.display()
        ));
    }
    let public_files = if public.is_dir() {
        util::files_under(public)?
    } else {
        Vec::new()
    };
    if !public_files.iter().any(|f| f == Path::new("index.html")) {
        println!(
            "warning: {} has no index.html: the server will have no page to serve",
            public.display()
        );
    }

    // The build id over everything that ships, in a fixed order.
    let bindgen_files = util::files_under(bindgen_out)?;
    let mut hashed: Vec<(String, Vec<u8>)> = Vec::new();
    for rel in &bindgen_files {
        hashed.push((
            format!("assets/{}", rel.display()),
            read(&bindgen_out.join(rel))?,
        ));
    }
    hashed.push(("assets/showroom.css".into(), read(css)?));
    for rel in &public_files {
        hashed.push((
            format!("public/{}", rel.display()),
            read(&public.join(rel))?,
        ));
    }
    let build = build_id(hashed.iter().map(|(n, b)| (n.as_str(), b.as_slice())));

    if dist.exists() {
        std::fs::remove_dir_all(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    }
    let assets = dist.join("assets").join(&build);
    std::fs::create_dir_all(&assets).map_err(|e| format!("{}: {e}", assets.display()))?;
    util::copy_tree(bindgen_out, &assets)?;
    std::fs::copy(css, assets.join("showroom.css"))
        .map_err(|e| format!("copy {}: {e}", css.display()))?;
    if public.is_dir() {
        util::copy_tree(public, dist)?;
    }

    // Fill the placeholders; the precache list is taken after every file is in place.
    let index = dist.join("index.html");
    if index.is_file() {
        let text =
            std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
        std::fs::write(&index, text.replace("__BUILD__", &build))
            .map_err(|e| format!("{}: {e}", index.display()))?;
    }
    let sw = dist.join("sw.js");
    if sw.is_file() {
        let precache = precache_list(&util::files_under(dist)?);
        let text = std::fs::read_to_string(&sw).map_err(|e| format!("{}: {e}", sw.display()))?;
        let text = text
            .replace("__BUILD__", &build)
            .replace("__PRECACHE__", &json_array(&precache));
        std::fs::write(&sw, text).map_err(|e| format!("{}: {e}", sw.display()))?;
    } else if public.is_dir() {
        println!(
            "warning: {} has no sw.js: the PWA will not work offline",
            public.display()
        );
    }

    // Last, so that the variants hold the filled-in index.html and sw.js.
    step("precompressing (Brotli 11, gzip -9)");
    let started = std::time::Instant::now();
    let compressed = precompress::precompress_dir(dist)?;
    println!(
        "  {} files precompressed in {:.1} s",
        compressed.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(DistInfo {
        dist: dist.to_path_buf(),
        build,
        compressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::TempDir;

    #[test]
    fn fnv1a64_reference_values() {
        // Published FNV-1a 64 test vectors.
        for (input, want) in [
            ("", 0xcbf29ce484222325u64),
            ("a", 0xaf63dc4c8601ec8c),
            ("foobar", 0x85944171f73967e8),
        ] {
            let mut h = Fnv1a64::new();
            h.write(input.as_bytes());
            assert_eq!(h.finish(), want, "{input:?}");
        }
    }

    #[test]
    fn build_id_is_stable_and_sensitive() {
        let a = build_id([("a.js", &b"1"[..]), ("b.wasm", &b"23"[..])]);
        assert_eq!(a.len(), 16);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        // Same input, same id (this value must never change between runs or machines).
        assert_eq!(a, build_id([("a.js", &b"1"[..]), ("b.wasm", &b"23"[..])]));
        assert_eq!(a, "668765f90c49773e");
        // A changed byte, a moved byte or a renamed file changes it.
        assert_ne!(a, build_id([("a.js", &b"1"[..]), ("b.wasm", &b"24"[..])]));
        assert_ne!(a, build_id([("a.js", &b"12"[..]), ("b.wasm", &b"3"[..])]));
        assert_ne!(a, build_id([("a.js", &b"1"[..]), ("c.wasm", &b"23"[..])]));
    }

    #[test]
    fn precache_list_puts_index_first_and_leaves_out_the_worker() {
        let files: Vec<PathBuf> = [
            "assets/0123456789abcdef/showroom.js",
            "assets/0123456789abcdef/showroom_bg.wasm",
            "icons/icon-192.png",
            "index.html",
            "manifest.webmanifest",
            "sw.js",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(
            precache_list(&files),
            vec![
                "/index.html",
                "/assets/0123456789abcdef/showroom.js",
                "/assets/0123456789abcdef/showroom_bg.wasm",
                "/icons/icon-192.png",
                "/manifest.webmanifest",
            ]
        );
        assert!(precache_list(&[PathBuf::from("sw.js")]).is_empty());
    }

    #[test]
    fn precache_list_leaves_out_the_precompressed_variants() {
        let files: Vec<PathBuf> = [
            "assets/b/showroom_bg.wasm",
            "assets/b/showroom_bg.wasm.br",
            "assets/b/showroom_bg.wasm.gz",
            "data/export.gz",
            "index.html",
            "index.html.br",
            "index.html.gz",
            "sw.js",
            "sw.js.br",
            "sw.js.gz",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(
            precache_list(&files),
            vec![
                "/index.html",
                "/assets/b/showroom_bg.wasm",
                // A shipped .gz with no plain twin is a file like any other.
                "/data/export.gz",
            ]
        );
    }

    #[test]
    fn url_paths_are_percent_encoded() {
        assert_eq!(
            url_path(Path::new("icons/icon 192.png")),
            "/icons/icon%20192.png"
        );
        assert_eq!(url_path(Path::new("a/b\"c#d")), "/a/b%22c%23d");
        assert_eq!(
            url_path(Path::new("fonts/中.woff2")),
            "/fonts/%E4%B8%AD.woff2"
        );
    }

    #[test]
    fn json_array_escapes() {
        assert_eq!(
            json_array(&["/a".into(), "/b\"\\".into()]),
            r#"["/a","/b\"\\"]"#
        );
        assert_eq!(json_array(&[]), "[]");
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn assemble_builds_a_fresh_dist() {
        let tmp = TempDir::fresh(&std::env::temp_dir(), "xtask-dist-test").unwrap();
        let t = &tmp.0;
        write(
            &t.join("bg/showroom.js"),
            "import './snippets/x/inline0.js';",
        );
        // Big enough (and repetitive enough) to be precompressed.
        let wasm = format!("\0asm{}", "\x01\x02\x03 function body ".repeat(200));
        write(&t.join("bg/showroom_bg.wasm"), &wasm);
        write(&t.join("bg/snippets/x/inline0.js"), "export {}");
        write(&t.join("style/showroom.css"), "body{}");
        write(
            &t.join("public/index.html"),
            r#"<script type="module">import init from '/assets/__BUILD__/showroom.js'</script>"#,
        );
        write(
            &t.join("public/sw.js"),
            "const BUILD = '__BUILD__';\nconst PRECACHE = __PRECACHE__;\n",
        );
        write(&t.join("public/icons/icon-192.png"), "png");
        write(&t.join("public/.gitkeep"), "");
        // A stale file from an earlier build must disappear.
        write(&t.join("dist/assets/old/showroom.js"), "old");

        let info = assemble(
            &t.join("bg"),
            &t.join("style/showroom.css"),
            &t.join("public"),
            &t.join("dist"),
        )
        .unwrap();
        let b = &info.build;
        let dist = &t.join("dist");
        let read = |p: &str| std::fs::read_to_string(dist.join(p)).unwrap();
        assert_eq!(
            read("index.html"),
            format!(r#"<script type="module">import init from '/assets/{b}/showroom.js'</script>"#)
        );
        assert_eq!(
            read("sw.js"),
            format!(
                "const BUILD = '{b}';\nconst PRECACHE = [\"/index.html\",\"/assets/{b}/showroom.css\",\"/assets/{b}/showroom.js\",\"/assets/{b}/showroom_bg.wasm\",\"/assets/{b}/snippets/x/inline0.js\",\"/icons/icon-192.png\"];\n"
            )
        );
        assert_eq!(read(&format!("assets/{b}/showroom.css")), "body{}");
        assert_eq!(
            read(&format!("assets/{b}/snippets/x/inline0.js")),
            "export {}"
        );
        assert!(!dist.join("assets/old").exists());
        assert!(!dist.join(".gitkeep").exists());

        // The wasm has its variants, decoding to it, and the precache list above
        // names none of them; the small files have none.
        let wasm_path = format!("assets/{b}/showroom_bg.wasm");
        let br = std::fs::read(dist.join(format!("{wasm_path}.br"))).unwrap();
        let mut unbr = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut unbr).unwrap();
        assert_eq!(unbr, wasm.as_bytes());
        let gz = std::fs::read(dist.join(format!("{wasm_path}.gz"))).unwrap();
        let mut ungz = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut ungz).unwrap();
        assert_eq!(ungz, wasm.as_bytes());
        assert_eq!(
            info.compressed
                .iter()
                .map(|c| c.rel.to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
            vec![wasm_path]
        );
        assert!(!dist.join("sw.js.br").exists() && !dist.join("index.html.gz").exists());

        // Same inputs, same BUILD; a changed public file, a new BUILD.
        let again = assemble(
            &t.join("bg"),
            &t.join("style/showroom.css"),
            &t.join("public"),
            &t.join("dist"),
        )
        .unwrap();
        assert_eq!(&again.build, b);
        write(&t.join("public/icons/icon-192.png"), "png2");
        let changed = assemble(
            &t.join("bg"),
            &t.join("style/showroom.css"),
            &t.join("public"),
            &t.join("dist"),
        )
        .unwrap();
        assert_ne!(&changed.build, b);
    }

    #[test]
    fn assemble_refuses_without_the_stylesheet() {
        let tmp = TempDir::fresh(&std::env::temp_dir(), "xtask-dist-test-nocss").unwrap();
        let t = &tmp.0;
        write(&t.join("bg/showroom.js"), "");
        write(&t.join("bg/showroom_bg.wasm"), "");
        let err = assemble(
            &t.join("bg"),
            &t.join("style/showroom.css"),
            &t.join("public"),
            &t.join("dist"),
        )
        .err()
        .unwrap();
        assert!(err.contains("showroom.css"), "{err}");
        assert!(!t.join("dist").exists());
    }
}
