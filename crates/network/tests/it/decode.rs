//! Property tests: the message decoder never panics on arbitrary or corrupted input, and every
//! accepted encoding is canonical (re-encoding gives the same bytes, so seen-set hashes of
//! received frames are unambiguous).

use civitas_network::{ChainStatus, Hello, Message, PROTOCOL_VERSION};
use civitas_protocol::Checksum256;
use proptest::prelude::*;

use crate::common::{block, chain, trx};

fn samples() -> Vec<Vec<u8>> {
    let hello = Hello {
        chain_id: chain(),
        protocol_version: PROTOCOL_VERSION,
        features: 3,
        status: ChainStatus::default(),
        listen_addr: Some("127.0.0.1:9876".into()),
        node_name: "n".into(),
        identity: None,
    };
    vec![
        Message::Hello(Box::new(hello)).encode(),
        Message::Block(Box::new(block(3))).encode(),
        Message::Transaction(Box::new(trx(1))).encode(),
        Message::Approval(vec![1, 2, 3]).encode(),
        Message::GetBlocks { request: 1, from_num: 2, count: 3 }.encode(),
        Message::GetBlock { request: 1, id: Checksum256([7; 32]) }.encode(),
        Message::Blocks { request: 1, blocks: vec![block(1), block(2)] }.encode(),
        Message::NotFound { request: 5 }.encode(),
        Message::Peers(vec!["a:1".into()]).encode(),
        Message::Ping { nonce: 1 }.encode(),
        Message::Status(ChainStatus::default()).encode(),
        Message::BlockNotice { id: block(3).id(), num: 3 }.encode(),
    ]
}

fn check(bytes: &[u8]) {
    if let Ok(m) = Message::decode(bytes) {
        assert_eq!(m.encode(), bytes, "accepted a non-canonical encoding");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn random_bytes_after_each_tag_never_panic(tag in 0u8..14, bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut b = vec![tag];
        b.extend(bytes);
        check(&b);
    }

    #[test]
    fn corrupted_valid_messages_never_panic(
        which in 0usize..11,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = samples()[which].clone();
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] = v;
        }
        check(&b);
        // Truncated at any point.
        let n = cut.index(b.len() + 1);
        check(&b[..n]);
    }
}

#[test]
fn every_sample_round_trips() {
    for s in samples() {
        assert_eq!(Message::decode(&s).unwrap().encode(), s);
    }
}
