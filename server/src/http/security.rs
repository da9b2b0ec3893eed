//! The web security baseline every response carries (OWASP ASVS 5.0 level 2,
//! chapter 3): a strict Content-Security-Policy the app runs under, no MIME
//! sniffing, no referrer, no framing, HSTS over HTTPS, and a Permissions-
//! Policy that allows nothing (the app uses no camera, location or the like).
//! With TLS on, plain HTTP from another machine is redirected to HTTPS.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use showroom_shared::api::paths;

use crate::state::AppState;
use crate::tls::Peer;

/// Scripts only from the app's own files (wasm compiled by the browser, no
/// inline script, no eval); styles only from its stylesheet (Leptos sets
/// styles through the CSSOM, which CSP allows); images also as `data:` (the
/// dealer's logo, signatures) and `blob:`; network only to this origin (the
/// API and the sync WebSocket). Violations are reported to the server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
     worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'; report-uri /api/v1/csp-report";

/// Powerful features the app never uses, switched off for it and anything it
/// might embed.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), \
     payment=(), usb=(), serial=(), hid=(), midi=(), display-capture=(), fullscreen=()";

/// One year; browsers ignore HSTS for IP addresses and over plain HTTP.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// How a request reached the server: over TLS (here or at a trusted proxy
/// that said so), and whether from this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transport {
    pub https: bool,
    pub loopback: bool,
}

/// The transport of `req`: its connection's [`Peer`], or — when the peer is a
/// configured trusted proxy — the proxy's `X-Forwarded-Proto`. In-process
/// callers (tests) have no peer: plain, loopback.
pub fn transport(state: &AppState, req: &Request) -> Transport {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<Peer>>().copied() else {
        return Transport {
            https: false,
            loopback: true,
        };
    };
    if state.trusted_proxies.contains(&peer.addr.ip()) {
        let forwarded_https = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        return Transport {
            https: forwarded_https || peer.tls,
            // The proxy's own clients are other machines.
            loopback: false,
        };
    }
    Transport {
        https: peer.tls,
        loopback: peer.addr.ip().is_loopback(),
    }
}

/// Adds the headers to every response, and with TLS on answers plain HTTP
/// from another machine with a redirect to the same URL over HTTPS (except
/// the local CA's certificate, which a tablet fetches before it trusts it).
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let transport = transport(&state, &req);
    let redirect = state.tls_enabled
        && !transport.https
        && !transport.loopback
        && req.uri().path() != paths::CA_CERT;
    let mut response = if redirect {
        https_redirect(&req).unwrap_or_else(|| {
            (
                StatusCode::BAD_REQUEST,
                "Use https:// to reach this server.",
            )
                .into_response()
        })
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ] {
        h.insert(name, value);
    }
    if transport.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// `308` to `https://<host><path>`: the method and body are kept.
fn https_redirect(req: &Request) -> Option<Response> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.len() <= 255)?;
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let target: Uri = format!("https://{host}{path}").parse().ok()?;
    let location = HeaderValue::from_str(&target.to_string()).ok()?;
    Some(
        (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
    )
}

/// The client address a request is counted by (the login throttle): the TCP
/// peer, or behind a configured trusted proxy the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy. The header is never
/// read from anyone else, so a client cannot choose its own address.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<Peer>>().copied() else {
            return Ok(ClientIp(None));
        };
        let peer_ip = peer.addr.ip();
        if !state.trusted_proxies.contains(&peer_ip) {
            return Ok(ClientIp(Some(peer_ip)));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .collect::<Vec<_>>();
        let client = forwarded
            .into_iter()
            .rev()
            .find(|ip| !state.trusted_proxies.contains(ip))
            .unwrap_or(peer_ip);
        Ok(ClientIp(Some(client)))
    }
}

/// `GET /showroom-ca.crt`: the local certificate authority's certificate
/// (public; never its key), for a tablet to install and trust. Served over
/// plain HTTP too — compare its fingerprint with the one `tls init` printed.
pub async fn ca_cert(State(state): State<AppState>) -> Response {
    let Some(path) = state.tls_ca.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            "No local certificate authority here.",
        )
            .into_response();
    };
    match tokio::fs::read(path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/x-x509-ca-cert"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"showroom-ca.crt\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(%err, path = %path.display(), "cannot read the CA certificate");
            (
                StatusCode::NOT_FOUND,
                "No local certificate authority here.",
            )
                .into_response()
        }
    }
}

/// Longest report read; browsers send a few hundred bytes.
const CSP_REPORT_BYTES: usize = 8 * 1024;

/// `POST /api/v1/csp-report`: logs a browser's report of something the
/// Content-Security-Policy blocked (an injected script, a stray inline
/// style): a warning an operator sees, and the end-to-end suite fails on.
pub async fn csp_report(body: axum::body::Bytes) -> StatusCode {
    let text = String::from_utf8_lossy(&body[..body.len().min(CSP_REPORT_BYTES)]);
    tracing::warn!(report = %text, "csp violation");
    StatusCode::NO_CONTENT
}
