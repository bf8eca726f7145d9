//! Wallet errors. Each one is a complete message for the person at the terminal: it names the
//! argument, file or node endpoint that failed.

use serde_json::Value;

/// Why a wallet command failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// A command-line argument (or a value read in its place) is invalid. `field` is the
    /// argument's name as the help shows it (`QUANTITY`, `--key`, `JSON`).
    #[error("{field}: {reason}")]
    Arg {
        /// The argument.
        field: String,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// The node could not be reached (connection refused, timeout, DNS…).
    #[error("cannot reach the node at {url}: {reason}")]
    Connect {
        /// The URL that was called.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The node answered with an Antelope error.
    #[error("{0}")]
    Node(Box<NodeError>),
    /// The node answered something this wallet cannot use.
    #[error("{endpoint}: unexpected answer from the node: {reason}")]
    BadAnswer {
        /// The endpoint.
        endpoint: String,
        /// What was wrong with the answer.
        reason: String,
    },
    /// The keystore failed (missing file, wrong password, …).
    #[error(transparent)]
    Keystore(#[from] civitas_keystore::KeystoreError),
    /// Reading the password or key, or writing the output, failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being read or written.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Anything else, already worded for the user.
    #[error("{0}")]
    Other(String),
}

/// An Antelope error answer (`{code, message, error{code, name, what, details[]}}`).
#[derive(Debug, thiserror::Error)]
#[error("{endpoint}: {message} ({name}, HTTP {status})")]
pub struct NodeError {
    /// The endpoint, e.g. `push_transaction`.
    pub endpoint: String,
    /// The HTTP status.
    pub status: u16,
    /// The Antelope error code (`error.code`).
    pub code: i64,
    /// The Antelope error name (`error.name`).
    pub name: String,
    /// `error.details[0].message`, else `error.what`, else the top-level `message`.
    pub message: String,
    /// The whole error body.
    pub body: Value,
}

impl WalletError {
    /// An invalid argument.
    pub fn arg(field: impl Into<String>, reason: impl Into<String>) -> WalletError {
        WalletError::Arg { field: field.into(), reason: reason.into() }
    }

    /// An answer the wallet cannot use.
    pub fn bad_answer(endpoint: impl Into<String>, reason: impl Into<String>) -> WalletError {
        WalletError::BadAnswer { endpoint: endpoint.into(), reason: reason.into() }
    }

    pub(crate) fn output(source: std::io::Error) -> WalletError {
        WalletError::Io { what: "writing the output".into(), source }
    }
}
