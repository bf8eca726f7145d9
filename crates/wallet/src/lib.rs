//! The command-line wallet (work in progress).
