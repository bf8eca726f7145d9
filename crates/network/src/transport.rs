//! The encrypted transport: a Noise XX handshake (`Noise_XX_25519_ChaChaPoly_BLAKE2s`) over a
//! byte stream, then length-delimited frames carried in Noise transport messages.
//!
//! Wire layout (all lengths big-endian):
//!
//! * Handshake: three messages, each `u16 length ‖ noise message`, with empty payloads and
//!   therefore fixed lengths (32, 96 and 64 bytes); any other length fails at once.
//! * Transport: every chunk is `u16 length ‖ ciphertext` (ciphertext ≤ 65535 bytes, of which
//!   16 are the tag). A frame of `L` bytes is sent as the plaintext `u32 L ‖ payload`, cut into
//!   chunks of exactly 65519 plaintext bytes except the last. The receiver decrypts the first
//!   chunk, rejects `L` above its limit before reading further, and requires every chunk to have
//!   exactly the expected size.
//!
//! The length header is inside the encryption, so a peer can only claim a large frame after it
//! authenticated, and a corrupted header fails decryption.
//!
//! This module is public for tools and tests that need to speak the wire protocol directly
//! (hostile-peer tests); the node itself uses [`crate::Network`].

use std::sync::Arc;
use std::time::Duration;

use snow::params::NoiseParams;
use snow::StatelessTransportState;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};

use crate::identity::{NodeKey, PeerId};

/// The Noise protocol name.
pub const NOISE_PATTERN: &str = "Noise_XX_25519_ChaChaPoly_BLAKE2s";
/// Mixed into the handshake hash: peers of another wire protocol fail the handshake.
pub const PROLOGUE: &[u8] = b"civitas-p2p/1";
/// Largest Noise message (ciphertext including the tag).
pub const NOISE_MAX_MSG: usize = 65535;
const TAG_LEN: usize = 16;
/// Largest plaintext per chunk.
pub const MAX_CHUNK_PLAINTEXT: usize = NOISE_MAX_MSG - TAG_LEN;
const FRAME_HEADER_LEN: usize = 4;
// XX with empty payloads: -> e | <- e, ee, s, es | -> s, se.
const XX_MSG1_LEN: usize = 32;
const XX_MSG2_LEN: usize = 32 + (32 + TAG_LEN) + TAG_LEN;
const XX_MSG3_LEN: usize = (32 + TAG_LEN) + TAG_LEN;

/// The Noise parameters (a constant string, so parsing cannot fail).
pub fn noise_params() -> NoiseParams {
    match NOISE_PATTERN.parse() {
        Ok(p) => p,
        Err(_) => unreachable!("the Noise pattern constant is valid"),
    }
}

/// A transport failure. [`TransportError::is_misbehaviour`] tells which ones a peer is
/// banned for.
#[derive(Debug, Error)]
pub enum TransportError {
    /// A socket error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The stream ended.
    #[error("connection closed")]
    Closed,
    /// Nothing arrived in time.
    #[error("timed out")]
    Timeout,
    /// The handshake failed (bad message length, bad key material, failed authentication).
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// A chunk failed authentication.
    #[error("decryption failed")]
    Decrypt,
    /// A frame header announced more than the limit.
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLarge {
        /// Announced length.
        len: usize,
        /// Our limit.
        max: usize,
    },
    /// A chunk had the wrong size for its place in the frame.
    #[error("bad framing: {0}")]
    Framing(String),
    /// 2^64 messages on one session (cannot happen in practice; checked anyway).
    #[error("nonce exhausted")]
    NonceExhausted,
    /// A local encryption failure.
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

impl TransportError {
    /// Whether the remote side provably broke the protocol (as opposed to a network fault).
    pub fn is_misbehaviour(&self) -> bool {
        matches!(
            self,
            TransportError::Handshake(_)
                | TransportError::Decrypt
                | TransportError::FrameTooLarge { .. }
                | TransportError::Framing(_)
        )
    }
}

/// An established Noise session.
pub struct Session {
    state: StatelessTransportState,
    remote: PeerId,
    handshake_hash: [u8; 32],
}

impl Session {
    /// The remote static key.
    pub fn remote(&self) -> PeerId {
        self.remote
    }

    /// The handshake hash (unique per session; both sides agree on it).
    pub fn handshake_hash(&self) -> &[u8; 32] {
        &self.handshake_hash
    }

    /// Whether we sent the first handshake message.
    pub fn is_initiator(&self) -> bool {
        self.state.is_initiator()
    }
}

fn hs_err(e: snow::Error) -> TransportError {
    TransportError::Handshake(e.to_string())
}

async fn write_hs<S: AsyncWrite + Unpin>(io: &mut S, msg: &[u8]) -> Result<(), TransportError> {
    // Handshake messages are at most 96 bytes.
    io.write_all(&(msg.len() as u16).to_be_bytes()).await?;
    io.write_all(msg).await?;
    io.flush().await?;
    Ok(())
}

async fn read_hs<S: AsyncRead + Unpin>(io: &mut S, expect: usize, buf: &mut [u8]) -> Result<(), TransportError> {
    let len = read_u16_or_closed(io).await? as usize;
    if len != expect {
        return Err(TransportError::Handshake(format!("message of {len} bytes, expected {expect}")));
    }
    io.read_exact(&mut buf[..len]).await.map_err(eof_as_closed)?;
    Ok(())
}

async fn read_u16_or_closed<S: AsyncRead + Unpin>(io: &mut S) -> Result<u16, TransportError> {
    let mut b = [0u8; 2];
    io.read_exact(&mut b).await.map_err(eof_as_closed)?;
    Ok(u16::from_be_bytes(b))
}

fn eof_as_closed(e: std::io::Error) -> TransportError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        TransportError::Closed
    } else {
        TransportError::Io(e)
    }
}

/// Runs the Noise XX handshake on `io`. The caller bounds it with a timeout.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    key: &NodeKey,
    initiator: bool,
) -> Result<Session, TransportError> {
    let builder = snow::Builder::new(noise_params())
        .local_private_key(key.secret())
        .and_then(|b| b.prologue(PROLOGUE))
        .map_err(hs_err)?;
    let mut hs = if initiator { builder.build_initiator() } else { builder.build_responder() }.map_err(hs_err)?;
    let mut msg = [0u8; XX_MSG2_LEN];
    let mut payload = [0u8; XX_MSG2_LEN];
    if initiator {
        let n = hs.write_message(&[], &mut msg).map_err(hs_err)?;
        write_hs(io, &msg[..n]).await?;
        read_hs(io, XX_MSG2_LEN, &mut msg).await?;
        hs.read_message(&msg[..XX_MSG2_LEN], &mut payload).map_err(hs_err)?;
        let n = hs.write_message(&[], &mut msg).map_err(hs_err)?;
        write_hs(io, &msg[..n]).await?;
    } else {
        read_hs(io, XX_MSG1_LEN, &mut msg).await?;
        hs.read_message(&msg[..XX_MSG1_LEN], &mut payload).map_err(hs_err)?;
        let n = hs.write_message(&[], &mut msg).map_err(hs_err)?;
        write_hs(io, &msg[..n]).await?;
        read_hs(io, XX_MSG3_LEN, &mut msg).await?;
        hs.read_message(&msg[..XX_MSG3_LEN], &mut payload).map_err(hs_err)?;
    }
    let remote: [u8; 32] = hs
        .get_remote_static()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| TransportError::Handshake("no remote static key".into()))?;
    let handshake_hash: [u8; 32] = hs
        .get_handshake_hash()
        .try_into()
        .map_err(|_| TransportError::Handshake("unexpected handshake hash length".into()))?;
    let state = hs.into_stateless_transport_mode().map_err(hs_err)?;
    Ok(Session { state, remote: PeerId(remote), handshake_hash })
}

/// Splits an established session over a reader and a writer that can run in different tasks
/// (the stateless transport state keeps no nonces: each half counts its own).
pub fn split<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    session: Session,
    read: R,
    write: W,
    max_frame: usize,
    chunk_timeout: Duration,
) -> (FrameReader<R>, FrameWriter<W>) {
    let state = Arc::new(session.state);
    let reader = FrameReader {
        io: BufReader::with_capacity(64 * 1024, read),
        state: state.clone(),
        nonce: 0,
        max_frame,
        chunk_timeout,
        cipher: vec![0u8; NOISE_MAX_MSG],
        plain: vec![0u8; NOISE_MAX_MSG],
    };
    let writer = FrameWriter {
        io: BufWriter::with_capacity(64 * 1024, write),
        state,
        nonce: 0,
        cipher: vec![0u8; NOISE_MAX_MSG],
        scratch: Vec::with_capacity(MAX_CHUNK_PLAINTEXT),
    };
    (reader, writer)
}

/// Reads frames.
pub struct FrameReader<R> {
    io: BufReader<R>,
    state: Arc<StatelessTransportState>,
    nonce: u64,
    max_frame: usize,
    chunk_timeout: Duration,
    cipher: Vec<u8>,
    plain: Vec<u8>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Reads one chunk and returns its plaintext length (in `self.plain`).
    async fn read_chunk(&mut self) -> Result<usize, TransportError> {
        let io = &mut self.io;
        let cipher = &mut self.cipher;
        let len = tokio::time::timeout(self.chunk_timeout, async {
            let len = read_u16_or_closed(io).await? as usize;
            io.read_exact(&mut cipher[..len]).await.map_err(eof_as_closed)?;
            Ok::<usize, TransportError>(len)
        })
        .await
        .map_err(|_| TransportError::Timeout)??;
        if len < TAG_LEN {
            return Err(TransportError::Framing(format!("chunk of {len} bytes is shorter than a tag")));
        }
        let n = self
            .state
            .read_message(self.nonce, &self.cipher[..len], &mut self.plain)
            .map_err(|_| TransportError::Decrypt)?;
        self.nonce = self.nonce.checked_add(1).ok_or(TransportError::NonceExhausted)?;
        Ok(n)
    }

    /// Reads one frame. Memory grows with the bytes received, never with the announced length.
    pub async fn read_frame(&mut self) -> Result<Vec<u8>, TransportError> {
        let n = self.read_chunk().await?;
        if n < FRAME_HEADER_LEN {
            return Err(TransportError::Framing("first chunk shorter than the frame header".into()));
        }
        let len = u32::from_be_bytes([self.plain[0], self.plain[1], self.plain[2], self.plain[3]]) as usize;
        if len > self.max_frame {
            return Err(TransportError::FrameTooLarge { len, max: self.max_frame });
        }
        let first = len.min(MAX_CHUNK_PLAINTEXT - FRAME_HEADER_LEN);
        if n != FRAME_HEADER_LEN + first {
            return Err(TransportError::Framing(format!("first chunk holds {n} bytes, expected {}", first + 4)));
        }
        let mut frame = Vec::with_capacity(len.min(MAX_CHUNK_PLAINTEXT));
        frame.extend_from_slice(&self.plain[FRAME_HEADER_LEN..n]);
        while frame.len() < len {
            let expect = (len - frame.len()).min(MAX_CHUNK_PLAINTEXT);
            let n = self.read_chunk().await?;
            if n != expect {
                return Err(TransportError::Framing(format!("chunk holds {n} bytes, expected {expect}")));
            }
            frame.extend_from_slice(&self.plain[..n]);
        }
        Ok(frame)
    }
}

/// Writes frames. Output is buffered: call [`FrameWriter::flush`] when the queue is empty.
pub struct FrameWriter<W> {
    io: BufWriter<W>,
    state: Arc<StatelessTransportState>,
    nonce: u64,
    cipher: Vec<u8>,
    scratch: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// Encrypts `plaintext` (at most [`MAX_CHUNK_PLAINTEXT`] bytes) as one chunk. Low level:
    /// the first chunk of a frame must start with the frame header. Tests use it to build
    /// malformed frames.
    pub async fn write_chunk(&mut self, plaintext: &[u8]) -> Result<(), TransportError> {
        let n = self
            .state
            .write_message(self.nonce, plaintext, &mut self.cipher)
            .map_err(|e| TransportError::Encrypt(e.to_string()))?;
        self.nonce = self.nonce.checked_add(1).ok_or(TransportError::NonceExhausted)?;
        // n ≤ NOISE_MAX_MSG, which fits a u16.
        self.io.write_all(&(n as u16).to_be_bytes()).await?;
        self.io.write_all(&self.cipher[..n]).await?;
        Ok(())
    }

    /// Writes one frame (not flushed). Frames above `u32::MAX` bytes are refused.
    pub async fn write_frame(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        let len = u32::try_from(payload.len())
            .map_err(|_| TransportError::Encrypt(format!("frame of {} bytes is too large", payload.len())))?;
        let first = payload.len().min(MAX_CHUNK_PLAINTEXT - FRAME_HEADER_LEN);
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.extend_from_slice(&len.to_be_bytes());
        scratch.extend_from_slice(&payload[..first]);
        let r = self.write_chunk(&scratch).await;
        self.scratch = scratch;
        r?;
        for chunk in payload[first..].chunks(MAX_CHUNK_PLAINTEXT) {
            self.write_chunk(chunk).await?;
        }
        Ok(())
    }

    /// Flushes buffered output to the socket.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        self.io.flush().await?;
        Ok(())
    }

    /// The underlying writer, bypassing encryption (flush first). For tests that need to put
    /// raw bytes on an established session.
    pub fn get_mut(&mut self) -> &mut W {
        self.io.get_mut()
    }

    /// Shuts the write side down (after flushing).
    pub async fn shutdown(&mut self) -> Result<(), TransportError> {
        self.io.shutdown().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sessions() -> (Session, Session, tokio::io::DuplexStream, tokio::io::DuplexStream) {
        let (mut a, mut b) = tokio::io::duplex(4 << 20);
        let ka = NodeKey::from_secret([1; 32]);
        let kb = NodeKey::from_secret([2; 32]);
        let (sa, sb) = tokio::join!(handshake(&mut a, &ka, true), handshake(&mut b, &kb, false));
        (sa.unwrap(), sb.unwrap(), a, b)
    }

    #[tokio::test]
    async fn frames_of_every_size_round_trip() {
        let (sa, sb, a, b) = sessions().await;
        let (_ar, aw) = tokio::io::split(a);
        let (br, _bw) = tokio::io::split(b);
        let (_, mut w) = split(sa, tokio::io::empty(), aw, 1 << 20, Duration::from_secs(5));
        let (mut r, _) = split(sb, br, tokio::io::sink(), 1 << 20, Duration::from_secs(5));
        let sizes =
            [0, 1, MAX_CHUNK_PLAINTEXT - 4, MAX_CHUNK_PLAINTEXT - 3, MAX_CHUNK_PLAINTEXT, 3 * MAX_CHUNK_PLAINTEXT + 7];
        let writer = tokio::spawn(async move {
            for s in sizes {
                let payload: Vec<u8> = (0..s).map(|i| (i % 251) as u8).collect();
                w.write_frame(&payload).await.unwrap();
            }
            w.flush().await.unwrap();
            w
        });
        for s in sizes {
            let f = r.read_frame().await.unwrap();
            assert_eq!(f.len(), s);
            assert!(f.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
        }
        let _w = writer.await.unwrap();
    }

    #[tokio::test]
    async fn oversized_and_malformed_frames_are_rejected() {
        let (sa, sb, a, b) = sessions().await;
        let (_ar, aw) = tokio::io::split(a);
        let (br, _bw) = tokio::io::split(b);
        let (_, mut w) = split(sa, tokio::io::empty(), aw, 1 << 20, Duration::from_secs(5));
        let (mut r, _) = split(sb, br, tokio::io::sink(), 1000, Duration::from_secs(5));
        w.write_frame(&[0u8; 1001]).await.unwrap();
        w.flush().await.unwrap();
        assert!(matches!(r.read_frame().await, Err(TransportError::FrameTooLarge { len: 1001, max: 1000 })));
    }

    #[tokio::test]
    async fn short_first_chunk_is_a_framing_error() {
        let (sa, sb, a, b) = sessions().await;
        let (_ar, aw) = tokio::io::split(a);
        let (br, _bw) = tokio::io::split(b);
        let (_, mut w) = split(sa, tokio::io::empty(), aw, 1 << 20, Duration::from_secs(5));
        let (mut r, _) = split(sb, br, tokio::io::sink(), 1 << 20, Duration::from_secs(5));
        // Announces 10 bytes but carries 2.
        w.write_chunk(&[0, 0, 0, 10, 1, 2]).await.unwrap();
        w.flush().await.unwrap();
        let e = r.read_frame().await.unwrap_err();
        assert!(matches!(e, TransportError::Framing(_)), "{e}");
        assert!(e.is_misbehaviour());
    }

    #[tokio::test]
    async fn tampered_ciphertext_fails_decryption() {
        let (_sa, sb, mut a, b) = sessions().await;
        let (br, _bw) = tokio::io::split(b);
        let (mut r, _) = split(sb, br, tokio::io::sink(), 1 << 20, Duration::from_secs(5));
        a.write_all(&[0, 20]).await.unwrap();
        a.write_all(&[0xAB; 20]).await.unwrap();
        let e = r.read_frame().await.unwrap_err();
        assert!(matches!(e, TransportError::Decrypt), "{e}");
        assert!(e.is_misbehaviour());
    }

    #[tokio::test]
    async fn silent_peer_times_out() {
        let (_sa, sb, _a, b) = sessions().await;
        let (br, _bw) = tokio::io::split(b);
        let (mut r, _) = split(sb, br, tokio::io::sink(), 1 << 20, Duration::from_millis(50));
        assert!(matches!(r.read_frame().await, Err(TransportError::Timeout)));
    }

    #[tokio::test]
    async fn wrong_length_handshake_message_fails_fast() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        let kb = NodeKey::from_secret([2; 32]);
        let resp = tokio::spawn(async move { handshake(&mut b, &kb, false).await });
        a.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let e = resp.await.unwrap().err().unwrap();
        assert!(e.is_misbehaviour(), "{e}");
    }
}
