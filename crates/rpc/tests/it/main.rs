//! Integration tests of the HTTP API against a real consensus core (one binary, several
//! modules, to keep link time down). Tests may block and sleep.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod dashboard;
mod errors;
mod flow;
mod fuzz;
mod harness;
mod http;
mod shapes;
mod views;
