//! Life history: traumas, major events, education and career (reference §2.5).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::category::{Amount, Categories};
use crate::keywords::{self, KeywordTable};
use crate::processor::{AnalysisContext, Processor};
use crate::psychographics::Level;
use crate::text;
use crate::timestamp::{Timestamp, proto};
use crate::validate::{Code, FieldPath, ValidationReport, rules};
use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Kind of a life event.
    EventType as "event_type" {
        Birth = "birth",
        Death = "death",
        Marriage = "marriage",
        Divorce = "divorce",
        Graduation = "graduation",
        JobChange = "job-change",
        Relocation = "relocation",
        Illness = "illness",
        Accident = "accident",
        Achievement = "achievement",
        Loss = "loss",
        Trauma = "trauma",
        Milestone = "milestone",
        Relationship = "relationship",
        Family = "family",
        Career = "career",
        Education = "education",
        Health = "health",
    }
}

vocabulary! {
    /// How much a life event changed a person.
    Impact as "impact" {
        VeryLow = "very-low",
        Low = "low",
        Moderate = "moderate",
        High = "high",
        VeryHigh = "very-high",
        LifeChanging = "life-changing",
    }
}

vocabulary! {
    /// Level of one education entry.
    EducationLevel as "education_level" {
        Elementary = "elementary",
        MiddleSchool = "middle-school",
        HighSchool = "high-school",
        Ged = "ged",
        SomeCollege = "some-college",
        Associate = "associate",
        Bachelor = "bachelor",
        Master = "master",
        Doctorate = "doctorate",
        Professional = "professional",
        Certificate = "certificate",
        Diploma = "diploma",
        TradeSchool = "trade-school",
        Bootcamp = "bootcamp",
        OnlineCourse = "online-course",
    }
}

vocabulary! {
    /// Industry of a career entry.
    Industry as "industry" {
        Technology = "technology",
        Healthcare = "healthcare",
        Finance = "finance",
        Education = "education",
        Retail = "retail",
        Manufacturing = "manufacturing",
        Construction = "construction",
        Transportation = "transportation",
        Hospitality = "hospitality",
        Entertainment = "entertainment",
        Media = "media",
        Government = "government",
        Nonprofit = "nonprofit",
        Consulting = "consulting",
        Legal = "legal",
        RealEstate = "real-estate",
        Agriculture = "agriculture",
        Energy = "energy",
        Telecommunications = "telecommunications",
        Automotive = "automotive",
        Aerospace = "aerospace",
        Pharmaceutical = "pharmaceutical",
        Biotechnology = "biotechnology",
        FoodService = "food-service",
        Logistics = "logistics",
        Insurance = "insurance",
        Banking = "banking",
        Other = "other",
    }
}

/// What has happened to a person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifeHistory {
    /// Childhood traumas (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub childhood_traumas: Vec<String>,
    /// Adult traumas (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adult_traumas: Vec<String>,
    /// Major life events (at most 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub major_events: Vec<LifeEvent>,
    /// Education entries (at most 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub education_history: Vec<EducationEntry>,
    /// Career entries (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub career_history: Vec<CareerEntry>,
}

/// One major life event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifeEvent {
    /// Kind of event. Analysis falls back to [`event_type`](Self::event_type) when absent.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Vocab<EventType>>,
    /// What happened (at most 500 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Age at the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<i32>,
    /// When it happened.
    #[serde(with = "proto", skip_serializing_if = "Option::is_none")]
    pub date: Option<Timestamp>,
    /// How much it changed the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Vocab<Impact>>,
    /// Alternative name of [`kind`](Self::kind) used by some writers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<Vocab<EventType>>,
    /// Alternative name of [`age`](Self::age) used by some writers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_at_event: Option<i32>,
    /// Calendar year of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

/// One education entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EducationEntry {
    /// Level attained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Vocab<EducationLevel>>,
    /// Field (at most 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Institution (at most 150 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// Graduation date.
    #[serde(with = "proto", skip_serializing_if = "Option::is_none")]
    pub graduation: Option<Timestamp>,
    /// Performance (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance: Option<String>,
    /// Field of study (alternative to [`field`](Self::field)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_of_study: Option<String>,
    /// First year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    /// Last year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_year: Option<i32>,
    /// Whether it was completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// Grade point average.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpa: Option<f64>,
}

/// One career entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CareerEntry {
    /// Title (at most 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Industry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<Vocab<Industry>>,
    /// Company (at most 150 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Start date.
    #[serde(with = "proto", skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Timestamp>,
    /// End date.
    #[serde(with = "proto", skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Timestamp>,
    /// Whether this is the current position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current: Option<bool>,
    /// Salary (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salary: Option<String>,
    /// Job title (alternative to [`title`](Self::title)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// First year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    /// Last year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_year: Option<i32>,
    /// Description (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Caps of the reference model.
mod caps {
    pub(super) const TRAUMAS: usize = 15;
    pub(super) const EVENTS: usize = 25;
    pub(super) const EDUCATION: usize = 10;
    pub(super) const CAREER: usize = 15;
    pub(super) const DESCRIPTION: usize = 500;
    pub(super) const FIELD: usize = 100;
    pub(super) const INSTITUTION: usize = 150;
    pub(super) const TITLE: usize = 100;
    pub(super) const COMPANY: usize = 150;
    pub(super) const MAX_AGE: i64 = 150;
    pub(super) const MAX_GPA: f64 = 5.0;
}

impl LifeEvent {
    /// The event's kind: [`kind`](Self::kind) (`type`), falling back to
    /// [`event_type`](Self::event_type), when it is a vocabulary value.
    pub fn event_kind(&self) -> Option<EventType> {
        let known = |v: &Option<Vocab<EventType>>| v.as_ref().and_then(Vocab::known).copied();
        known(&self.kind).or_else(|| known(&self.event_type))
    }

    /// The age at the event: [`age`](Self::age), falling back to
    /// [`age_at_event`](Self::age_at_event).
    pub fn event_age(&self) -> Option<i32> {
        self.age.or(self.age_at_event)
    }
}

impl EducationEntry {
    /// The field of study: [`field`](Self::field), falling back to
    /// [`field_of_study`](Self::field_of_study); blank counts as unset.
    pub fn field_name(&self) -> Option<&str> {
        non_blank(&self.field).or_else(|| non_blank(&self.field_of_study))
    }
}

impl CareerEntry {
    /// The job title: [`title`](Self::title), falling back to [`job_title`](Self::job_title);
    /// blank counts as unset.
    pub fn title_name(&self) -> Option<&str> {
        non_blank(&self.title).or_else(|| non_blank(&self.job_title))
    }
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Whole years from `start_year` to `end_year` when both are given and in order.
fn span(start: Option<i32>, end: Option<i32>) -> Option<i64> {
    let years = i64::from(end?) - i64::from(start?);
    (years >= 0).then_some(years)
}

fn check_order(
    start: Option<i32>,
    end: Option<i32>,
    at: &FieldPath<'_>,
    report: &mut ValidationReport,
) {
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        report.push(
            &at.field("end_year"),
            Code::InvalidOrder,
            "must not be before start_year",
        );
    }
}

fn check_age(age: Option<i32>, at: &FieldPath<'_>, report: &mut ValidationReport) {
    if let Some(age) = age {
        rules::int_range(age.into(), 0, caps::MAX_AGE, at, report);
    }
}

fn check_text(
    value: &Option<String>,
    max: usize,
    at: &FieldPath<'_>,
    report: &mut ValidationReport,
) {
    if let Some(value) = value {
        rules::max_chars(value, max, at, report);
    }
}

impl LifeEvent {
    fn normalize(&mut self) {
        text::vocab(&mut self.kind);
        text::text(&mut self.description);
        text::vocab(&mut self.impact);
        text::vocab(&mut self.event_type);
    }

    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(kind) = &self.kind {
            rules::vocabulary(kind, &at.field("type"), report);
        }
        check_text(
            &self.description,
            caps::DESCRIPTION,
            &at.field("description"),
            report,
        );
        check_age(self.age, &at.field("age"), report);
        if let Some(impact) = &self.impact {
            rules::vocabulary(impact, &at.field("impact"), report);
        }
        if let Some(kind) = &self.event_type {
            rules::vocabulary(kind, &at.field("event_type"), report);
        }
        check_age(self.age_at_event, &at.field("age_at_event"), report);
    }
}

impl EducationEntry {
    fn normalize(&mut self) {
        text::vocab(&mut self.level);
        text::text(&mut self.field);
        text::text(&mut self.institution);
        text::text(&mut self.performance);
        text::text(&mut self.field_of_study);
    }

    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(level) = &self.level {
            rules::vocabulary(level, &at.field("level"), report);
        }
        check_text(&self.field, caps::FIELD, &at.field("field"), report);
        check_text(
            &self.institution,
            caps::INSTITUTION,
            &at.field("institution"),
            report,
        );
        check_text(
            &self.field_of_study,
            caps::FIELD,
            &at.field("field_of_study"),
            report,
        );
        check_order(self.start_year, self.end_year, at, report);
        if let Some(gpa) = self.gpa {
            rules::float_range(gpa, 0.0, caps::MAX_GPA, &at.field("gpa"), report);
        }
    }
}

impl CareerEntry {
    fn normalize(&mut self) {
        text::text(&mut self.title);
        text::vocab(&mut self.industry);
        text::text(&mut self.company);
        text::text(&mut self.salary);
        text::text(&mut self.job_title);
        text::text(&mut self.description);
    }

    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        check_text(&self.title, caps::TITLE, &at.field("title"), report);
        if let Some(industry) = &self.industry {
            rules::vocabulary(industry, &at.field("industry"), report);
        }
        check_text(&self.company, caps::COMPANY, &at.field("company"), report);
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && end < start
        {
            report.push(
                &at.field("end_date"),
                Code::InvalidOrder,
                "must not be before start_date",
            );
        }
        check_text(&self.job_title, caps::TITLE, &at.field("job_title"), report);
        check_order(self.start_year, self.end_year, at, report);
    }
}

/// Trauma categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraumaCategory {
    /// abuse, neglect, violence, bullying
    Interpersonal,
    /// death, loss, separation, divorce
    Loss,
    /// accident, injury, illness, surgery
    Physical,
    /// poverty, homelessness, war, disaster
    Environmental,
    /// addiction, alcoholism
    Substance,
    /// Anything else.
    Other,
}

static TRAUMA_CATEGORIES: KeywordTable<TraumaCategory> = KeywordTable::new(
    TraumaCategory::Other,
    &[
        (
            TraumaCategory::Interpersonal,
            &["abuse", "neglect", "violence", "bullying"],
        ),
        (
            TraumaCategory::Loss,
            &["death", "loss", "separation", "divorce"],
        ),
        (
            TraumaCategory::Physical,
            &["accident", "injury", "illness", "surgery"],
        ),
        (
            TraumaCategory::Environmental,
            &["poverty", "homelessness", "war", "disaster"],
        ),
        (TraumaCategory::Substance, &["addiction", "alcoholism"]),
    ],
);

/// Severity of one trauma list, by count: 0 none, ≤2 mild, ≤4 moderate, ≤7 severe, else extreme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraumaSeverity {
    /// No traumas.
    None,
    /// 1–2.
    Mild,
    /// 3–4.
    Moderate,
    /// 5–7.
    Severe,
    /// 8 or more.
    Extreme,
}

impl TraumaSeverity {
    /// The severity of `count` traumas.
    pub const fn of(count: usize) -> Self {
        match count {
            0 => TraumaSeverity::None,
            1..=2 => TraumaSeverity::Mild,
            3..=4 => TraumaSeverity::Moderate,
            5..=7 => TraumaSeverity::Severe,
            _ => TraumaSeverity::Extreme,
        }
    }
}

/// The trauma part of a [`LifeHistoryProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraumaProfile {
    /// Childhood traumas by category.
    pub childhood_categories: Categories<TraumaCategory>,
    /// Adult traumas by category.
    pub adult_categories: Categories<TraumaCategory>,
    /// Severity of the childhood list.
    pub childhood_severity: TraumaSeverity,
    /// Severity of the adult list.
    pub adult_severity: TraumaSeverity,
    /// Childhood plus adult traumas.
    pub total_trauma_count: usize,
    /// Burden of the total: 0 none, ≤2 low, ≤5 moderate, ≤8 high, else very-high.
    pub trauma_burden: Amount,
}

/// The kind an event is grouped under: its [`EventType`] or, when it has none, `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventCategory {
    /// The event's type (`type`, falling back to `event_type`).
    Type(EventType),
    /// No type, or one outside the vocabulary.
    Other,
}

impl EventCategory {
    /// The category of `event`.
    pub fn of(event: &LifeEvent) -> Self {
        event
            .event_kind()
            .map_or(EventCategory::Other, EventCategory::Type)
    }

    /// The wire name: the type's value, or `other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventCategory::Type(kind) => kind.as_static_str(),
            EventCategory::Other => "other",
        }
    }
}

impl Serialize for EventCategory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A decade of life, serialised as `"20s"`: ages 20–29 are `Decade(20)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Decade(pub u8);

impl Decade {
    /// The decade of a valid age (0–150).
    pub fn of(age: i32) -> Option<Self> {
        u8::try_from(age)
            .ok()
            .filter(|age| i64::from(*age) <= caps::MAX_AGE)
            .map(|age| Decade(age / 10 * 10))
    }
}

impl fmt::Display for Decade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

impl Serialize for Decade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Phase of life at an age: ≤12 childhood, ≤17 adolescence, ≤25 young-adult, ≤40 adult,
/// ≤65 middle-age, else senior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifePhase {
    /// 0–12.
    Childhood,
    /// 13–17.
    Adolescence,
    /// 18–25.
    YoungAdult,
    /// 26–40.
    Adult,
    /// 41–65.
    MiddleAge,
    /// 66 and over.
    Senior,
}

impl LifePhase {
    /// The phase at a valid age (0–150).
    pub fn of(age: i32) -> Option<Self> {
        Some(match age {
            0..=12 => LifePhase::Childhood,
            13..=17 => LifePhase::Adolescence,
            18..=25 => LifePhase::YoungAdult,
            26..=40 => LifePhase::Adult,
            41..=65 => LifePhase::MiddleAge,
            66..=150 => LifePhase::Senior,
            _ => return None,
        })
    }
}

/// The events part of a [`LifeHistoryProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifeEventsProfile {
    /// Event descriptions by event kind (an event without a description contributes `""`).
    pub event_categories: Categories<EventCategory>,
    /// Number of events per impact (vocabulary values only).
    pub impact_distribution: BTreeMap<Impact, usize>,
    /// Event kinds by decade of life.
    pub event_timeline: EventTimeline,
    /// Event kinds by phase of life.
    pub life_phases: Categories<LifePhase, EventCategory>,
}

/// Event kinds by decade of life.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventTimeline {
    /// Kinds of the events with a valid age, by decade.
    pub by_decade: Categories<Decade, EventCategory>,
    /// Number of events.
    pub total_events: usize,
}

/// The education part of a [`LifeHistoryProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EducationProfile {
    /// Number of entries per level (vocabulary values only).
    pub education_levels: BTreeMap<EducationLevel, usize>,
    /// Number of entries per field of study (`field`, falling back to `field_of_study`).
    pub fields_of_study: BTreeMap<String, usize>,
    /// Number of distinct fields of study.
    pub education_diversity: usize,
    /// Sum of `end_year − start_year` over the entries giving both in order (the reference never
    /// computed it and always reported 0).
    pub total_education_years: i64,
    /// Entries with `completed: true` over all entries (the reference counted non-null entries,
    /// so it was always 1.0).
    pub completion_rate: f64,
    /// The highest ranked level (bootcamp and online-course are unranked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest_level: Option<EducationLevel>,
}

impl EducationLevel {
    /// Rank for "highest level": elementary 1, middle-school 2, high-school and ged 3, certificate,
    /// diploma and trade-school 4, some-college 5, associate 6, bachelor 7, master 8,
    /// professional 9, doctorate 10; bootcamp and online-course are unranked.
    pub const fn rank(self) -> Option<u8> {
        use EducationLevel as L;
        Some(match self {
            L::Elementary => 1,
            L::MiddleSchool => 2,
            L::HighSchool | L::Ged => 3,
            L::Certificate | L::Diploma | L::TradeSchool => 4,
            L::SomeCollege => 5,
            L::Associate => 6,
            L::Bachelor => 7,
            L::Master => 8,
            L::Professional => 9,
            L::Doctorate => 10,
            L::Bootcamp | L::OnlineCourse => return None,
        })
    }
}

/// Career stability from the share of past (not current) positions: ≤0.2 very-stable,
/// ≤0.4 stable, ≤0.6 moderate, ≤0.8 unstable, else very-unstable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CareerStability {
    /// Share ≤ 0.2.
    VeryStable,
    /// Share ≤ 0.4.
    Stable,
    /// Share ≤ 0.6.
    Moderate,
    /// Share ≤ 0.8.
    Unstable,
    /// Share > 0.8.
    VeryUnstable,
}

impl CareerStability {
    /// The stability for `job_changes` past positions out of `total`.
    pub fn of(job_changes: usize, total: usize) -> Self {
        let rate = if total == 0 {
            0.0
        } else {
            job_changes as f64 / total as f64
        };
        match rate {
            r if r <= 0.2 => CareerStability::VeryStable,
            r if r <= 0.4 => CareerStability::Stable,
            r if r <= 0.6 => CareerStability::Moderate,
            r if r <= 0.8 => CareerStability::Unstable,
            _ => CareerStability::VeryUnstable,
        }
    }
}

/// The career part of a [`LifeHistoryProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CareerProfile {
    /// Number of entries per industry (vocabulary values only).
    pub industries: BTreeMap<Industry, usize>,
    /// Number of distinct industries.
    pub industry_diversity: usize,
    /// Sum of `end_year − start_year` over the entries giving both in order (the reference always
    /// reported 0).
    pub total_career_years: i64,
    /// Entries that are not current.
    pub job_changes: usize,
    /// Stability from `job_changes` over all entries.
    pub career_stability: CareerStability,
    /// The first current entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_position: Option<CurrentPosition>,
}

/// The current position of a [`CareerProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrentPosition {
    /// Title (`title`, falling back to `job_title`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Industry, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<Industry>,
}

/// Share of growth events: ≥0.6 high, ≥0.4 moderate, else low; unknown without events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrowthOrientation {
    /// No events to judge by.
    Unknown,
    /// Under 40 % growth events.
    Low,
    /// 40 % to 60 %.
    Moderate,
    /// 60 % or more.
    High,
}

/// Tendency towards stability: score ≥3 high, ≥2 moderate, else low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StabilitySeeking {
    /// Score below 2.
    Low,
    /// Score 2.
    Moderate,
    /// Score 3 or more.
    High,
}

/// Complexity from events plus traumas: ≥20 very-complex, ≥15 complex, ≥10 moderate, ≥5 simple,
/// else very-simple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifeComplexity {
    /// Fewer than 5.
    VerySimple,
    /// 5–9.
    Simple,
    /// 10–14.
    Moderate,
    /// 15–19.
    Complex,
    /// 20 or more.
    VeryComplex,
}

impl LifeComplexity {
    /// The complexity of `count` events and traumas.
    pub const fn of(count: usize) -> Self {
        match count {
            20.. => LifeComplexity::VeryComplex,
            15.. => LifeComplexity::Complex,
            10.. => LifeComplexity::Moderate,
            5.. => LifeComplexity::Simple,
            _ => LifeComplexity::VerySimple,
        }
    }
}

/// Patterns across a whole life history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LifePatterns {
    /// +2 for more than 2 education entries, +1 for more than 1 career entry, +2 when there are
    /// traumas and more events than traumas; ≥4 very-high, ≥3 high, ≥2 moderate, ≥1 low.
    pub adaptability: Level,
    /// Share of events of kind achievement, graduation or milestone.
    pub growth_orientation: GrowthOrientation,
    /// +2 for a completion rate ≥ 0.8, +2 when at least half the careers lasted 3 years or more.
    pub stability_seeking: StabilitySeeking,
    /// From the number of events plus traumas.
    pub life_complexity: LifeComplexity,
}

/// Signs of resilience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResilienceIndicator {
    /// Traumas and some education.
    ContinuedEducationDespiteTrauma,
    /// More than one career entry.
    CareerProgression,
    /// Traumas and an achievement or graduation event.
    AchievementsAfterTrauma,
    /// A marriage event.
    LongTermRelationships,
}

/// The analysis of a [`LifeHistory`] (reference `GetLifeHistoryProfile`).
///
/// Every rule reads an event's kind from `type` with `event_type` as the fallback, and its age from
/// `age` with `age_at_event` as the fallback (the reference mixed them: growth orientation and
/// resilience read only `event_type`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifeHistoryProfile {
    /// Present when there are traumas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trauma_profile: Option<TraumaProfile>,
    /// Present when there are events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_events: Option<LifeEventsProfile>,
    /// Present when there are education entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub education_profile: Option<EducationProfile>,
    /// Present when there are career entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub career_profile: Option<CareerProfile>,
    /// Patterns across the whole history.
    pub life_patterns: LifePatterns,
    /// Signs of resilience, in declaration order.
    pub resilience_indicators: Vec<ResilienceIndicator>,
}

impl LifeHistory {
    fn trauma_count(&self) -> usize {
        self.childhood_traumas.len() + self.adult_traumas.len()
    }

    fn trauma_profile(&self) -> Option<TraumaProfile> {
        let total = self.trauma_count();
        (total > 0).then(|| TraumaProfile {
            childhood_categories: keywords::group(&TRAUMA_CATEGORIES, &self.childhood_traumas),
            adult_categories: keywords::group(&TRAUMA_CATEGORIES, &self.adult_traumas),
            childhood_severity: TraumaSeverity::of(self.childhood_traumas.len()),
            adult_severity: TraumaSeverity::of(self.adult_traumas.len()),
            total_trauma_count: total,
            trauma_burden: Amount::bucket(total, 2, 5, 8),
        })
    }

    fn events_profile(&self) -> Option<LifeEventsProfile> {
        if self.major_events.is_empty() {
            return None;
        }
        let mut event_categories = Categories::with_capacity(self.major_events.len());
        let mut impact_distribution = BTreeMap::new();
        let mut by_decade = Categories::new();
        let mut life_phases = Categories::new();
        for event in &self.major_events {
            let category = EventCategory::of(event);
            event_categories.push(category, event.description.clone().unwrap_or_default());
            if let Some(impact) = event.impact.as_ref().and_then(Vocab::known) {
                *impact_distribution.entry(*impact).or_insert(0) += 1;
            }
            if let Some(age) = event.event_age() {
                if let Some(decade) = Decade::of(age) {
                    by_decade.push(decade, category);
                }
                if let Some(phase) = LifePhase::of(age) {
                    life_phases.push(phase, category);
                }
            }
        }
        Some(LifeEventsProfile {
            event_categories,
            impact_distribution,
            event_timeline: EventTimeline {
                by_decade,
                total_events: self.major_events.len(),
            },
            life_phases,
        })
    }

    fn completion_rate(&self) -> f64 {
        let entries = self.education_history.len();
        if entries == 0 {
            return 0.0;
        }
        let completed = self
            .education_history
            .iter()
            .filter(|entry| entry.completed == Some(true))
            .count();
        completed as f64 / entries as f64
    }

    fn education_profile(&self) -> Option<EducationProfile> {
        if self.education_history.is_empty() {
            return None;
        }
        let mut education_levels = BTreeMap::new();
        let mut fields_of_study = BTreeMap::new();
        let mut highest: Option<(u8, EducationLevel)> = None;
        let mut total_education_years = 0;
        for entry in &self.education_history {
            if let Some(level) = entry.level.as_ref().and_then(Vocab::known) {
                *education_levels.entry(*level).or_insert(0) += 1;
                if let Some(rank) = level.rank()
                    && highest.is_none_or(|(best, _)| rank > best)
                {
                    highest = Some((rank, *level));
                }
            }
            if let Some(field) = entry.field_name() {
                match fields_of_study.get_mut(field) {
                    Some(count) => *count += 1,
                    None => {
                        fields_of_study.insert(field.to_owned(), 1);
                    }
                }
            }
            total_education_years += span(entry.start_year, entry.end_year).unwrap_or(0);
        }
        Some(EducationProfile {
            education_levels,
            education_diversity: fields_of_study.len(),
            fields_of_study,
            total_education_years,
            completion_rate: self.completion_rate(),
            highest_level: highest.map(|(_, level)| level),
        })
    }

    fn career_profile(&self) -> Option<CareerProfile> {
        if self.career_history.is_empty() {
            return None;
        }
        let mut industries = BTreeMap::new();
        let mut total_career_years = 0;
        for entry in &self.career_history {
            if let Some(industry) = entry.industry.as_ref().and_then(Vocab::known) {
                *industries.entry(*industry).or_insert(0) += 1;
            }
            total_career_years += span(entry.start_year, entry.end_year).unwrap_or(0);
        }
        let job_changes = self
            .career_history
            .iter()
            .filter(|entry| entry.is_current != Some(true))
            .count();
        let current_position = self
            .career_history
            .iter()
            .find(|entry| entry.is_current == Some(true))
            .map(|entry| CurrentPosition {
                title: entry.title_name().map(str::to_owned),
                company: non_blank(&entry.company).map(str::to_owned),
                industry: entry.industry.as_ref().and_then(Vocab::known).copied(),
            });
        Some(CareerProfile {
            industry_diversity: industries.len(),
            industries,
            total_career_years,
            job_changes,
            career_stability: CareerStability::of(job_changes, self.career_history.len()),
            current_position,
        })
    }

    fn has_event(&self, kinds: &[EventType]) -> bool {
        self.major_events
            .iter()
            .any(|event| event.event_kind().is_some_and(|kind| kinds.contains(&kind)))
    }

    fn life_patterns(&self) -> LifePatterns {
        let traumas = self.trauma_count();
        let events = self.major_events.len();
        let mut adaptability = 0;
        if self.education_history.len() > 2 {
            adaptability += 2;
        }
        if self.career_history.len() > 1 {
            adaptability += 1;
        }
        if traumas > 0 && events > traumas {
            adaptability += 2;
        }
        let growth_orientation = if events == 0 {
            GrowthOrientation::Unknown
        } else {
            const GROWTH: [EventType; 3] = [
                EventType::Achievement,
                EventType::Graduation,
                EventType::Milestone,
            ];
            let growth = self
                .major_events
                .iter()
                .filter(|event| event.event_kind().is_some_and(|k| GROWTH.contains(&k)))
                .count();
            match growth as f64 / events as f64 {
                share if share >= 0.6 => GrowthOrientation::High,
                share if share >= 0.4 => GrowthOrientation::Moderate,
                _ => GrowthOrientation::Low,
            }
        };
        let mut stability = 0;
        if !self.education_history.is_empty() && self.completion_rate() >= 0.8 {
            stability += 2;
        }
        if !self.career_history.is_empty() {
            let long = self
                .career_history
                .iter()
                .filter(|entry| span(entry.start_year, entry.end_year).is_some_and(|y| y >= 3))
                .count();
            if long as f64 / self.career_history.len() as f64 >= 0.5 {
                stability += 2;
            }
        }
        LifePatterns {
            adaptability: match adaptability {
                4.. => Level::VeryHigh,
                3 => Level::High,
                2 => Level::Moderate,
                1 => Level::Low,
                _ => Level::VeryLow,
            },
            growth_orientation,
            stability_seeking: match stability {
                3.. => StabilitySeeking::High,
                2 => StabilitySeeking::Moderate,
                _ => StabilitySeeking::Low,
            },
            life_complexity: LifeComplexity::of(events + traumas),
        }
    }

    fn resilience_indicators(&self) -> Vec<ResilienceIndicator> {
        let traumas = self.trauma_count() > 0;
        let mut indicators = Vec::new();
        if traumas && !self.education_history.is_empty() {
            indicators.push(ResilienceIndicator::ContinuedEducationDespiteTrauma);
        }
        if self.career_history.len() > 1 {
            indicators.push(ResilienceIndicator::CareerProgression);
        }
        if traumas && self.has_event(&[EventType::Achievement, EventType::Graduation]) {
            indicators.push(ResilienceIndicator::AchievementsAfterTrauma);
        }
        if self.has_event(&[EventType::Marriage]) {
            indicators.push(ResilienceIndicator::LongTermRelationships);
        }
        indicators
    }
}

impl Processor for LifeHistory {
    const CATEGORY: &'static str = "life_history";
    type Profile = LifeHistoryProfile;

    /// Lowercases, trims and de-duplicates both trauma lists; in every event, education and career
    /// entry trims free text and canonicalises vocabulary values. Every field is kept (the
    /// reference's unused `Process` dropped `event_type`, `age_at_event`, `year`, `field_of_study`,
    /// the years, `completed`, `gpa`, `job_title` and `description`). Entries are not
    /// de-duplicated: two equal events may both have happened.
    fn normalize(&mut self) {
        text::list(&mut self.childhood_traumas, text::Case::Lower);
        text::list(&mut self.adult_traumas, text::Case::Lower);
        self.major_events.iter_mut().for_each(LifeEvent::normalize);
        self.education_history
            .iter_mut()
            .for_each(EducationEntry::normalize);
        self.career_history
            .iter_mut()
            .for_each(CareerEntry::normalize);
    }

    /// The reference's caps (15 traumas per list, 25 events, 10 education and 15 career entries;
    /// description 500, field 100, institution 150, title 100, company 150 characters) and
    /// vocabularies (`type`, `impact`, `level`, `industry`), checked on every entry with indexed
    /// paths. Added: `event_type` in the event-type vocabulary; `age` and `age_at_event` 0–150;
    /// `field_of_study` and `job_title` capped like `field` and `title`; `gpa` finite and within
    /// 0.0–5.0; `end_year` not before `start_year` and career `end_date` not before `start_date`
    /// ([`Code::InvalidOrder`]).
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        let childhood = at.field("childhood_traumas");
        rules::max_items(
            self.childhood_traumas.len(),
            caps::TRAUMAS,
            &childhood,
            report,
        );
        let adult = at.field("adult_traumas");
        rules::max_items(self.adult_traumas.len(), caps::TRAUMAS, &adult, report);
        let events = at.field("major_events");
        rules::max_items(self.major_events.len(), caps::EVENTS, &events, report);
        for (i, event) in self.major_events.iter().enumerate() {
            event.validate_into(&events.index(i), report);
        }
        let education = at.field("education_history");
        rules::max_items(
            self.education_history.len(),
            caps::EDUCATION,
            &education,
            report,
        );
        for (i, entry) in self.education_history.iter().enumerate() {
            entry.validate_into(&education.index(i), report);
        }
        let career = at.field("career_history");
        rules::max_items(self.career_history.len(), caps::CAREER, &career, report);
        for (i, entry) in self.career_history.iter().enumerate() {
            entry.validate_into(&career.index(i), report);
        }
    }

    /// Trauma, event, education and career profiles, life patterns and resilience indicators.
    fn analyze(&self, _context: &AnalysisContext) -> LifeHistoryProfile {
        LifeHistoryProfile {
            trauma_profile: self.trauma_profile(),
            life_events: self.events_profile(),
            education_profile: self.education_profile(),
            career_profile: self.career_profile(),
            life_patterns: self.life_patterns(),
            resilience_indicators: self.resilience_indicators(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn history(value: serde_json::Value) -> LifeHistory {
        serde_json::from_value(value).unwrap()
    }

    fn paths(report: &ValidationReport) -> Vec<(String, Code)> {
        report.iter().map(|v| (v.path.clone(), v.code)).collect()
    }

    #[test]
    fn normalize_keeps_every_field_and_is_idempotent() {
        let mut value = history(json!({
            "childhood_traumas": [" Bullying ", "bullying", ""],
            "major_events": [{"type": "Job_Change", "description": " moved ", "event_type": "CAREER",
                              "age_at_event": 30, "year": 2001, "impact": "Life Changing"}],
            "education_history": [{"level": "PhD", "field_of_study": " Physics ", "completed": true,
                                   "gpa": 3.9, "start_year": 2001, "end_year": 2006}],
            "career_history": [{"job_title": " Engineer ", "industry": "Real Estate",
                                "description": " x ", "start_year": 2006}]
        }));
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(value.childhood_traumas, ["bullying"]);
        let event = &value.major_events[0];
        assert_eq!(event.kind, Some(Vocab::Known(EventType::JobChange)));
        assert_eq!(event.event_type, Some(Vocab::Known(EventType::Career)));
        assert_eq!(event.impact, Some(Vocab::Known(Impact::LifeChanging)));
        assert_eq!(event.description.as_deref(), Some("moved"));
        assert_eq!((event.age_at_event, event.year), (Some(30), Some(2001)));
        let education = &value.education_history[0];
        assert_eq!(
            education.level,
            Some(Vocab::Known(EducationLevel::Doctorate))
        );
        assert_eq!(education.field_of_study.as_deref(), Some("Physics"));
        assert_eq!(
            (education.completed, education.gpa),
            (Some(true), Some(3.9))
        );
        let career = &value.career_history[0];
        assert_eq!(career.job_title.as_deref(), Some("Engineer"));
        assert_eq!(career.industry, Some(Vocab::Known(Industry::RealEstate)));
        assert_eq!(career.description.as_deref(), Some("x"));
        assert!(value.validate().is_valid());
    }

    #[test]
    fn every_rule_reports_indexed_paths() {
        let mut events = vec![json!({"type": "birth"}); 3];
        events.push(
            json!({"type": "party", "description": "é".repeat(501), "age": -1,
                           "impact": "medium", "event_type": "fun", "age_at_event": 151}),
        );
        let value = history(json!({
            "childhood_traumas": vec!["a"; 16].iter().enumerate().map(|(i, _)| i.to_string()).collect::<Vec<_>>(),
            "adult_traumas": (0..16).map(|i| i.to_string()).collect::<Vec<_>>(),
            "major_events": events,
            "education_history": [{"level": "graduate", "field": "x".repeat(101),
                                   "institution": "x".repeat(151), "field_of_study": "x".repeat(101),
                                   "start_year": 2010, "end_year": 2009, "gpa": 5.5}],
            "career_history": [{}, {"title": "x".repeat(101), "industry": "crime",
                                "company": "x".repeat(151),
                                "start_date": "2020-01-01T00:00:00Z", "end_date": "2019-01-01T00:00:00Z",
                                "job_title": "x".repeat(101), "start_year": 2020, "end_year": 2019}]
        }));
        let l = "rich_attributes.life_history";
        let want: Vec<(String, Code)> = [
            ("childhood_traumas", Code::TooManyItems),
            ("adult_traumas", Code::TooManyItems),
            ("major_events[3].type", Code::NotInVocabulary),
            ("major_events[3].description", Code::TooLong),
            ("major_events[3].age", Code::OutOfRange),
            ("major_events[3].impact", Code::NotInVocabulary),
            ("major_events[3].event_type", Code::NotInVocabulary),
            ("major_events[3].age_at_event", Code::OutOfRange),
            ("education_history[0].level", Code::NotInVocabulary),
            ("education_history[0].field", Code::TooLong),
            ("education_history[0].institution", Code::TooLong),
            ("education_history[0].field_of_study", Code::TooLong),
            ("education_history[0].end_year", Code::InvalidOrder),
            ("education_history[0].gpa", Code::OutOfRange),
            ("career_history[1].title", Code::TooLong),
            ("career_history[1].industry", Code::NotInVocabulary),
            ("career_history[1].company", Code::TooLong),
            ("career_history[1].end_date", Code::InvalidOrder),
            ("career_history[1].job_title", Code::TooLong),
            ("career_history[1].end_year", Code::InvalidOrder),
        ]
        .into_iter()
        .map(|(p, c)| (format!("{l}.{p}"), c))
        .collect();
        assert_eq!(paths(&value.validate()), want);
        let at_caps = history(json!({
            "childhood_traumas": (0..15).map(|i| i.to_string()).collect::<Vec<_>>(),
            "major_events": vec![json!({"description": "é".repeat(500), "age": 150}); 25],
            "education_history": vec![json!({"start_year": 2000, "end_year": 2000, "gpa": 5.0}); 10],
            "career_history": vec![json!({"title": "x".repeat(100)}); 15],
        }));
        assert!(at_caps.validate().is_valid());
        let over = history(json!({"major_events": vec![json!({}); 26],
                                  "education_history": vec![json!({}); 11],
                                  "career_history": vec![json!({}); 16]}));
        assert_eq!(
            paths(&over.validate()),
            [
                (format!("{l}.major_events"), Code::TooManyItems),
                (format!("{l}.education_history"), Code::TooManyItems),
                (format!("{l}.career_history"), Code::TooManyItems),
            ]
        );
    }

    #[test]
    fn analysis_follows_the_reference_with_fixes() {
        let value = history(json!({
            "childhood_traumas": ["physical abuse", "parents' divorce", "software bugs"],
            "adult_traumas": ["car accident"],
            "major_events": [
                {"type": "graduation", "description": "BSc", "age": 22, "impact": "high"},
                {"event_type": "achievement", "description": "award", "age_at_event": 30},
                {"event_type": "marriage", "age": 31, "impact": "high"},
                {"type": "relocation", "age": 45},
                {"description": "untyped"}
            ],
            "education_history": [
                {"level": "bachelor", "field": "Physics", "start_year": 2000, "end_year": 2004, "completed": true},
                {"level": "master", "field_of_study": "Physics", "start_year": 2004, "end_year": 2006, "completed": true},
                {"level": "bootcamp", "field": "Web", "start_year": 2010, "end_year": 2009}
            ],
            "career_history": [
                {"title": "Intern", "industry": "technology", "start_year": 2006, "end_year": 2007},
                {"job_title": "Engineer", "company": "Acme", "industry": "technology",
                 "is_current": true, "start_year": 2007, "end_year": 2020}
            ]
        }));
        let profile = value.analyze(&AnalysisContext::default());
        let trauma = profile.trauma_profile.unwrap();
        assert_eq!(
            trauma
                .childhood_categories
                .count(TraumaCategory::Interpersonal),
            1
        );
        assert_eq!(trauma.childhood_categories.count(TraumaCategory::Loss), 1);
        // "software" is not "war": substring matching put it under environmental.
        assert_eq!(
            trauma
                .childhood_categories
                .get(TraumaCategory::Other)
                .collect::<Vec<_>>(),
            ["software bugs"]
        );
        assert_eq!(trauma.adult_categories.count(TraumaCategory::Physical), 1);
        assert_eq!(trauma.childhood_severity, TraumaSeverity::Moderate);
        assert_eq!(trauma.adult_severity, TraumaSeverity::Mild);
        assert_eq!(trauma.total_trauma_count, 4);
        assert_eq!(trauma.trauma_burden, Amount::Moderate);

        let events = profile.life_events.unwrap();
        let graduation = EventCategory::Type(EventType::Graduation);
        let achievement = EventCategory::Type(EventType::Achievement);
        let marriage = EventCategory::Type(EventType::Marriage);
        assert_eq!(
            events.event_categories.get(graduation).collect::<Vec<_>>(),
            ["BSc"]
        );
        assert_eq!(
            events.event_categories.get(achievement).collect::<Vec<_>>(),
            ["award"]
        );
        assert_eq!(
            events.event_categories.get(marriage).collect::<Vec<_>>(),
            [""]
        );
        assert_eq!(
            events
                .event_categories
                .get(EventCategory::Other)
                .collect::<Vec<_>>(),
            ["untyped"]
        );
        assert_eq!(
            events.impact_distribution,
            BTreeMap::from([(Impact::High, 2)])
        );
        assert_eq!(events.event_timeline.total_events, 5);
        assert_eq!(
            events
                .event_timeline
                .by_decade
                .get(Decade(30))
                .collect::<Vec<_>>(),
            [&achievement, &marriage]
        );
        assert_eq!(
            events
                .life_phases
                .get(LifePhase::YoungAdult)
                .collect::<Vec<_>>(),
            [&graduation]
        );
        assert_eq!(events.life_phases.count(LifePhase::MiddleAge), 1);
        let json = serde_json::to_value(&events).unwrap();
        assert_eq!(json["event_timeline"]["by_decade"]["30s"][1], "marriage");
        assert_eq!(json["event_categories"]["other"][0], "untyped");

        let education = profile.education_profile.unwrap();
        assert_eq!(
            education.fields_of_study,
            BTreeMap::from([("Physics".into(), 2), ("Web".into(), 1)])
        );
        assert_eq!(education.education_diversity, 2);
        assert_eq!(education.total_education_years, 6);
        assert!((education.completion_rate - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(education.highest_level, Some(EducationLevel::Master));

        let career = profile.career_profile.unwrap();
        assert_eq!(
            career.industries,
            BTreeMap::from([(Industry::Technology, 2)])
        );
        assert_eq!(career.industry_diversity, 1);
        assert_eq!(career.total_career_years, 14);
        assert_eq!(career.job_changes, 1);
        assert_eq!(career.career_stability, CareerStability::Moderate);
        let current = career.current_position.unwrap();
        assert_eq!(current.title.as_deref(), Some("Engineer"));
        assert_eq!(current.company.as_deref(), Some("Acme"));

        let patterns = profile.life_patterns;
        // +2 education > 2, +1 careers > 1, +2 traumas and more events than traumas.
        assert_eq!(patterns.adaptability, Level::VeryHigh);
        // graduation (type) and achievement (event_type fallback): 2 of 5.
        assert_eq!(patterns.growth_orientation, GrowthOrientation::Moderate);
        // completion 2/3 < 0.8; one of two careers ≥ 3 years: share 0.5 → +2.
        assert_eq!(patterns.stability_seeking, StabilitySeeking::Moderate);
        assert_eq!(patterns.life_complexity, LifeComplexity::Simple);
        assert_eq!(
            profile.resilience_indicators,
            [
                ResilienceIndicator::ContinuedEducationDespiteTrauma,
                ResilienceIndicator::CareerProgression,
                ResilienceIndicator::AchievementsAfterTrauma,
                ResilienceIndicator::LongTermRelationships,
            ]
        );
    }

    #[test]
    fn empty_history_analysis() {
        let profile = LifeHistory::default().analyze(&AnalysisContext::default());
        assert_eq!(profile.trauma_profile, None);
        assert_eq!(profile.life_events, None);
        assert_eq!(
            profile.life_patterns.growth_orientation,
            GrowthOrientation::Unknown
        );
        assert_eq!(profile.life_patterns.adaptability, Level::VeryLow);
        assert_eq!(
            profile.life_patterns.stability_seeking,
            StabilitySeeking::Low
        );
        assert!(profile.resilience_indicators.is_empty());
    }

    #[test]
    fn bucket_boundaries() {
        assert_eq!(
            [0, 1, 2, 3, 4, 5, 7, 8].map(TraumaSeverity::of),
            [
                TraumaSeverity::None,
                TraumaSeverity::Mild,
                TraumaSeverity::Mild,
                TraumaSeverity::Moderate,
                TraumaSeverity::Moderate,
                TraumaSeverity::Severe,
                TraumaSeverity::Severe,
                TraumaSeverity::Extreme
            ]
        );
        assert_eq!(CareerStability::of(1, 5), CareerStability::VeryStable);
        assert_eq!(CareerStability::of(2, 5), CareerStability::Stable);
        assert_eq!(CareerStability::of(4, 5), CareerStability::Unstable);
        assert_eq!(CareerStability::of(5, 5), CareerStability::VeryUnstable);
        assert_eq!(LifePhase::of(12), Some(LifePhase::Childhood));
        assert_eq!(LifePhase::of(66), Some(LifePhase::Senior));
        assert_eq!(LifePhase::of(-1), None);
        assert_eq!(Decade::of(150), Some(Decade(150)));
        assert_eq!(Decade::of(151), None);
        assert_eq!(Decade(20).to_string(), "20s");
        assert_eq!(span(Some(i32::MIN), Some(i32::MAX)), Some(u32::MAX as i64));
    }
}
