//! The engine's one seeded RNG: ChaCha12 (what `StdRng` is), cloneable so a whole engine can
//! be snapshotted for exact step-back.

use std::ops::{Deref, DerefMut};

use rand::SeedableRng;
use rand::rngs::ChaCha12Rng;

/// A seeded ChaCha12 stream; `Deref` to the generator gives it `rand::Rng`.
#[derive(Debug)]
pub struct SimRng(ChaCha12Rng);

impl SimRng {
    pub fn seed_from_u64(seed: u64) -> Self {
        Self(ChaCha12Rng::seed_from_u64(seed))
    }
}

impl Clone for SimRng {
    fn clone(&self) -> Self {
        // Same key, stream and position: the clone produces exactly the same numbers.
        Self(ChaCha12Rng::deserialize_state(&self.0.serialize_state()))
    }
}

impl Deref for SimRng {
    type Target = ChaCha12Rng;
    fn deref(&self) -> &ChaCha12Rng {
        &self.0
    }
}

impl DerefMut for SimRng {
    fn deref_mut(&mut self) -> &mut ChaCha12Rng {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn clone_continues_the_same_stream() {
        let mut a = SimRng::seed_from_u64(7);
        let _ = a.next_u64();
        let mut b = a.clone();
        assert_eq!(a.next_u64(), b.next_u64());
        let mut x = [0u8; 13];
        let mut y = [0u8; 13];
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_eq!(x, y);
    }
}
