//! The node (work in progress).
