//! Integration tests of civitas-network over real sockets on 127.0.0.1 (one test binary, as
//! the workspace convention asks, to save link time).

mod common;
mod connect;
mod decode;
mod gossip;
mod hostile;
mod peers;
mod sync;
