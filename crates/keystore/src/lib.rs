//! Password-encrypted key files (work in progress).
