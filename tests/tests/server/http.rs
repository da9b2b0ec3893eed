//! The HTTP shell: the PWA's files and their caching, and errors in one shape.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use showroom_shared::api::paths;

use crate::support::{TestApp, both_backends};

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
