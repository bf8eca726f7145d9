//! Actions: a contract call with its authorizations and serialized data.

use serde::{Deserialize, Serialize};

use crate::authority::PermissionLevel;
use crate::checksum::Bytes;
use crate::codec::Pack;
use crate::name::Name;

/// One call of `name` on contract `account`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The contract account.
    pub account: Name,
    /// The action name.
    pub name: Name,
    /// Who authorizes it.
    pub authorization: Vec<PermissionLevel>,
    /// The arguments, serialized as the contract's ABI says.
    pub data: Bytes,
}

crate::packable_struct!(Action { account, name, authorization, data });

impl Action {
    /// An action whose data is the packed `args`.
    pub fn new(account: Name, name: Name, authorization: Vec<PermissionLevel>, args: &impl Pack) -> Action {
        Action { account, name, authorization, data: Bytes(args.packed()) }
    }
}

/// A `(type, data)` extension pair as used by transactions and blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension(pub u16, pub Bytes);

impl crate::codec::Pack for Extension {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
        self.1.pack(out);
    }
}

impl crate::codec::Unpack for Extension {
    fn unpack(r: &mut crate::codec::Reader<'_>) -> Result<Self, crate::error::CodecError> {
        Ok(Extension(u16::unpack(r)?, Bytes::unpack(r)?))
    }
}
