//! An append-only list whose clones share everything but the newest chunk.
//!
//! The event log grows with every request for as long as a session lasts, and step-back keeps
//! earlier copies of the world. With a plain `Vec` each copy would repeat the whole log
//! (O(n) per copy, O(n²) per session); here full chunks are frozen behind `Arc`s, so a copy
//! costs one pointer per chunk plus at most one chunk of events.

use std::ops::{Index, Range};
use std::sync::Arc;

/// Events per frozen chunk.
const CHUNK: usize = 1024;

/// An append-only sequence with cheap clones (see the module docs).
#[derive(Debug)]
pub struct Chunked<T> {
    frozen: Vec<Arc<[T]>>,
    tail: Vec<T>,
}

impl<T: Clone> Clone for Chunked<T> {
    fn clone(&self) -> Self {
        let mut tail = Vec::with_capacity(CHUNK);
        tail.extend_from_slice(&self.tail);
        Self {
            frozen: self.frozen.clone(),
            tail,
        }
    }
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Self {
            frozen: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T> Chunked<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, value: T) {
        if self.tail.capacity() == 0 {
            self.tail.reserve_exact(CHUNK);
        }
        self.tail.push(value);
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.frozen.push(Arc::from(full));
        }
    }

    pub fn len(&self) -> usize {
        self.frozen.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        let (chunk, at) = (i / CHUNK, i % CHUNK);
        match self.frozen.get(chunk) {
            Some(c) => c.get(at),
            None if chunk == self.frozen.len() => self.tail.get(at),
            None => None,
        }
    }

    pub fn last(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Every element, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.frozen
            .iter()
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
    }

    /// The elements in `range` (clamped to the length), oldest first.
    pub fn range(&self, range: Range<usize>) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        (start..end).filter_map(move |i| self.get(i))
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(v) => v,
            None => panic!("index {i} out of range for a log of {}", self.len()),
        }
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Box<dyn DoubleEndedIterator<Item = &'a T> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_across_chunk_borders() {
        let mut c = Chunked::new();
        let mut v = Vec::new();
        for i in 0..(3 * CHUNK + 7) {
            c.push(i);
            v.push(i);
            assert_eq!(c.len(), v.len());
            assert_eq!(c.last(), v.last());
        }
        assert!(c.iter().eq(v.iter()));
        assert!(c.iter().rev().eq(v.iter().rev()));
        assert!(c.range(1000..2100).eq(v[1000..2100].iter()));
        assert!(c.range(5..1_000_000).eq(v[5..].iter()));
        assert_eq!(c[CHUNK], CHUNK);
        assert_eq!(c.get(v.len()), None);
    }

    #[test]
    fn clones_share_frozen_chunks() {
        let mut c = Chunked::new();
        for i in 0..=(2 * CHUNK) {
            c.push(i);
        }
        let d = c.clone();
        assert!(Arc::ptr_eq(&c.frozen[0], &d.frozen[0]));
        c.push(9);
        assert_eq!(d.len() + 1, c.len());
    }
}
