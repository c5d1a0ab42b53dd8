//! Answers computed from one snapshot, kept with it: a repeat of a common recent read (the
//! serialised `entries.json?count=288`, `/pebble`, `/api/v2/properties`) is a copy of bytes, not a
//! new computation. A new snapshot starts empty, so nothing outlives the data it came from.

use std::any::Any;
use std::sync::{Arc, Mutex};

/// At most this many answers per snapshot (keys carry request parameters, like `count`).
const MAX_KEYS: usize = 32;

type Slot = (String, Arc<dyn Any + Send + Sync>);

/// Answers of one snapshot, by key.
#[derive(Default)]
pub struct Memo(Mutex<Vec<Slot>>);

impl Memo {
    /// The answer kept under `key`, if it is a `T`.
    pub fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let slots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (_, v) = slots.iter().find(|(k, _)| k == key)?;
        v.clone().downcast::<T>().ok()
    }

    /// Keeps `value` under `key` (replacing what was there; the oldest goes when full).
    pub fn put<T: Any + Send + Sync>(&self, key: &str, value: Arc<T>) {
        let mut slots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        slots.retain(|(k, _)| k != key);
        if slots.len() >= MAX_KEYS {
            slots.remove(0);
        }
        slots.push((key.to_owned(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_found_by_key_and_type_and_the_oldest_goes_when_full() {
        let memo = Memo::default();
        memo.put("a", Arc::new(1u32));
        assert_eq!(memo.get::<u32>("a").as_deref(), Some(&1));
        assert!(memo.get::<String>("a").is_none(), "another type under the same key");
        memo.put("a", Arc::new(2u32));
        assert_eq!(memo.get::<u32>("a").as_deref(), Some(&2));
        for i in 0..MAX_KEYS {
            memo.put(&format!("k{i}"), Arc::new(i));
        }
        assert!(memo.get::<u32>("a").is_none(), "the oldest went");
        assert_eq!(memo.get::<usize>(&format!("k{}", MAX_KEYS - 1)).as_deref(), Some(&(MAX_KEYS - 1)));
    }
}
