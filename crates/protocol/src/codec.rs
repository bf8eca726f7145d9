//! The Antelope binary format: little-endian integers, `varuint32` lengths, 1-byte optional
//! flags, `varuint32` variant indices. Every decoder is bounded by the input it is given: a
//! declared length is checked against the bytes that remain before anything is allocated, so a
//! hostile length prefix cannot make us reserve more memory than the message itself occupies.

use crate::error::CodecError;

/// Types with a canonical Antelope binary encoding.
pub trait Pack {
    /// Appends the encoding of `self` to `out`.
    fn pack(&self, out: &mut Vec<u8>);

    /// The encoding of `self` as a new vector.
    fn packed(&self) -> Vec<u8> {
        // Most packed values (rows, ids, small structs) fit in 64 bytes: one allocation, no regrowth.
        let mut out = Vec::with_capacity(64);
        self.pack(&mut out);
        out
    }
}

/// Types that can be decoded from the Antelope binary format.
pub trait Unpack: Sized {
    /// Reads one value from `r`.
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError>;

    /// Decodes a value that must use all of `bytes`.
    fn unpack_exact(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes);
        let v = Self::unpack(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

/// A cursor over input bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Current offset from the start.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fails unless every byte has been consumed.
    pub fn finish(&self) -> Result<(), CodecError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(CodecError::TrailingBytes(self.remaining()))
        }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::UnexpectedEnd { needed: n, remaining: self.remaining() });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    /// Reads a `varuint32` (LEB128, at most 5 bytes, value must fit 32 bits).
    pub fn varuint32(&mut self) -> Result<u32, CodecError> {
        let mut value: u64 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if value > u64::from(u32::MAX) {
                    return Err(CodecError::VarintOverflow);
                }
                // A zero final group after the first byte is a padded, non-minimal encoding;
                // rejecting it keeps every accepted encoding canonical (decode then re-encode
                // gives the same bytes), so ids hashed over received bytes are unambiguous.
                if b == 0 && i > 0 {
                    return Err(CodecError::NonCanonicalVarint);
                }
                return Ok(value as u32);
            }
        }
        Err(CodecError::VarintOverflow)
    }

    /// Reads a length prefix for a sequence whose elements take at least `min_elem` bytes each,
    /// rejecting lengths that the remaining input cannot possibly hold.
    pub fn length(&mut self, min_elem: usize) -> Result<usize, CodecError> {
        let n = self.varuint32()? as usize;
        let need = n.saturating_mul(min_elem.max(1));
        if need > self.remaining() {
            return Err(CodecError::LengthTooLarge { declared: n, remaining: self.remaining() });
        }
        Ok(n)
    }

    /// Reads a length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let n = self.length(1)?;
        self.take(n)
    }
}

/// Bytes the `varuint32` encoding of `n` takes (1 to 5).
pub fn varuint32_len(n: usize) -> usize {
    let mut len = 1;
    let mut v = n >> 7;
    while v > 0 {
        len += 1;
        v >>= 7;
    }
    len
}

/// Appends a `varuint32`.
pub fn write_varuint32(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Appends a length-prefixed byte string.
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_varuint32(out, len_u32(b.len()));
    out.extend_from_slice(b);
}

/// Converts a length to `u32`; lengths beyond that cannot be built from decoded input, and
/// locally built values that large are a programming error.
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).expect("sequence longer than u32::MAX elements")
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Pack for $t {
            fn pack(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
        impl Unpack for $t {
            fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
                Ok(<$t>::from_le_bytes(r.array()?))
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Pack for bool {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Unpack for bool {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        match r.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(CodecError::InvalidBool(b)),
        }
    }
}

/// An unsigned LEB128 integer of at most 32 bits, as Antelope's `varuint32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VarUint32(pub u32);

impl Pack for VarUint32 {
    fn pack(&self, out: &mut Vec<u8>) {
        write_varuint32(out, self.0);
    }
}

impl Unpack for VarUint32 {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(VarUint32(r.varuint32()?))
    }
}

impl Pack for String {
    fn pack(&self, out: &mut Vec<u8>) {
        write_bytes(out, self.as_bytes());
    }
}

impl Unpack for String {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let b = r.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| CodecError::InvalidUtf8)
    }
}

impl<T: Pack> Pack for Vec<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        write_varuint32(out, len_u32(self.len()));
        for item in self {
            item.pack(out);
        }
    }
}

impl<T: Unpack> Unpack for Vec<T> {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        // Every element takes at least one byte, so the count is bounded by the input. The
        // in-memory size of an element can be far larger than its encoding, so the initial
        // reservation is capped too and the vector grows as elements actually decode.
        let n = r.length(1)?;
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            v.push(T::unpack(r)?);
        }
        Ok(v)
    }
}

impl<T: Pack> Pack for Option<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.pack(out);
            }
        }
    }
}

impl<T: Unpack> Unpack for Option<T> {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        match r.u8()? {
            0 => Ok(None),
            1 => Ok(Some(T::unpack(r)?)),
            b => Err(CodecError::InvalidOptionFlag(b)),
        }
    }
}

impl<A: Pack, B: Pack> Pack for (A, B) {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
        self.1.pack(out);
    }
}

impl<A: Unpack, B: Unpack> Unpack for (A, B) {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok((A::unpack(r)?, B::unpack(r)?))
    }
}

impl<const N: usize> Pack for [u8; N] {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<const N: usize> Unpack for [u8; N] {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        r.array()
    }
}

impl<T: Pack + ?Sized> Pack for &T {
    fn pack(&self, out: &mut Vec<u8>) {
        (**self).pack(out);
    }
}

/// Implements [`Pack`] and [`Unpack`] for a struct by encoding its fields in order.
#[macro_export]
macro_rules! packable_struct {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl $crate::codec::Pack for $ty {
            fn pack(&self, out: &mut Vec<u8>) {
                $( $crate::codec::Pack::pack(&self.$field, out); )*
            }
        }
        impl $crate::codec::Unpack for $ty {
            fn unpack(r: &mut $crate::codec::Reader<'_>) -> Result<Self, $crate::error::CodecError> {
                Ok(Self { $( $field: $crate::codec::Unpack::unpack(r)?, )* })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varuint32_known_values() {
        for (v, enc) in [
            (0u32, vec![0u8]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (300, vec![0xac, 0x02]),
            (u32::MAX, vec![0xff, 0xff, 0xff, 0xff, 0x0f]),
        ] {
            let mut out = Vec::new();
            write_varuint32(&mut out, v);
            assert_eq!(out, enc);
            assert_eq!(Reader::new(&enc).varuint32().unwrap(), v);
        }
    }

    #[test]
    fn varuint32_rejects_overflow_and_truncation() {
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x1f]).varuint32().is_err());
        assert!(Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).varuint32().is_err());
        assert!(Reader::new(&[0x80]).varuint32().is_err());
        assert_eq!(Reader::new(&[0x80, 0x00]).varuint32(), Err(CodecError::NonCanonicalVarint));
    }

    #[test]
    fn huge_length_prefix_is_rejected_before_allocation() {
        // Declares 2^32-1 elements with only two bytes behind it.
        let enc = [0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2];
        assert!(matches!(Vec::<u64>::unpack_exact(&enc), Err(CodecError::LengthTooLarge { .. })));
        assert!(String::unpack_exact(&enc).is_err());
    }

    #[test]
    fn option_and_bool_flags_are_strict() {
        assert!(bool::unpack_exact(&[2]).is_err());
        assert!(Option::<u8>::unpack_exact(&[2, 0]).is_err());
        assert_eq!(Option::<u8>::unpack_exact(&[1, 7]).unwrap(), Some(7));
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        assert!(matches!(u16::unpack_exact(&[1, 2, 3]), Err(CodecError::TrailingBytes(1))));
    }
}
