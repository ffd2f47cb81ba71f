//! The synchronisation primitives of the background refiller ([`BackgroundRing`]):
//! `std`'s in every normal build, loom's model-checked stand-ins under `--cfg loom`
//! (`tests/loom_ring.rs` explores every interleaving of the refiller handshake).
//!
//! [`BackgroundRing`]: crate::noise::BackgroundRing

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread;

#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread;
