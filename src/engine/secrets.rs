//! Where plaintext key material lives, and how a step-back snapshot sheds it.
//!
//! A live engine holds key bytes in four places: each KMS key's material versions, each
//! connection's cached table key, the re-wrap job's copies of its two table keys and, for a
//! global table's copies, DynamoDB's copy of each one's table key for replicated writes (as
//! AES-GCM instances). A snapshot kept for step-back holds none of them: `strip_secrets` drops
//! them all (the buffers are zeroized on drop), and `restore_secrets` re-derives them from the
//! seed (material) and the wrapped blobs (table keys) when the snapshot is used again. So a
//! key destroyed in the live world is not kept alive by the history.

use super::Engine;
use super::crypto;
use super::table::table_key_aad;

impl Engine {
    /// Drop every plaintext key byte this engine holds (for a snapshot).
    pub(crate) fn strip_secrets(&mut self) {
        for k in &mut self.kms.keys {
            k.strip_material();
        }
        for t in &mut self.dynamo.tables {
            for e in &mut t.cache {
                if let Some(h) = e.held.as_mut() {
                    h.bytes = None;
                }
            }
            if let Some(job) = t.job.as_mut() {
                for slot in [&mut job.old_plain, &mut job.new_plain]
                    .into_iter()
                    .flatten()
                {
                    slot.cipher = None;
                    slot.batch = None;
                }
            }
            if let Some(k) = t.replication_key.as_mut() {
                k.cipher = None;
            }
        }
    }

    /// Re-derive what `strip_secrets` dropped: material from the seed, cached and job table
    /// keys by decrypting their wrapped blobs with that material (whatever the key's state
    /// now: this rebuilds a past moment, it is not a KMS call).
    pub(crate) fn restore_secrets(&mut self) {
        for k in &mut self.kms.keys {
            k.restore_material();
        }
        for ti in 0..self.dynamo.tables.len() {
            let table = &self.dynamo.tables[ti];
            let plain = |tk| {
                let wrapped = &table.table_key(tk).wrapped;
                let key = self.kms.keys.iter().find(|k| k.id == wrapped.key)?;
                key.rederive_plaintext(wrapped, &table_key_aad(&table.context, tk))
            };
            let cached: Vec<_> = table
                .cache
                .iter()
                .map(|e| e.held.as_ref().and_then(|h| plain(h.table_key)))
                .collect();
            let job: Vec<_> = table
                .job
                .iter()
                .flat_map(|j| [&j.old_plain, &j.new_plain])
                .map(|s| s.as_ref().and_then(|k| plain(k.table_key)))
                .collect();
            let replication = table
                .replication_key
                .as_ref()
                .and_then(|k| plain(k.table_key));
            let table = &mut self.dynamo.tables[ti];
            for (e, bytes) in table.cache.iter_mut().zip(cached) {
                if let Some(h) = e.held.as_mut() {
                    h.bytes = bytes;
                }
            }
            if let Some(j) = table.job.as_mut() {
                for (slot, bytes) in [&mut j.old_plain, &mut j.new_plain].into_iter().zip(job) {
                    if let Some(s) = slot.as_mut() {
                        s.batch = bytes
                            .as_ref()
                            .map(|b| super::crypto_batch::BatchKey::new(b));
                        s.cipher = bytes.map(|b| crypto::cipher(&b));
                    }
                }
            }
            if let Some(k) = table.replication_key.as_mut() {
                k.cipher = replication.map(|b| crypto::cipher(&b));
            }
        }
    }
}
