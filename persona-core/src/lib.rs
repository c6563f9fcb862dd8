#![doc = include_str!("../README.md")]

pub mod error;
pub mod id;
pub mod jsonl;
mod memory;
pub mod query;
pub mod record;
pub mod store;

pub use error::{BoxError, Error, Result};
pub use id::{Actor, GroupId, IdentityId, Namespace, PersonaId, Version};
pub use memory::MemoryStore;
pub use query::{Cursor, Direction, Facet, FacetCounts, Filter, ListRequest, Page, Query, SortKey};
pub use record::{AnyRecord, Group, Identity, Kind, Persona, Record};
pub use store::{
    Action, AuditEntry, AuditQuery, Batch, Capabilities, Health, HistoryEntry, Records, Store,
    StoreExt, Tombstone, VersionInfo, WriteMode,
};

/// The attribute model, re-exported so one dependency is enough.
pub use persona_attributes as attributes;
