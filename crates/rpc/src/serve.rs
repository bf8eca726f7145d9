//! Serving the API over TCP: hyper's HTTP/1 server with the request-head [`Guard`] between the
//! socket and hyper, so that every answer — including those to requests refused before any
//! handler runs (a 100 KiB query string, 500 header fields, a malformed request line) — is
//! Antelope error JSON (docs/api.md, "Transport rules").
//!
//! hyper's own limits sit above the guard's, so hyper never refuses a head first (its refusals
//! have empty bodies): its header count is raised to the guard's when that is larger, its buffer
//! to twice the guard's head limit, and the guard's target limit is capped at hyper's fixed
//! maximum URI length.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::guard::{Guard, Limits, Rejection};
use crate::{router, RpcState};

/// A request the guard refused, as the router sees it: the request carries this extension and
/// the router answers with the error (`server::answer_refused`).
#[derive(Debug, Clone)]
pub(crate) struct Refused(pub Rejection);

/// hyper's default read buffer (`DEFAULT_MAX_BUFFER_SIZE` in its h1 I/O).
const HYPER_DEFAULT_BUFFER: usize = 8192 + 4096 * 100;
/// hyper's default number of header fields.
const HYPER_DEFAULT_HEADERS: usize = 100;

/// Serves `state`'s API on `listener` until `shutdown` completes, then stops accepting and
/// waits for the open connections to finish their requests (as `axum::serve` with graceful
/// shutdown does).
pub async fn serve(
    listener: TcpListener,
    state: RpcState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Limits {
        max_target: state.config.max_target_bytes,
        max_head: state.config.max_head_bytes,
        max_headers: state.config.max_headers,
    };
    let mut builder = http1::Builder::new();
    // A connection that has not sent a whole head within the request timeout is dropped (an
    // idle keep-alive connection too: hyper starts the clock when it waits for a head).
    builder.timer(TokioTimer::new()).header_read_timeout(state.config.request_timeout);
    if limits.max_headers > HYPER_DEFAULT_HEADERS {
        builder.max_headers(limits.max_headers);
    }
    builder.max_buf_size(HYPER_DEFAULT_BUFFER.max(limits.max_head.saturating_mul(2)));
    let builder = Arc::new(builder);
    let app = router(state);

    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = stop_tx.closed() => break,
        };
        let (app, builder, stop, open) = (app.clone(), builder.clone(), stop_tx.clone(), open_rx.clone());
        tokio::spawn(async move {
            connection(stream, app, limits, &builder, stop).await;
            drop(open);
        });
    }
    drop(open_rx);
    drop(listener);
    // Every connection task holds a receiver until it ends.
    open_tx.closed().await;
    Ok(())
}

/// An accept error: one connection's trouble (reset before accepted) is skipped; anything else
/// (out of file descriptors) waits a moment before the next accept.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        tracing::warn!(error = %e, "accepting an HTTP connection failed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Serves one connection. Request `n` on it is the refused one when the guard recorded a
/// rejection at position `n`.
async fn connection(stream: TcpStream, app: Router, limits: Limits, builder: &http1::Builder, stop: watch::Sender<()>) {
    let refused: Arc<OnceLock<(u64, Rejection)>> = Arc::default();
    let io = TokioIo::new(GuardedIo::new(stream, Guard::new(limits), refused.clone()));
    let count = Arc::new(AtomicU64::new(0));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let n = count.fetch_add(1, Ordering::Relaxed);
        let mut req: Request = req.map(Body::new);
        if let Some((at, r)) = refused.get() {
            if *at == n {
                req.extensions_mut().insert(Refused(r.clone()));
            }
        }
        app.clone().oneshot(req)
    });
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "HTTP connection ended with an error");
                }
                return;
            }
            _ = stop.closed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// How long, and for how many bytes, a connection whose request was refused keeps reading
/// after its answer: closing a socket with unread input resets the connection, and the reset
/// can destroy the answer before the client reads it (the client is usually still sending the
/// oversized request).
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;

/// The socket as hyper reads it: through the guard.
struct GuardedIo {
    inner: TcpStream,
    guard: Guard,
    /// Where the connection's service finds the refused request.
    refused: Arc<OnceLock<(u64, Rejection)>>,
    /// The socket's end was reached.
    eof: bool,
    scratch: Box<[u8]>,
    /// After a refusal: the write side is shut, and the rest of the input is read until this
    /// deadline (or [`LINGER_BYTES`]).
    linger: Option<(Pin<Box<tokio::time::Sleep>>, usize)>,
}

impl GuardedIo {
    fn new(inner: TcpStream, guard: Guard, refused: Arc<OnceLock<(u64, Rejection)>>) -> GuardedIo {
        GuardedIo { inner, guard, refused, eof: false, scratch: vec![0; 16 * 1024].into_boxed_slice(), linger: None }
    }

    /// Shuts a refused connection down gently: the answer is followed by the end of the stream,
    /// then whatever the client still sends is read and dropped, for a bounded time.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.linger.is_none() {
            ready!(Pin::new(&mut self.inner).poll_shutdown(cx))?;
            self.linger = Some((Box::pin(tokio::time::sleep(LINGER)), 0));
        }
        let Some((deadline, drained)) = self.linger.as_mut() else { return Poll::Ready(Ok(())) };
        loop {
            if *drained >= LINGER_BYTES || deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut read = ReadBuf::new(&mut self.scratch);
            match Pin::new(&mut self.inner).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if !read.filled().is_empty() => *drained += read.filled().len(),
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncRead for GuardedIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let ready = this.guard.ready();
            if !ready.is_empty() {
                let n = ready.len().min(buf.remaining());
                buf.put_slice(&ready[..n]);
                this.guard.consume(n);
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            // After a refused head hyper gets nothing more: it answers the stand-in request,
            // which asks for the connection to close, and closes it. Nothing will ever be
            // read, so no wake-up is arranged.
            if this.guard.refused() {
                return Poll::Pending;
            }
            let mut read = ReadBuf::new(&mut this.scratch);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                this.eof = true;
                this.guard.end();
                continue;
            }
            this.guard.push(read.filled());
            if let Some(r) = this.guard.rejection() {
                // Set before hyper can read the stand-in head, so the service always finds it.
                let _ = this.refused.set(r.clone());
            }
        }
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.guard.refused() && !this.eof {
            return this.poll_linger(cx);
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
