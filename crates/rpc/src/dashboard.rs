//! The dashboard (SPEC §11, `docs/dashboard.md`): one page at `/` and its assets under
//! `/dashboard/`, compiled into the binary so that every node serves it with no files to
//! install and no network access at run time. The page reads only the public API.
//!
//! Caching: `index.html` is always revalidated (`no-cache`), and it names its assets under a
//! path that carries a hash of every asset (`/dashboard/<hash>/app.js`). Those paths never
//! change content, so they are cached for a year as `immutable`; a new binary with different
//! assets has a different hash, so a browser never mixes old and new modules. The same assets
//! are also served without the hash (revalidated each time) for anyone linking to them
//! directly. Every answer carries an `ETag`, and a matching `If-None-Match` gets a 304.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// One embedded file.
struct Asset {
    /// Its name under `/dashboard/`.
    name: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    body: &'static [u8],
}

/// Every asset the page loads. `index.html` is not among them: it is served at `/` with the
/// asset hash filled in.
const ASSETS: [Asset; 8] = [
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../dashboard/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../dashboard/api.js"),
    },
    Asset {
        name: "ring.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../dashboard/ring.js"),
    },
    Asset {
        name: "charts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../dashboard/charts.js"),
    },
    Asset {
        name: "resources.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../dashboard/resources.js"),
    },
    Asset {
        name: "util.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../dashboard/util.js"),
    },
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../dashboard/style.css"),
    },
    Asset { name: "favicon.svg", content_type: "image/svg+xml", body: include_bytes!("../dashboard/favicon.svg") },
];

/// The page, with `{{V}}` standing for the asset hash.
const INDEX: &str = include_str!("../dashboard/index.html");

/// Revalidate every time (the page itself, and assets named without the hash).
const NO_CACHE: &str = "no-cache";
/// Assets named by their hash never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What the page may load: only this node (scripts, styles, images, API calls and the stream).
/// Inline scripts and styles are not used, so none are allowed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The hash of all assets (12 hex digits), computed once.
fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut all = Vec::new();
        for a in &ASSETS {
            all.extend_from_slice(a.name.as_bytes());
            all.push(0);
            all.extend_from_slice(a.body);
        }
        all.extend_from_slice(INDEX.as_bytes());
        civitas_protocol::sha256(&all).to_string()[..12].to_string()
    })
}

/// The page with the asset hash filled in, built once.
fn index_html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| INDEX.replace("{{V}}", version()))
}

/// A strong validator for a body: a hash of the bytes, so it changes exactly when they do.
fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &civitas_protocol::sha256(body).to_string()[..16])
}

/// A 200 (or 304 when the client holds the same bytes) with the given type and caching.
fn serve(headers: &HeaderMap, body: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    let tag = etag(body);
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut r = if not_modified { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    r
}

/// `/` (and `/dashboard/`): the page.
pub(crate) async fn index(headers: HeaderMap) -> Response {
    serve(&headers, index_html().as_bytes(), "text/html; charset=utf-8", NO_CACHE)
}

/// `/dashboard/{*path}`: an asset, as `<hash>/<name>` (cached for good when the hash is the
/// current one) or `<name>`. An unknown name is the API's usual 404.
pub(crate) async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let (versioned, name) = match path.split_once('/') {
        Some((v, name)) => (v == version(), name),
        None => (false, path.as_str()),
    };
    match ASSETS.iter().find(|a| a.name == name) {
        // A page from an older binary asks for its hash; it gets today's bytes, revalidated.
        Some(a) => serve(&headers, a.body, a.content_type, if versioned { IMMUTABLE } else { NO_CACHE }),
        None => ApiError::not_found(&format!("/dashboard/{path}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_script_and_style_by_hash() {
        let page = index_html();
        assert!(!page.contains("{{V}}"));
        for name in ["app.js", "style.css", "favicon.svg"] {
            assert!(page.contains(&format!("/dashboard/{}/{name}", version())), "{name} in the page");
        }
        assert_eq!(version().len(), 12);
    }

    #[test]
    fn etags_follow_the_bytes() {
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_ne!(etag(b"a"), etag(b"b"));
        assert!(etag(b"a").starts_with('"') && etag(b"a").ends_with('"'));
    }
}
