//! The request-head guard: every HTTP/1 request head is read here before hyper sees it, so that
//! a request hyper would refuse with an empty body (hyper answers parse errors with a bare
//! 400, 414 or 431) is answered with Antelope error JSON instead.
//!
//! The guard is sans-IO: bytes from the socket go in ([`Guard::push`]), bytes for hyper come
//! out ([`Guard::ready`], [`Guard::consume`]). It follows the message framing (`Content-Length`, chunked
//! bodies) to find each head. A head that breaks a rule — a limit of [`Limits`], or anything
//! hyper's parser or nodeos's `Illegal request-target` check would refuse — is replaced by
//! [`REJECTED_HEAD`], a request of our own with `Connection: close`, and the rest of the
//! connection is dropped; the server answers that request from the [`Rejection`] recorded with
//! its position on the connection ([`Guard::rejection`]), so the answer comes in order after
//! the answers to the requests before it.
//!
//! nodeos (Leap `beast_http_session.hpp`) closes the connection without any answer when a head
//! does not parse or exceeds Beast's 8 KiB header limit; the statuses here are HTTP's own.

use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};

/// Limits on a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Longest request target (path and query) in bytes: longer is 414.
    pub max_target: usize,
    /// Largest head (request line and header fields) in bytes: larger is 431.
    pub max_head: usize,
    /// Most header fields: more is 431.
    pub max_headers: usize,
}

/// hyper refuses longer request targets itself (`MAX_URI_LEN` in its h1 parser).
pub(crate) const HYPER_MAX_TARGET: usize = 65_534;

/// The request that stands for a refused one. The path is never routed: the server recognizes
/// the request by its position on the connection, not by its text.
pub(crate) const REJECTED_HEAD: &[u8] = b"GET /.refused HTTP/1.1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// Why a request was refused before any handler saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// The HTTP status.
    pub status: StatusCode,
    /// The top-level `message` of the error.
    pub message: &'static str,
    /// What was wrong.
    pub detail: String,
}

impl Rejection {
    fn new(status: StatusCode, detail: impl Into<String>) -> Rejection {
        let message = match status {
            StatusCode::BAD_REQUEST => "Invalid Request",
            s => s.canonical_reason().unwrap_or("Invalid Request"),
        };
        Rejection { status, message, detail: detail.into() }
    }

    /// The error answered for the refused request.
    pub(crate) fn error(&self) -> crate::ApiError {
        crate::ApiError::http_request(self.status, self.message, self.detail.clone())
    }
}

/// Where the guard is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Inside a body of known length: bytes left.
    Length(u64),
    /// Inside a chunked body.
    Chunked(Chunk),
    /// After something the guard does not follow (a malformed chunked body): everything goes
    /// to hyper, which refuses it and closes the connection.
    Opaque,
    /// A head was refused: nothing more goes to hyper.
    Refused,
}

/// Where a chunked body is (RFC 9112 §7.1, as strictly as hyper's decoder reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Hex digits of a chunk size: (size so far, digits seen).
    Size(u64, u8),
    /// Spaces after the size.
    SizeSpace(u64),
    /// A chunk extension.
    Extension(u64),
    /// The LF ending the size line.
    SizeLf(u64),
    /// Data bytes left.
    Data(u64),
    /// CR, then LF, after the data.
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    /// Inside a trailer field.
    Trailer,
    /// The LF ending a trailer field.
    TrailerLf,
    /// The LF ending the message.
    EndLf,
}

/// The guard of one connection.
#[derive(Debug)]
pub(crate) struct Guard {
    limits: Limits,
    state: State,
    /// Input not yet classified (part of a head).
    pending: Vec<u8>,
    /// Bytes of the pending head already looked at (no line ended in them since the last parse).
    checked: usize,
    /// Output for hyper, from `ready_at` on.
    ready: Vec<u8>,
    ready_at: usize,
    /// Heads handed to hyper so far, [`REJECTED_HEAD`] included.
    heads: u64,
    /// The refused request: its position among the heads, and why.
    rejection: Option<(u64, Rejection)>,
}

impl Guard {
    /// A guard for a new connection.
    pub(crate) fn new(limits: Limits) -> Guard {
        Guard {
            limits,
            state: State::Head,
            pending: Vec::new(),
            checked: 0,
            ready: Vec::new(),
            ready_at: 0,
            heads: 0,
            rejection: None,
        }
    }

    /// The refused request, if any: its position among the connection's requests (0 is the
    /// first) and why it was refused.
    pub(crate) fn rejection(&self) -> Option<&(u64, Rejection)> {
        self.rejection.as_ref()
    }

    /// True once a head was refused: the connection carries nothing more.
    pub(crate) fn refused(&self) -> bool {
        self.state == State::Refused
    }

    /// Bytes ready for hyper.
    pub(crate) fn ready(&self) -> &[u8] {
        &self.ready[self.ready_at..]
    }

    /// Marks `n` ready bytes as handed to hyper.
    pub(crate) fn consume(&mut self, n: usize) {
        self.ready_at = (self.ready_at + n).min(self.ready.len());
        if self.ready_at == self.ready.len() {
            self.ready.clear();
            self.ready_at = 0;
        }
    }

    /// The socket reached its end (the client may still read). An unfinished head that is
    /// already wrong is refused like any other; one that is only unfinished goes to hyper as it
    /// is, which closes the connection without an answer, as nodeos does for a request cut short.
    pub(crate) fn end(&mut self) {
        if self.state != State::Head || self.pending.is_empty() {
            return;
        }
        match self.read_head(&self.pending) {
            Err(r) => self.refuse(r),
            Ok(_) => self.ready.append(&mut self.pending),
        }
    }

    /// Bytes from the socket.
    pub(crate) fn push(&mut self, input: &[u8]) {
        if self.state == State::Refused {
            return;
        }
        let mut input = input;
        // Body bytes of a known length skip the pending buffer (bulk pushes are megabytes).
        if let (State::Length(left), true) = (self.state, self.pending.is_empty()) {
            let n = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.ready.extend_from_slice(&input[..n]);
            input = &input[n..];
            let left = left - n as u64;
            self.state = if left == 0 { State::Head } else { State::Length(left) };
        }
        self.pending.extend_from_slice(input);
        let mut at = 0;
        while at < self.pending.len() {
            let rest = self.pending.len() - at;
            match self.state {
                State::Refused => break,
                State::Opaque => {
                    self.ready.extend_from_slice(&self.pending[at..]);
                    at = self.pending.len();
                }
                State::Length(left) | State::Chunked(Chunk::Data(left)) => {
                    let n = rest.min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.ready.extend_from_slice(&self.pending[at..at + n]);
                    at += n;
                    let left = left - n as u64;
                    self.state = match self.state {
                        State::Length(_) if left == 0 => State::Head,
                        State::Length(_) => State::Length(left),
                        _ if left == 0 => State::Chunked(Chunk::DataCr),
                        _ => State::Chunked(Chunk::Data(left)),
                    };
                }
                State::Chunked(c) => {
                    let b = self.pending[at];
                    self.ready.push(b);
                    at += 1;
                    self.state = match next_chunk(c, b) {
                        Some(Chunk::Data(0)) => State::Chunked(Chunk::DataCr),
                        Some(next) => State::Chunked(next),
                        None if c == Chunk::EndLf && b == b'\n' => State::Head,
                        None => State::Opaque,
                    };
                }
                // Empty lines before a request line are dropped: httparse skips them too, and
                // a flood of them must not cost a parse each.
                State::Head if self.checked == 0 && matches!(self.pending[at], b'\r' | b'\n') => at += 1,
                State::Head => {
                    // A head is parsed again from its start, but only when a line has ended or
                    // the head reached its limit: nothing else can change the verdict. With at
                    // most `max_headers` lines of at most `max_head` bytes, the work is bounded.
                    let head = &self.pending[at..];
                    let fresh = &head[self.checked.min(head.len())..];
                    if head.len() <= self.limits.max_head && !fresh.contains(&b'\n') {
                        self.checked = head.len();
                        break;
                    }
                    match self.read_head(head) {
                        Ok(None) => {
                            self.checked = head.len();
                            break;
                        }
                        Ok(Some((len, body))) => {
                            self.ready.extend_from_slice(&self.pending[at..at + len]);
                            at += len;
                            self.heads += 1;
                            self.checked = 0;
                            self.state = body;
                        }
                        Err(r) => {
                            self.refuse(r);
                            return;
                        }
                    }
                }
            }
        }
        self.pending.drain(..at);
    }

    fn refuse(&mut self, r: Rejection) {
        self.ready.extend_from_slice(REJECTED_HEAD);
        self.checked = 0;
        self.rejection = Some((self.heads, r));
        self.heads += 1;
        self.pending.clear();
        self.state = State::Refused;
    }

    /// Parses a head: `Ok(None)` while it is incomplete (and within the limits), else its
    /// length and the state of the body that follows.
    ///
    /// Every verdict depends only on the first `max_head + 1` bytes, and is given only once it
    /// cannot change with more bytes (httparse reads a head front to back), so the answer does
    /// not depend on how the bytes arrived.
    fn read_head(&self, buf: &[u8]) -> Result<Option<(usize, State)>, Rejection> {
        let l = self.limits;
        let target_limit = l.max_target.min(HYPER_MAX_TARGET);
        let too_long = |size: String| {
            Rejection::new(
                StatusCode::URI_TOO_LONG,
                format!("the request target is {size} long; the limit is {target_limit} bytes"),
            )
        };
        let too_large = |what: String| Rejection::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, what);
        let prefix = &buf[..buf.len().min(l.max_head + 1)];
        let mut headers = vec![httparse::EMPTY_HEADER; l.max_headers];
        let mut req = httparse::Request::new(&mut headers);
        let len = match req.parse(prefix) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if prefix.len() <= l.max_head => return Ok(None),
            Ok(httparse::Status::Partial) => {
                // Over the limit without a complete head: a request line that has not ended
                // yet is an overlong target.
                let start = prefix.iter().position(|b| *b != b'\r' && *b != b'\n').unwrap_or(prefix.len());
                if !prefix[start..].contains(&b'\n') {
                    return Err(too_long(format!("more than {target_limit} bytes")));
                }
                return Err(too_large(format!("the request head exceeds the limit of {} bytes", l.max_head)));
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Err(too_large(format!("the request has more than {} header fields", l.max_headers)))
            }
            Err(httparse::Error::Version) => {
                return Err(Rejection::new(
                    StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version not supported: only HTTP/1.0 and HTTP/1.1 are served",
                ))
            }
            Err(e) => {
                let part = match e {
                    httparse::Error::Token if req.method.is_none() => "the method",
                    httparse::Error::Token => "the request target",
                    httparse::Error::HeaderName => "a header name",
                    httparse::Error::HeaderValue => "a header value",
                    _ => "the request line or a header line",
                };
                return Err(bad(format!("malformed request: invalid byte in {part} ({e})")));
            }
        };
        if req.path.is_some_and(|t| t.len() > target_limit) {
            return Err(too_long(format!("{} bytes", req.path.map_or(0, str::len))));
        }
        if len > l.max_head {
            return Err(too_large(format!("the request head exceeds the limit of {} bytes", l.max_head)));
        }
        let (method, target, version) = match (req.method, req.path, req.version) {
            (Some(m), Some(t), Some(v)) => (m, t, v),
            _ => return Err(bad("malformed request line")),
        };
        Method::from_bytes(method.as_bytes()).map_err(|_| bad(format!("invalid method {method:?}")))?;
        // httparse lets bytes above 0x7f through in the target; they are checked as bytes.
        let target = target.as_bytes();
        let shown = String::from_utf8_lossy(target);
        // Leap's beast_http_session answers this one with 400 "Illegal request-target".
        if target.first() != Some(&b'/') || target.windows(2).any(|w| w == b"..") {
            return Err(Rejection {
                message: "Illegal request-target",
                ..bad(format!("Illegal request-target {shown:?}: it must start with '/' and not contain \"..\""))
            });
        }
        Uri::try_from(target).map_err(|e| bad(format!("invalid request target {shown:?}: {e}")))?;
        let mut body = State::Head;
        let mut length: Option<u64> = None;
        let mut chunked = None;
        for h in req.headers.iter() {
            let name = HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|_| bad(format!("invalid header name {:?}", h.name)))?;
            HeaderValue::from_bytes(h.value).map_err(|_| bad(format!("invalid value of header {}", h.name)))?;
            if name == axum::http::header::TRANSFER_ENCODING {
                if version == 0 {
                    return Err(bad("Transfer-Encoding is not allowed in an HTTP/1.0 request"));
                }
                // Only the last coding counts: a body is chunked when it ends with `chunked`
                // (read as hyper reads it: a value that is not visible ASCII is not chunked).
                let text = std::str::from_utf8(h.value)
                    .ok()
                    .filter(|t| t.bytes().all(|b| b == b'\t' || (32..127).contains(&b)));
                chunked = Some(
                    text.and_then(|t| t.rsplit(',').next()).is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked")),
                );
            } else if name == axum::http::header::CONTENT_LENGTH {
                // Digits only, as hyper reads it (no sign, no spaces), below hyper's maximum.
                let digits = !h.value.is_empty() && h.value.iter().all(u8::is_ascii_digit);
                let n = std::str::from_utf8(h.value)
                    .ok()
                    .filter(|_| digits)
                    .and_then(|t| t.parse::<u64>().ok())
                    .filter(|n| *n <= u64::MAX - 2)
                    .ok_or_else(|| bad("invalid Content-Length"))?;
                if length.is_some_and(|m| m != n) {
                    return Err(bad("several different Content-Length values"));
                }
                length = Some(n);
            }
        }
        match (chunked, length) {
            (Some(false), _) => return Err(bad("Transfer-Encoding must end with chunked")),
            (Some(true), _) => body = State::Chunked(Chunk::Size(0, 0)),
            (None, Some(n)) if n > 0 => body = State::Length(n),
            (None, _) => {}
        }
        Ok(Some((len, body)))
    }
}

fn bad(detail: impl Into<String>) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, detail)
}

/// The next state of a chunked body after byte `b`; `None` when the body ends (after the final
/// LF) or breaks the grammar.
fn next_chunk(c: Chunk, b: u8) -> Option<Chunk> {
    let hex = |b: u8| (b as char).to_digit(16).map(u64::from);
    Some(match (c, b) {
        (Chunk::Size(size, digits), _) if hex(b).is_some() => {
            // 16 hex digits hold any u64; more would overflow.
            if digits >= 16 {
                return None;
            }
            Chunk::Size(size * 16 + hex(b)?, digits + 1)
        }
        (Chunk::Size(size, d), b' ' | b'\t') if d > 0 => Chunk::SizeSpace(size),
        (Chunk::SizeSpace(size), b' ' | b'\t') => Chunk::SizeSpace(size),
        (Chunk::Size(size, d), b';') if d > 0 => Chunk::Extension(size),
        (Chunk::SizeSpace(size), b';') => Chunk::Extension(size),
        (Chunk::Size(size, d), b'\r') if d > 0 => Chunk::SizeLf(size),
        (Chunk::SizeSpace(size) | Chunk::Extension(size), b'\r') => Chunk::SizeLf(size),
        (Chunk::Extension(_), b'\n') => return None,
        (Chunk::Extension(size), _) => Chunk::Extension(size),
        (Chunk::SizeLf(0), b'\n') => Chunk::TrailerStart,
        (Chunk::SizeLf(size), b'\n') => Chunk::Data(size),
        (Chunk::DataCr, b'\r') => Chunk::DataLf,
        (Chunk::DataLf, b'\n') => Chunk::Size(0, 0),
        (Chunk::TrailerStart, b'\r') => Chunk::EndLf,
        (Chunk::TrailerStart | Chunk::Trailer, b'\n') => return None,
        (Chunk::Trailer, b'\r') => Chunk::TrailerLf,
        (Chunk::TrailerStart | Chunk::Trailer, _) => Chunk::Trailer,
        (Chunk::TrailerLf, b'\n') => Chunk::TrailerStart,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMITS: Limits = Limits { max_target: 64, max_head: 256, max_headers: 8 };

    /// Feeds `input` in pieces of `step` bytes; returns what hyper gets and the rejection.
    fn run(input: &[u8], step: usize) -> (Vec<u8>, Option<(u64, Rejection)>) {
        let mut g = Guard::new(LIMITS);
        let mut out = Vec::new();
        for piece in input.chunks(step.max(1)) {
            g.push(piece);
            out.extend_from_slice(g.ready());
            let n = g.ready().len();
            g.consume(n);
        }
        g.end();
        out.extend_from_slice(g.ready());
        (out, g.rejection().cloned())
    }

    /// Three pipelined requests: a sized body, a chunked one with an extension and a trailer,
    /// and one without a body.
    fn pipelined() -> Vec<u8> {
        let mut s = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        s.extend_from_slice(b"POST /b HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        s.extend_from_slice(b"3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n");
        s.extend_from_slice(b"GET /c HTTP/1.1\r\n\r\n");
        s
    }

    #[test]
    fn well_formed_streams_pass_untouched_whatever_the_reads() {
        let input = pipelined();
        for step in [1, 2, 7, 64, input.len()] {
            assert_eq!(run(&input, step), (input.clone(), None), "step {step}");
        }
    }

    #[test]
    fn a_refused_head_becomes_the_stand_in_at_its_position() {
        let first = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        let cases: Vec<(Vec<u8>, StatusCode)> = vec![
            (format!("GET /{} HTTP/1.1\r\n\r\n", "x".repeat(64)).into_bytes(), StatusCode::URI_TOO_LONG),
            (format!("GET /{}", "x".repeat(300)).into_bytes(), StatusCode::URI_TOO_LONG),
            (
                (0..9).fold(b"GET / HTTP/1.1\r\n".to_vec(), |mut h, i| {
                    h.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
                    h
                }),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
            (
                format!("GET / HTTP/1.1\r\nx: {}\r\n\r\n", "v".repeat(300)).into_bytes(),
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
            (b"GET / HTTP/3.0\r\n\r\n".to_vec(), StatusCode::HTTP_VERSION_NOT_SUPPORTED),
            (b"GET /a/../b HTTP/1.1\r\n\r\n".to_vec(), StatusCode::BAD_REQUEST),
            (b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n".to_vec(), StatusCode::BAD_REQUEST),
        ];
        for (bad, status) in cases {
            let mut input = first.clone();
            input.extend_from_slice(&bad);
            input.extend_from_slice(b"GET /after HTTP/1.1\r\n\r\n");
            for step in [1, 5, input.len()] {
                let (out, rejection) = run(&input, step);
                let mut expected = first.clone();
                expected.extend_from_slice(REJECTED_HEAD);
                assert_eq!(out, expected, "{}", String::from_utf8_lossy(&bad));
                let (at, r) = rejection.unwrap();
                assert_eq!((at, r.status), (1, status), "{}: {}", String::from_utf8_lossy(&bad), r.detail);
            }
        }
    }

    #[test]
    fn a_malformed_chunked_body_goes_to_hyper_as_it_is() {
        let input = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /x HTTP/1.1\r\n\r\n".to_vec();
        assert_eq!(run(&input, 3), (input, None));
    }

    #[test]
    fn at_the_end_of_the_stream_an_unfinished_head_reaches_hyper_and_a_wrong_one_is_refused() {
        assert_eq!(run(b"GET / HTTP/1.1\r\nHost:", 4), (b"GET / HTTP/1.1\r\nHost:".to_vec(), None));
        let (out, rejection) = run(b"G\x01T / HTTP/1.1\r\nHost:", 4);
        assert_eq!(out, REJECTED_HEAD);
        assert_eq!(rejection.map(|(at, r)| (at, r.status)), Some((0, StatusCode::BAD_REQUEST)));
    }

    #[test]
    fn empty_lines_before_a_request_are_dropped() {
        let mut input = b"\r\n\n".repeat(100_000);
        input.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(run(&input, 1000), (b"GET / HTTP/1.1\r\n\r\n".to_vec(), None));
    }

    proptest! {
        /// However the bytes arrive, hyper gets the same stream and the same refusal.
        #[test]
        fn reads_of_any_size_give_the_same_result(
            junk in proptest::collection::vec(any::<u8>(), 0..300),
            at in 0usize..400,
            step in 1usize..50,
        ) {
            let mut input = pipelined();
            let at = at.min(input.len());
            input.splice(at..at, junk);
            prop_assert_eq!(run(&input, step), run(&input, input.len()));
        }
    }
}
