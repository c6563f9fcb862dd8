//! Validation reports: every violation with its full path, a stable code and a readable message.
//!
//! Validators never stop at the first problem and never panic. Paths are built lazily with
//! [`FieldPath`], a borrowed chain of segments, so a valid value costs no allocation.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::vocab::{Vocab, Vocabulary};

/// A stable, machine-readable violation code. Codes never change meaning between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Code {
    /// A required value is missing or blank.
    Required,
    /// A string is longer than its cap (counted in characters).
    TooLong,
    /// A list or map has more entries than its cap.
    TooManyItems,
    /// A number is outside its bounds.
    OutOfRange,
    /// A string is not a value of its vocabulary.
    NotInVocabulary,
    /// A string does not have the required shape (timezone, id, namespace).
    InvalidFormat,
    /// A reference names a record that does not exist.
    InvalidReference,
    /// Two related values are in the wrong order (an end before its start).
    InvalidOrder,
}

impl Code {
    /// The wire name, e.g. `"not_in_vocabulary"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Required => "required",
            Code::TooLong => "too_long",
            Code::TooManyItems => "too_many_items",
            Code::OutOfRange => "out_of_range",
            Code::NotInVocabulary => "not_in_vocabulary",
            Code::InvalidFormat => "invalid_format",
            Code::InvalidReference => "invalid_reference",
            Code::InvalidOrder => "invalid_order",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule.
///
/// Messages name the rule and its bounds or allowed values, never the offending value itself, so a
/// report can be logged without leaking personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Full path of the field, e.g. `rich_attributes.life_history.major_events[3].impact`.
    pub path: String,
    /// The rule that was broken.
    pub code: Code,
    /// A human-readable explanation naming the allowed values or bounds.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.code)
    }
}

/// Every violation found in a value, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ValidationReport {
    violations: Vec<Violation>,
}

impl ValidationReport {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when nothing is wrong.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }

    /// Number of violations.
    pub fn len(&self) -> usize {
        self.violations.len()
    }

    /// True when there are no violations (same as [`is_valid`](Self::is_valid)).
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// The violations.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Iterates over the violations.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.violations.iter()
    }

    /// Records a violation at `at`.
    pub fn push(&mut self, at: &FieldPath<'_>, code: Code, message: impl Into<String>) {
        self.violations.push(Violation {
            path: at.to_string(),
            code,
            message: message.into(),
        });
    }

    /// Appends every violation of `other`.
    pub fn extend(&mut self, other: ValidationReport) {
        self.violations.extend(other.violations);
    }

    /// `Ok(())` when valid, else the report itself.
    ///
    /// # Errors
    /// Returns `self` when it holds at least one violation.
    pub fn into_result(self) -> Result<(), ValidationReport> {
        if self.is_valid() { Ok(()) } else { Err(self) }
    }
}

impl IntoIterator for ValidationReport {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.violations.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValidationReport {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.violations.iter()
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.violations.len() {
            0 => f.write_str("valid"),
            n => {
                write!(f, "{n} violation{}", if n == 1 { "" } else { "s" })?;
                for violation in &self.violations {
                    write!(f, "\n  - {violation}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ValidationReport {}

/// A field path built from borrowed segments; rendered only when a violation is recorded.
#[derive(Debug, Clone, Copy)]
pub struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    segment: Segment<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Segment<'a> {
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

impl<'a> FieldPath<'a> {
    /// A top-level path, e.g. `FieldPath::root("rich_attributes")`.
    pub const fn root(name: &'a str) -> Self {
        FieldPath {
            parent: None,
            segment: Segment::Field(name),
        }
    }

    /// `self.name`.
    pub fn field(&'a self, name: &'a str) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            segment: Segment::Field(name),
        }
    }

    /// `self[index]`.
    pub fn index(&'a self, index: usize) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    /// `self["key"]` for map entries.
    pub fn key(&'a self, key: &'a str) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.segment {
            Segment::Field(name) if self.parent.is_some() => write!(f, ".{name}"),
            Segment::Field(name) => f.write_str(name),
            Segment::Index(index) => write!(f, "[{index}]"),
            Segment::Key(key) => write!(f, "[{key:?}]"),
        }
    }
}

/// Reusable rule checks shared by the processors and by `persona-core`.
pub mod rules {
    use super::*;

    /// `value` must hold a non-whitespace character.
    pub fn required(value: &str, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if value.trim().is_empty() {
            report.push(at, Code::Required, "is required and must not be blank");
        }
    }

    /// `value` must have at most `max` characters (Unicode scalar values, not bytes).
    pub fn max_chars(value: &str, max: usize, at: &FieldPath<'_>, report: &mut ValidationReport) {
        // Byte length bounds the char count from above: most values skip the count entirely.
        if value.len() > max && value.chars().count() > max {
            report.push(
                at,
                Code::TooLong,
                format!("must be at most {max} characters"),
            );
        }
    }

    /// A list or map must have at most `max` entries.
    pub fn max_items(len: usize, max: usize, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if len > max {
            report.push(
                at,
                Code::TooManyItems,
                format!("must have at most {max} items"),
            );
        }
    }

    /// Every item of `items` must have at most `max` characters; reports each offending item.
    pub fn each_max_chars(
        items: &[String],
        max: usize,
        at: &FieldPath<'_>,
        report: &mut ValidationReport,
    ) {
        for (index, item) in items.iter().enumerate() {
            max_chars(item, max, &at.index(index), report);
        }
    }

    /// An integer must lie in `min..=max`.
    pub fn int_range(
        value: i64,
        min: i64,
        max: i64,
        at: &FieldPath<'_>,
        report: &mut ValidationReport,
    ) {
        if value < min || value > max {
            report.push(
                at,
                Code::OutOfRange,
                format!("must be between {min} and {max}"),
            );
        }
    }

    /// A float must be finite and lie in `min..=max`.
    pub fn float_range(
        value: f64,
        min: f64,
        max: f64,
        at: &FieldPath<'_>,
        report: &mut ValidationReport,
    ) {
        if !(value >= min && value <= max) {
            report.push(
                at,
                Code::OutOfRange,
                format!("must be between {min:.1} and {max:.1}"),
            );
        }
    }

    /// A vocabulary value must be known; blank values count as unset and pass.
    pub fn vocabulary<T: Vocabulary>(
        value: &Vocab<T>,
        at: &FieldPath<'_>,
        report: &mut ValidationReport,
    ) {
        if let Vocab::Unknown(raw) = value
            && !raw.trim().is_empty()
        {
            report.push(at, Code::NotInVocabulary, not_in_vocabulary_message::<T>());
        }
    }

    /// The message for a value outside `T`'s vocabulary, naming every allowed value.
    pub fn not_in_vocabulary_message<T: Vocabulary>() -> String {
        format!("must be one of: {}", T::VALUES.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_fully() {
        let root = FieldPath::root("rich_attributes");
        let life = root.field("life_history");
        let events = life.field("major_events");
        let third = events.index(3);
        let impact = third.field("impact");
        assert_eq!(
            impact.to_string(),
            "rich_attributes.life_history.major_events[3].impact"
        );
        let context = FieldPath::root("context");
        assert_eq!(context.key("a b").to_string(), "context[\"a b\"]");
    }

    #[test]
    fn char_caps_count_characters() {
        let mut report = ValidationReport::new();
        let at = FieldPath::root("name");
        rules::max_chars(&"é".repeat(100), 100, &at, &mut report);
        assert!(report.is_valid());
        rules::max_chars(&"é".repeat(101), 100, &at, &mut report);
        assert_eq!(report.violations()[0].code, Code::TooLong);
    }
}
