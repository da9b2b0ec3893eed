//! Serves the built PWA: files from the static dir, `index.html` for any
//! other path (the app routes on the client), and cache headers that let a
//! new deployment reach every device.

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Files under `/assets/<build>/` are named by content, so they never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The shell and the service worker must be revalidated on every load, or
/// devices would keep an old version forever.
const REVALIDATE: &str = "no-cache";
/// Icons and the manifest may change between deployments but rarely.
const SHORT: &str = "public, max-age=3600";

/// The static files, falling back to the app shell for client-side routes.
pub fn service(
    static_dir: &Path,
) -> ServeDir<
    impl tower::Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + use<>,
> {
    let index = static_dir.join("index.html");
    let fallback = move |req: Request| spa_fallback(index.clone(), req);
    ServeDir::new(static_dir)
        .append_index_html_on_directories(true)
        .fallback(fallback.into_service())
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
    match ServeFile::new(index).oneshot(req).await {
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
