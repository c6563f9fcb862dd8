//! Life history: traumas, major events, education and career (reference §2.5).

use serde::{Deserialize, Serialize};

use crate::timestamp::{Timestamp, proto};
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
