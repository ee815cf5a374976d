//! What binds each blob to its place, and what an item holds: the AAD layouts (aws-behaviour.md #91) for
//! wrapped table keys, wrapped DEKs and items, and the deterministic item plaintext anyone can
//! verify a decrypt against. Built on the stack: the re-wrap and table build loops run them
//! millions of times.

use super::ids::{DekId, ItemId, TableKeyId};

/// What an item with this id holds in plaintext: deterministic, so anyone can verify a decrypt.
///
/// `{"pk":"item-0000042","qty":42}`, written into a stack buffer: building a 1M-item table
/// formats a million of these, so no allocation and no `format!` machinery per item.
pub fn item_plaintext(id: ItemId) -> ItemText {
    let mut t = ItemText {
        buf: [0; 48],
        len: 0,
    };
    t.push(b"{\"pk\":\"item-");
    t.push_number(id.0, 7);
    t.push(b"\",\"qty\":");
    t.push_number(id.0 % 97, 1);
    t.push(b"}");
    t
}

/// An item's plaintext (at most 48 bytes), on the stack.
#[derive(Clone, Copy)]
pub struct ItemText {
    buf: [u8; 48],
    len: usize,
}

impl ItemText {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Decimal digits of `n`, zero-padded to at least `width`.
    fn push_number(&mut self, mut n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let start = i.min(digits.len() - width);
        self.push(&digits[start..]);
    }
}

impl std::ops::Deref for ItemText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq<ItemText> for Vec<u8> {
    fn eq(&self, other: &ItemText) -> bool {
        self.as_slice() == other.as_bytes()
    }
}

/// AAD bytes built on the stack (no allocation per DEK in the re-wrap loop).
pub struct AadBuf {
    buf: [u8; 128],
    len: usize,
}

impl AadBuf {
    fn new() -> Self {
        Self {
            buf: [0; 128],
            len: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        // Table names and ids are validated to at most 100 bytes, so this never truncates.
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// AAD of a wrapped table key: the KMS encryption context (aws-behaviour.md #75) bound to the table key's
/// id, as `context | 0x00 | "T" tk_le32`, so a table-key blob copied to another table key's
/// place fails its tag check, as DEK and item blobs do.
pub fn table_key_aad(context: &[u8], tk: TableKeyId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(context.len() + 6);
    aad.extend_from_slice(context);
    aad.extend_from_slice(b"\0T");
    aad.extend_from_slice(&tk.0.to_le_bytes());
    aad
}

/// AAD of a wrapped DEK: table id, table-key id and DEK id (aws-behaviour.md #91), as
/// `table_id | 0x00 | "T" tk_le32 | "D" dek_le32`.
pub fn dek_aad(table_id: &str, tk: TableKeyId, dek: DekId) -> AadBuf {
    let mut b = AadBuf::new();
    b.push(table_id.as_bytes());
    b.push(b"\0T");
    b.push(&tk.0.to_le_bytes());
    b.push(b"D");
    b.push(&dek.0.to_le_bytes());
    b
}

/// [`dek_aad`]'s bytes appended to `out` (the re-wrap lays out a run's AADs in one buffer).
pub fn push_dek_aad(out: &mut Vec<u8>, table_id: &str, tk: TableKeyId, dek: DekId) {
    let start = out.len();
    out.extend_from_slice(table_id.as_bytes());
    let mut tail = [0u8; 11];
    tail[..2].copy_from_slice(b"\0T");
    tail[2..6].copy_from_slice(&tk.0.to_le_bytes());
    tail[6] = b'D';
    tail[7..].copy_from_slice(&dek.0.to_le_bytes());
    out.extend_from_slice(&tail);
    // As `AadBuf` keeps at most its 128 bytes (ids are far shorter: names are validated).
    out.truncate(start + 128);
}

/// AAD of an item: table name, item key and DEK id (aws-behaviour.md #91), as
/// `table | 0x00 | "I" item_le64 | "D" dek_le32`.
pub fn item_aad(table: &str, item: ItemId, dek: DekId) -> AadBuf {
    let mut b = AadBuf::new();
    b.push(table.as_bytes());
    b.push(b"\0I");
    b.push(&item.0.to_le_bytes());
    b.push(b"D");
    b.push(&dek.0.to_le_bytes());
    b
}

#[cfg(test)]
mod item_text_tests {
    use super::*;

    #[test]
    fn item_text_is_the_documented_json() {
        for id in [0u64, 7, 42, 1_234_567, 12_345_678, u64::MAX] {
            let expected = format!("{{\"pk\":\"{}\",\"qty\":{}}}", ItemId(id), id % 97);
            assert_eq!(item_plaintext(ItemId(id)).as_bytes(), expected.as_bytes());
        }
    }
}
