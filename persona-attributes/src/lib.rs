#![doc = include_str!("../README.md")]

pub mod aliases;
pub mod behavioral;
pub mod category;
pub mod cultural;
pub mod demographics;
pub mod health;
mod keywords;
pub mod life_history;
pub mod political;
pub mod preferences;
pub mod processor;
pub mod psychographics;
mod rich;
mod text;
pub mod timestamp;
pub mod validate;
pub mod vocab;

pub use behavioral::BehavioralTendencies;
pub use cultural::CulturalReligious;
pub use demographics::{Demographics, Location};
pub use health::Health;
pub use life_history::LifeHistory;
pub use political::PoliticalSocial;
pub use preferences::Preferences;
pub use processor::{AnalysisContext, Processor};
pub use psychographics::{Personality, Psychographics};
pub use rich::{CurrentContext, IdentityProfile, Processed, RichAttributes};
pub use timestamp::Timestamp;
pub use validate::{Code, FieldPath, ValidationReport, Violation};
pub use vocab::{Gender, Vocab, Vocabulary};
