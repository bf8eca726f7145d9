//! A stand-in node for unit tests: a loopback HTTP server answering a few `/v1/chain/*` calls
//! the way the Civitas node does, and recording every request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// What the fake node answers: `(path, body) -> (status, answer)`.
pub(crate) type Handler = dyn Fn(&str, &Value) -> (u16, Value) + Send + Sync;

pub(crate) struct FakeNode {
    pub(crate) url: String,
    pub(crate) requests: Arc<Mutex<Vec<(String, Value)>>>,
}

impl FakeNode {
    /// Serves `handler` on a free loopback port until the test process ends.
    pub(crate) fn start(handler: Box<Handler>) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let handler: Arc<Handler> = Arc::from(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &*handler, &log);
            }
        });
        FakeNode { url, requests }
    }

    /// The paths called so far, in order.
    pub(crate) fn paths(&self) -> Vec<String> {
        self.requests.lock().expect("lock").iter().map(|(p, _)| p.clone()).collect()
    }

    /// The body of the last call to `path`.
    pub(crate) fn last_body(&self, path: &str) -> Option<Value> {
        self.requests.lock().expect("lock").iter().rev().find(|(p, _)| p == path).map(|(_, b)| b.clone())
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<(String, Value)>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    log.lock().expect("lock").push((path.clone(), body.clone()));
    let (status, answer) = handler(&path, &body);
    let text = answer.to_string();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

/// An Antelope error answer.
pub(crate) fn antelope_error(status: u16, code: i64, name: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"code": status, "message": "Internal Service Error", "error": {"code": code, "name": name,
               "what": "", "details": [{"message": message, "file": "chain", "line_number": 1, "method": "x"}]}}),
    )
}
