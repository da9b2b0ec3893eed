//! The HTTP shell: the PWA's files and their caching, and errors in one shape.

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use showroom_shared::api::paths;

use crate::support::{Backend, Reply, TestApp, both_backends};

async fn app_routes_get_the_shell_and_files_keep_their_cache_policy(app: TestApp) {
    let route = app.call(Method::GET, "/team", None, None).await;
    assert_eq!(route.status, StatusCode::OK);
    assert!(route.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(route.header(header::CACHE_CONTROL), "no-cache");
    assert!(String::from_utf8_lossy(&route.bytes).contains("<title>Showroom</title>"));

    let index = app.call(Method::GET, "/", None, None).await;
    assert_eq!(
        (index.status, index.header(header::CACHE_CONTROL)),
        (StatusCode::OK, "no-cache".to_owned())
    );

    let sw = app.call(Method::GET, "/sw.js", None, None).await;
    assert_eq!(
        (sw.status, sw.header(header::CACHE_CONTROL)),
        (StatusCode::OK, "no-cache".to_owned())
    );

    let asset = app
        .call(Method::GET, "/assets/b1/showroom.js", None, None)
        .await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(
        asset.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );

    let manifest = app
        .call(Method::GET, "/manifest.webmanifest", None, None)
        .await;
    assert_eq!(
        manifest.header(header::CACHE_CONTROL),
        "public, max-age=3600"
    );
}

async fn a_missing_file_is_a_json_404_never_the_shell(app: TestApp) {
    for path in [
        "/assets/b1/gone.js",
        "/assets/old-build/showroom_bg.wasm",
        "/icons/missing.png",
    ] {
        let reply = app.call(Method::GET, path, None, None).await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
}

async fn api_errors_are_json_with_a_stable_code(app: TestApp) {
    let unknown = app
        .call(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let method = app
        .call(Method::PUT, paths::LOGIN, None, Some(json!({})))
        .await;
    assert_eq!(
        (method.status, method.code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let post_to_page = app.call(Method::POST, "/team", None, None).await;
    assert_eq!(post_to_page.code(), "method_not_allowed");
    assert_eq!(unknown.header(header::CACHE_CONTROL), "no-store");
}

both_backends!(
    app_routes_get_the_shell_and_files_keep_their_cache_policy,
    a_missing_file_is_a_json_404_never_the_shell,
    api_errors_are_json_with_a_stable_code,
);

// The precompressed files the build writes beside each compressible one
// (`cargo xtask build`, xtask/src/precompress.rs). Files are the same on both
// backends, so these run on SQLite only.

/// Bytes that look enough like a wasm module: a header, then repetitive code.
fn fake_wasm() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..3000u32 {
        bytes.extend_from_slice(&[0x20, (i % 5) as u8, 0x41, (i % 251) as u8, 0x6a, 0x0b]);
    }
    bytes
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// The body as the browser sees it, decoded by its `Content-Encoding`.
fn decoded(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    match reply.header(header::CONTENT_ENCODING).as_str() {
        "br" => {
            brotli::BrotliDecompress(&mut &reply.bytes[..], &mut out).expect("valid brotli");
        }
        "gzip" => {
            flate2::read::GzDecoder::new(&reply.bytes[..])
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        "" => out.clone_from(&reply.bytes),
        other => panic!("unexpected content-encoding {other}"),
    }
    out
}

/// Writes `rel` into the app's static dir with its `.br` and `.gz` variants.
fn put_precompressed(app: &TestApp, rel: &str, bytes: &[u8]) {
    let path = app.dir().join("static").join(rel);
    std::fs::write(&path, bytes).expect("static file");
    std::fs::write(format!("{}.br", path.display()), brotli(bytes)).expect("br file");
    std::fs::write(format!("{}.gz", path.display()), gzip(bytes)).expect("gz file");
}

async fn get_accepting(app: &TestApp, path: &str, accept: Option<&str>) -> Reply {
    let mut req = Request::builder().method(Method::GET).uri(path);
    if let Some(accept) = accept {
        req = req.header(header::ACCEPT_ENCODING, accept);
    }
    app.send(req.body(Body::empty()).expect("request builds"))
        .await
}

fn varies_on_accept_encoding(reply: &Reply) -> bool {
    reply
        .headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
}

#[tokio::test]
async fn the_wasm_goes_out_in_the_best_encoding_the_browser_accepts() {
    let app = TestApp::empty(Backend::Sqlite).await;
    let wasm = fake_wasm();
    put_precompressed(&app, "assets/b1/showroom_bg.wasm", &wasm);
    let path = "/assets/b1/showroom_bg.wasm";

    for (accept, encoding) in [
        (Some("br, gzip"), "br"),
        (Some("gzip, deflate, br, zstd"), "br"),
        (Some("gzip"), "gzip"),
        (Some("deflate"), ""),
        (None, ""),
    ] {
        let reply = get_accepting(&app, path, accept).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept:?}");
        assert_eq!(
            reply.header(header::CONTENT_ENCODING),
            encoding,
            "{accept:?}"
        );
        assert_eq!(decoded(&reply), wasm, "{accept:?}");
        if !encoding.is_empty() {
            assert!(reply.bytes.len() < wasm.len() / 4, "{accept:?}");
        }
        // The original's type, so that the browser compiles it as it streams in.
        assert_eq!(reply.header(header::CONTENT_TYPE), "application/wasm");
        assert!(
            varies_on_accept_encoding(&reply),
            "{accept:?}: {:?}",
            reply.headers
        );
        assert_eq!(
            reply.header(header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            reply.header(header::CONTENT_LENGTH),
            reply.bytes.len().to_string()
        );
    }

    // A revalidation says what the answer it confirms varies on, too.
    let first = get_accepting(&app, path, Some("br")).await;
    let revalidated = app
        .send(
            Request::builder()
                .uri(path)
                .header(header::ACCEPT_ENCODING, "br")
                .header(
                    header::IF_MODIFIED_SINCE,
                    first.header(header::LAST_MODIFIED),
                )
                .body(Body::empty())
                .expect("request builds"),
        )
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(varies_on_accept_encoding(&revalidated));
}

#[tokio::test]
async fn the_shell_is_compressed_on_every_route_and_small_files_go_as_they_are() {
    let app = TestApp::empty(Backend::Sqlite).await;
    let index = format!(
        "<!doctype html><title>Showroom</title>{}",
        "<link rel=\"modulepreload\" href=\"/assets/b1/showroom.js\">".repeat(40)
    );
    put_precompressed(&app, "index.html", index.as_bytes());

    for (path, accept, encoding) in [
        ("/", "br, gzip", "br"),
        ("/", "gzip", "gzip"),
        ("/team", "br, gzip", "br"),
        ("/leads/42", "gzip", "gzip"),
        ("/leads/42", "identity", ""),
    ] {
        let reply = get_accepting(&app, path, Some(accept)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path} {accept}");
        assert_eq!(
            reply.header(header::CONTENT_ENCODING),
            encoding,
            "{path} {accept}"
        );
        assert_eq!(decoded(&reply), index.as_bytes(), "{path} {accept}");
        assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(reply.header(header::CACHE_CONTROL), "no-cache");
        assert!(varies_on_accept_encoding(&reply), "{path} {accept}");
    }

    // A file the build did not compress (too small to gain) is sent as it is.
    let js = get_accepting(&app, "/assets/b1/showroom.js", Some("br, gzip")).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(js.header(header::CONTENT_ENCODING), "");
    assert_eq!(js.bytes, b"export default 1;");
    assert!(js.header(header::CONTENT_TYPE).contains("javascript"));
}
