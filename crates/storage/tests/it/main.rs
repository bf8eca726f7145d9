//! Integration tests of civitas-storage (one test binary to save link time).

mod checkpoint;
mod common;
mod crash;
mod log;
mod prop;
mod watermark;
