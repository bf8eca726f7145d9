//! `GET /v1/civitas/stream`: Server-Sent Events of new heads and new irreversible blocks.
//!
//! Each event is named after its kind (`head`, `lib`) and carries the [`StreamEvent`] as JSON.
//! A new subscriber first gets the current head and LIB, so a dashboard needs no separate
//! request to start. A subscriber too slow to keep up gets a `lagged` event with the number of
//! events it missed (and should re-read `/v1/civitas/finality`). Keep-alive comments are sent
//! while nothing happens, so proxies do not close the connection.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::server::Shared;
use crate::StreamEvent;

fn to_event(e: &StreamEvent) -> Event {
    Event::default().event(e.kind()).data(serde_json::to_string(e).unwrap_or_default())
}

/// The SSE endpoint.
pub(crate) async fn stream(State(s): State<Arc<Shared>>) -> Response {
    // Subscribe before reading the current state, so no event between the two is lost.
    let rx = s.state.events.subscribe();
    let (head, lib) = s.read(|c| (c.head().clone(), c.lib().clone()));
    let initial = [
        StreamEvent::Head { num: head.num, id: head.id, producer: head.producer, time: head.time, slot: head.slot },
        StreamEvent::Lib { num: lib.num, id: lib.id },
    ];
    let initial = stream::iter(initial.iter().map(to_event).map(Ok::<Event, Infallible>).collect::<Vec<_>>());
    let live = stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(ev) => to_event(&ev),
            Err(RecvError::Lagged(n)) => Event::default().event("lagged").data(format!("{{\"skipped\":{n}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<Event, Infallible>(event), rx))
    });
    let keep_alive = KeepAlive::new().interval(s.state.config.stream_keep_alive).text("keep-alive");
    Sse::new(initial.chain(live)).keep_alive(keep_alive).into_response()
}
