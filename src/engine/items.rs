//! A table's items, sealed in the background while the first frame is drawn.
//!
//! Building a table draws every random byte in the RNG's order (DEK keys, their wrapping
//! nonces, the items' nonces) at once, so the world is the same however long sealing takes;
//! only the AES-GCM sealing of the items, which depends on nothing else, runs on a worker
//! thread. Anything that needs an item's ciphertext (a read, a backup, the audit) waits for the
//! worker at that moment; the count and the first item (what the panels show) never wait.

use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use super::crypto::SealedItem;
use super::ids::DekId;

/// An item as stored: ciphertext under its DEK. Its plaintext is `binding::item_plaintext`.
#[derive(Clone, Debug)]
pub struct Item {
    pub(in crate::engine) dek: DekId,
    pub(in crate::engine) sealed: SealedItem,
}

impl Item {
    /// A write this copy of a global table never received (its replica was inaccessible or
    /// removed when it was made): a hole in the item numbering, read as "no such item".
    pub const ABSENT: DekId = DekId(u32::MAX);

    pub fn is_absent(&self) -> bool {
        self.dek == Self::ABSENT
    }

    pub fn sealed(&self) -> &SealedItem {
        &self.sealed
    }
}

/// The items of one table: ready, or being sealed by a worker thread.
#[derive(Default)]
pub struct Items {
    ready: OnceLock<Vec<Item>>,
    worker: Mutex<Option<JoinHandle<Vec<Item>>>>,
    /// While the worker runs: how many items it seals, and the first, sealed at once.
    pending_len: usize,
    pending_first: Option<Item>,
}

impl Items {
    /// Items sealed by `worker`: `len` of them, the first already sealed as `first`.
    pub(in crate::engine) fn sealing(
        len: usize,
        first: Option<Item>,
        worker: JoinHandle<Vec<Item>>,
    ) -> Self {
        Self {
            ready: OnceLock::new(),
            worker: Mutex::new(Some(worker)),
            pending_len: len,
            pending_first: first,
        }
    }

    /// How many items (never waits for the worker).
    pub fn len(&self) -> usize {
        self.ready.get().map_or(self.pending_len, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first item (never waits for the worker).
    pub fn first(&self) -> Option<&Item> {
        match self.ready.get() {
            Some(v) => v.first(),
            None => self.pending_first.as_ref(),
        }
    }

    /// Every item, waiting for the worker if it is still sealing.
    pub fn all(&self) -> &[Item] {
        self.ready.get_or_init(|| {
            let worker = self
                .worker
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            match worker.map(JoinHandle::join) {
                Some(Ok(items)) => items,
                // The worker only seals; if it panicked, so does the caller, with its message.
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => Vec::new(),
            }
        })
    }

    /// The items to change (a write appends, a replica pads), once the worker is done.
    pub(in crate::engine) fn vec_mut(&mut self) -> &mut Vec<Item> {
        self.all();
        self.ready.get_mut().expect("all() filled it")
    }
}

impl From<Vec<Item>> for Items {
    fn from(v: Vec<Item>) -> Self {
        Self {
            ready: OnceLock::from(v),
            ..Self::default()
        }
    }
}

impl std::ops::Deref for Items {
    type Target = [Item];

    fn deref(&self) -> &[Item] {
        self.all()
    }
}

impl Clone for Items {
    fn clone(&self) -> Self {
        Self::from(self.all().to_vec())
    }
}

impl std::fmt::Debug for Items {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ready.get() {
            Some(v) => write!(f, "Items({} sealed)", v.len()),
            None => write!(f, "Items({} being sealed)", self.pending_len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(d: u32) -> Item {
        Item {
            dek: DekId(d),
            sealed: SealedItem {
                nonce: [d as u8; 12],
                tag: [0; 16],
                len: 1,
                ct: [0; crate::engine::crypto::ITEM_MAX],
            },
        }
    }

    #[test]
    fn count_and_first_do_not_wait_and_all_waits_for_the_worker() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            // Held until the test has looked at the count and the first item.
            rx.recv().ok();
            (0..5).map(item).collect()
        });
        let mut items = Items::sealing(5, Some(item(0)), worker);
        assert_eq!(items.len(), 5);
        assert_eq!(items.first().map(|i| i.dek), Some(DekId(0)));
        tx.send(()).unwrap();
        assert_eq!(items.all().len(), 5);
        assert_eq!(items[4].dek, DekId(4));
        items.vec_mut().push(item(9));
        assert_eq!(items.len(), 6);
        assert_eq!(items.clone().len(), 6);
    }

    #[test]
    fn a_ready_list_is_used_as_it_is() {
        let items = Items::from(vec![item(3)]);
        assert_eq!(items.len(), 1);
        assert_eq!(items.first().map(|i| i.dek), Some(DekId(3)));
        assert!(Items::default().is_empty());
    }
}
