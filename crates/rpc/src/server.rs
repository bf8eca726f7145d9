//! The router: routes, body reading, limits, timeouts, panics and CORS.

use std::future::Future;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use axum::Router;
use civitas_consensus::{Consensus, Params as SlotParams};
use civitas_protocol::{Checksum256, Symbol};
use http_body_util::BodyExt;
use serde_json::Value;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::abis::AbiCache;
use crate::error::{ApiError, ApiResult};
use crate::json::{json_response, parse_body, response};
use crate::serve::Refused;
use crate::{
    accounts, authorizers, blocks, chain_info, civitas, dashboard, diversity, dry_run, evidence, header_state, keys,
    metrics, producers, push, resources, stream, tables, trx_status, RpcConfig, RpcState,
};

/// The state every handler shares: the node's [`RpcState`] plus what never changes after
/// genesis (read once, so handlers need no lock for it) and the decoded-ABI cache.
pub(crate) struct Shared {
    /// What the node provided.
    pub state: RpcState,
    /// The chain id (signing digests).
    pub chain_id: Checksum256,
    /// Largest uncompressed transaction (bounds zlib inflation).
    pub max_trx_size: usize,
    /// The core token.
    pub core_symbol: Symbol,
    /// Slot and round arithmetic.
    pub params: SlotParams,
    /// Decoded ABIs by account.
    pub abis: AbiCache,
}

impl Shared {
    /// Runs `f` under a read lock of the core. Callers copy out what they need and render after
    /// the lock is released. A poisoned lock (the core task panicked while writing) still
    /// serves reads: answering with the last state is more useful than failing every request.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Consensus) -> T) -> T {
        let guard = self.state.core.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }
}

/// A successful answer: a status (200, or 202 for pushes) and a JSON body.
pub(crate) struct Reply {
    status: StatusCode,
    body: ReplyBody,
}

/// A JSON answer, as a tree or already serialized.
enum ReplyBody {
    Value(Value),
    /// Serialized by the handler (bulk answers, rendered without a `Value` tree).
    Raw(Vec<u8>),
}

impl Reply {
    /// 200 with `body`.
    pub(crate) fn ok(body: Value) -> ApiResult<Reply> {
        Ok(Reply { status: StatusCode::OK, body: ReplyBody::Value(body) })
    }

    /// 200 with `json`, a serialized JSON value.
    pub(crate) fn ok_raw(json: Vec<u8>) -> ApiResult<Reply> {
        Ok(Reply { status: StatusCode::OK, body: ReplyBody::Raw(json) })
    }

    /// 202 with `body` (what nodeos answers to pushes).
    pub(crate) fn accepted(body: Value) -> ApiResult<Reply> {
        Ok(Reply { status: StatusCode::ACCEPTED, body: ReplyBody::Value(body) })
    }

    /// 202 with `json`, a serialized JSON value.
    pub(crate) fn accepted_raw(json: Vec<u8>) -> ApiResult<Reply> {
        Ok(Reply { status: StatusCode::ACCEPTED, body: ReplyBody::Raw(json) })
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self.body {
            ReplyBody::Value(v) => response(self.status, &v),
            ReplyBody::Raw(json) => json_response(self.status, json),
        }
    }
}

/// The whole API. Every `/v1/chain/*` route answers any method (nodeos ignores it; Wharfkit
/// sends GET for `get_info`, eosjs POST for everything).
pub fn router(state: RpcState) -> Router {
    let (chain_id, max_trx_size, core_symbol, params) = {
        let core = state.core.read().unwrap_or_else(PoisonError::into_inner);
        let cfg = core.chain().config();
        (cfg.chain_id, cfg.max_transaction_size, cfg.genesis.core_symbol, *core.params())
    };
    let config = state.config.clone();
    let shared = Arc::new(Shared { state, chain_id, max_trx_size, core_symbol, params, abis: AbiCache::default() });
    let chain_routes: [(&'static str, MethodRouter<Arc<Shared>>); 28] = [
        ("get_info", chain("get_info", chain_info::get_info)),
        ("get_block", chain("get_block", blocks::get_block)),
        ("get_block_info", chain("get_block_info", blocks::get_block_info)),
        ("get_block_header_state", chain("get_block_header_state", header_state::get_block_header_state)),
        ("get_account", chain("get_account", accounts::get_account)),
        ("get_abi", chain("get_abi", accounts::get_abi)),
        ("get_raw_abi", chain("get_raw_abi", accounts::get_raw_abi)),
        ("get_raw_code_and_abi", chain("get_raw_code_and_abi", accounts::get_raw_code_and_abi)),
        ("get_code", chain("get_code", accounts::get_code)),
        ("abi_json_to_bin", chain("abi_json_to_bin", accounts::abi_json_to_bin)),
        ("abi_bin_to_json", chain("abi_bin_to_json", accounts::abi_bin_to_json)),
        ("get_required_keys", chain("get_required_keys", keys::get_required_keys)),
        ("get_currency_balance", chain("get_currency_balance", tables::get_currency_balance)),
        ("get_currency_stats", chain("get_currency_stats", tables::get_currency_stats)),
        ("get_table_rows", chain("get_table_rows", tables::get_table_rows)),
        ("get_table_by_scope", chain("get_table_by_scope", tables::get_table_by_scope)),
        ("get_producers", chain("get_producers", producers::get_producers)),
        ("get_producer_schedule", chain("get_producer_schedule", producers::get_producer_schedule)),
        (
            "get_activated_protocol_features",
            chain("get_activated_protocol_features", chain_info::get_activated_protocol_features),
        ),
        ("push_transaction", chain("push_transaction", push::push_transaction)),
        ("send_transaction", chain("send_transaction", push::push_transaction)),
        ("send_transaction2", chain("send_transaction2", push::send_transaction2)),
        ("push_transactions", chain_raw("push_transactions", push::push_transactions)),
        ("compute_transaction", chain("compute_transaction", dry_run::compute_transaction)),
        ("send_read_only_transaction", chain("send_read_only_transaction", dry_run::send_read_only_transaction)),
        ("get_transaction_status", chain("get_transaction_status", trx_status::get_transaction_status)),
        ("get_transaction_id", chain("get_transaction_id", keys::get_transaction_id)),
        ("get_accounts_by_authorizers", chain("get_accounts_by_authorizers", authorizers::get_accounts_by_authorizers)),
    ];
    let mut router = Router::new();
    for (name, route) in chain_routes {
        router = router.route(&format!("/v1/chain/{name}"), route);
    }
    router
        .route("/", any(dashboard::index))
        .route("/dashboard/", any(dashboard::index))
        .route("/dashboard/{*path}", any(dashboard::asset))
        .route("/v1/civitas/node", any(civitas::node))
        .route("/v1/civitas/schedule", any(civitas::schedule))
        .route("/v1/civitas/finality", any(civitas::finality))
        .route("/v1/civitas/evidence", any(evidence::evidence))
        .route("/v1/civitas/producers", any(civitas::producers))
        .route("/v1/civitas/diversity", any(diversity::diversity))
        .route("/v1/civitas/resources", any(resources::resources))
        .route("/v1/civitas/blocks", any(civitas::blocks))
        .route("/v1/civitas/transactions", any(civitas::transactions))
        .route("/v1/civitas/transaction/{id}", any(civitas::transaction))
        .route("/v1/civitas/stream", any(stream::stream))
        .route("/metrics", any(metrics::metrics))
        .fallback(fallback)
        .with_state(shared)
        .layer(middleware::from_fn(answer_refused))
        .layer(middleware::from_fn_with_state(config.request_timeout, timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors(&config))
        .layer(middleware::from_fn(options_json))
}

/// A request the head guard refused ([`crate::serve`]) reaches the router as a stand-in that
/// carries the [`Refused`] extension: it is answered with the error and the connection closes.
async fn answer_refused(req: Request, next: Next) -> Response {
    match req.extensions().get::<Refused>() {
        Some(Refused(r)) => {
            let mut resp = r.error().into_response();
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        }
        None => next.run(req).await,
    }
}

/// nodeos answers every OPTIONS request with 200 and `{}` (Leap `beast_http_session.hpp`).
/// The CORS layer answers all of them (with its headers) and an empty body, which becomes `{}`.
async fn options_json(req: Request, next: Next) -> Response {
    let options = req.method() == Method::OPTIONS;
    let resp = next.run(req).await;
    if !options {
        return resp;
    }
    let (mut parts, _) = resp.into_parts();
    parts.status = StatusCode::OK;
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from("{}"))
}

/// A `/v1/chain/*` route: reads the body whatever its content type (within the size limit),
/// parses it as JSON (empty = `{}`) and runs the endpoint; errors name the endpoint.
fn chain<F, Fut>(endpoint: &'static str, f: F) -> MethodRouter<Arc<Shared>>
where
    F: Fn(Arc<Shared>, Value) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ApiResult<Reply>> + Send + 'static,
{
    chain_raw(endpoint, move |s: Arc<Shared>, bytes: Bytes| {
        let f = f.clone();
        async move { f(s, parse_body(&bytes)?).await }
    })
}

/// A `/v1/chain/*` route that parses the body itself (`push_transactions`, whose bodies are
/// large enough that a `serde_json::Value` tree of them costs real CPU). Bodies are read as
/// [`chain`] reads them, and errors name the endpoint the same way.
fn chain_raw<F, Fut>(endpoint: &'static str, f: F) -> MethodRouter<Arc<Shared>>
where
    F: Fn(Arc<Shared>, Bytes) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ApiResult<Reply>> + Send + 'static,
{
    any(move |State(s): State<Arc<Shared>>, headers: HeaderMap, body: Body| {
        let f = f.clone();
        async move {
            let result = async {
                let bytes = read_body(&headers, body, s.state.config.max_body_bytes).await?;
                f(s, bytes).await
            }
            .await;
            match result {
                Ok(reply) => reply.into_response(),
                Err(e) => e.in_method(endpoint).into_response(),
            }
        }
    })
}

/// Reads the whole body, refusing more than `limit` bytes (early, by `Content-Length`, when the
/// client declares it).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|s| s.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(ApiError::too_large(limit)),
        Err(e) => Err(ApiError::invalid(format!("failed to read the request body: {e}"))),
    }
}

/// Unknown paths: nodeos's 404 in the error shape.
async fn fallback(uri: Uri) -> Response {
    ApiError::not_found(uri.path()).into_response()
}

/// Answers with a timeout error when a request takes longer than the configured limit. A
/// streaming response (`/v1/civitas/stream`) is only timed until its headers are ready.
async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::timeout(limit).into_response(),
    }
}

/// A panicking handler is a bug, but the client still gets a well-formed error.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "unknown panic".to_string()
    };
    tracing::error!(panic = %what, "an API handler panicked");
    ApiError::internal(format!("internal error while handling the request: {what}")).into_response()
}

/// CORS: `*` allows any origin (the default; clients send no custom headers, so browsers need
/// no preflight, but wallets still need the allow-origin header); an empty list disables CORS.
fn cors(cfg: &RpcConfig) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(tower_http::cors::Any)
        .max_age(Duration::from_secs(3600));
    if cfg.cors_origins.iter().any(|o| o == "*") {
        base.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = cfg.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        base.allow_origin(AllowOrigin::list(list))
    }
}
