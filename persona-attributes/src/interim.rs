//! INTERIM: minimal processor impls so dependants compile; replaced by the real processors.
#![allow(missing_docs)]

use serde::Serialize;

use crate::processor::{AnalysisContext, Processor};
use crate::validate::{FieldPath, ValidationReport};

macro_rules! interim {
    ($($ty:path => $profile:ident, $name:literal;)+) => {$(
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct $profile {}
        impl Processor for $ty {
            const CATEGORY: &'static str = $name;
            type Profile = $profile;
            fn normalize(&mut self) {}
            fn validate_into(&self, _at: &FieldPath<'_>, _report: &mut ValidationReport) {}
            fn analyze(&self, _context: &AnalysisContext) -> $profile { $profile {} }
        }
    )+};
}

interim! {
    crate::behavioral::BehavioralTendencies => BehavioralProfile, "behavioral_tendencies";
}
