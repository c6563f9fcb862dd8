//! The processor contract every category implements: normalize, validate, analyze.

use std::fmt::Debug;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::validate::{FieldPath, ValidationReport};

/// Inputs to analysis that must not be hidden globals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisContext {
    /// The date ages and generation cohorts are computed against. The reference hard-coded 2024.
    pub reference_date: NaiveDate,
}

impl AnalysisContext {
    /// Analysis as of `reference_date`.
    pub const fn at(reference_date: NaiveDate) -> Self {
        AnalysisContext { reference_date }
    }
}

impl Default for AnalysisContext {
    /// Analysis as of today (UTC).
    fn default() -> Self {
        AnalysisContext {
            reference_date: Utc::now().date_naive(),
        }
    }
}

/// One attribute category's processor.
///
/// The three steps can be used alone; [`RichAttributes::process`](crate::RichAttributes::process)
/// runs all of them over every present category.
pub trait Processor {
    /// The category's wire name, e.g. `"demographics"`.
    const CATEGORY: &'static str;

    /// The typed result of [`analyze`](Self::analyze).
    type Profile: Serialize + Debug + Clone + PartialEq;

    /// Canonicalises the value in place: trims text, maps vocabulary aliases, drops empty list items
    /// and duplicates. Idempotent.
    fn normalize(&mut self);

    /// Appends every violation to `report`, with paths under `at`. Never panics.
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport);

    /// Every violation, with paths under `rich_attributes.<category>`.
    fn validate(&self) -> ValidationReport {
        let root = FieldPath::root("rich_attributes");
        let at = root.field(Self::CATEGORY);
        let mut report = ValidationReport::new();
        self.validate_into(&at, &mut report);
        report
    }

    /// The derived profile. Never panics, whatever the value (valid or not).
    fn analyze(&self, context: &AnalysisContext) -> Self::Profile;
}
