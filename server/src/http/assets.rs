//! Serves the built PWA: files from the static dir, `index.html` for any
//! other path (the app routes on the client), and cache headers that let a
//! new deployment reach every device.
//!
//! The build writes `FILE.br` and `FILE.gz` beside each compressible file
//! (`cargo xtask build`, xtask/src/precompress.rs); a request for `FILE` gets
//! the Brotli or gzip bytes when its `Accept-Encoding` allows, with the
//! `Content-Type` of `FILE` (`application/wasm` for the wasm, so the browser
//! still compiles it while it streams in) and `Content-Encoding` set. Nothing is
//! compressed per request. Every file response says `Vary: Accept-Encoding`,
//! so that no cache between hands a Brotli body to a browser that did not ask.

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, ServiceExt};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

/// Files under `/assets/<build>/` are named by content, so they never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The shell and the service worker must be revalidated on every load, or
/// devices would keep an old version forever.
const REVALIDATE: &str = "no-cache";
/// Icons and the manifest may change between deployments but rarely.
const SHORT: &str = "public, max-age=3600";

/// The static files, falling back to the app shell for client-side routes;
/// each in the best of Brotli, gzip and identity that the request accepts.
pub fn service(
    static_dir: &Path,
) -> SetResponseHeader<
    ServeDir<
        impl tower::Service<Request, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + use<>,
    >,
    HeaderValue,
> {
    let index = static_dir.join("index.html");
    let fallback = move |req: Request| spa_fallback(index.clone(), req);
    let files = ServeDir::new(static_dir)
        .append_index_html_on_directories(true)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(fallback.into_service());
    // On every answer, 304s included: the bytes of a file depend on the
    // request's Accept-Encoding (neither ServeDir nor ServeFile says so).
    SetResponseHeaderLayer::if_not_present(
        header::VARY,
        HeaderValue::from_static("accept-encoding"),
    )
    .layer(files)
}

/// `index.html` for paths that look like app routes (`/leads/42`); a 404 for
/// paths that look like files (`/assets/x.js`, `/icon.png`), because a script
/// or image request must never receive HTML.
async fn spa_fallback(index: PathBuf, req: Request) -> Response {
    let path = req.uri().path();
    let looks_like_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    if looks_like_file || path.starts_with("/assets/") || path.starts_with("/api/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let shell = ServeFile::new(index)
        .precompressed_br()
        .precompressed_gzip();
    match shell.oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

pub async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    if path.starts_with("/api/") || path == "/healthz" {
        if !response.headers().contains_key(header::CACHE_CONTROL) {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        return response;
    }
    if !response.status().is_success() {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if path.starts_with("/assets/") && !is_html {
        IMMUTABLE
    } else if is_html || path == "/sw.js" {
        REVALIDATE
    } else {
        SHORT
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}
