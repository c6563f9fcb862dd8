//! Demographics: age, gender, education, occupation, location and the like
//! (reference: `fr0g-aip-model.md` §2.3).

use serde::{Deserialize, Serialize};

use crate::vocab::{Gender, Vocab, vocabulary};

vocabulary! {
    /// Highest education attained.
    Education as "education" {
        Elementary = "elementary",
        HighSchool = "high-school",
        SomeCollege = "some-college",
        Bachelor = "bachelor",
        Master = "master",
        Doctorate = "doctorate",
        Professional = "professional",
        Other = "other",
    }
}

vocabulary! {
    /// Socioeconomic status band.
    SocioeconomicStatus as "socioeconomic_status" {
        Low = "low",
        LowerMiddle = "lower-middle",
        Middle = "middle",
        UpperMiddle = "upper-middle",
        High = "high",
    }
}

vocabulary! {
    /// Settlement type of a location.
    UrbanRural as "urban_rural" {
        Urban = "urban",
        Suburban = "suburban",
        Rural = "rural",
    }
}

/// Who a person is, demographically. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Demographics {
    /// Age in years, 0–150.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<i32>,
    /// Gender; any self-description is allowed within the custom-value rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Vocab<Gender>>,
    /// Ethnicity (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<String>,
    /// Nationality (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    /// Highest education attained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub education: Option<Vocab<Education>>,
    /// Occupation (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// Socioeconomic status band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socioeconomic_status: Option<Vocab<SocioeconomicStatus>>,
    /// Where the person lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Languages spoken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Marital status (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<String>,
    /// Number of children (must not be negative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<i32>,
}

/// Where a person lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    /// Country (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region, state or province (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// City (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Urban, suburban or rural.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urban_rural: Option<Vocab<UrbanRural>>,
    /// IANA zone (`Europe/Paris`) or a `UTC…`/`GMT…` offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

vocabulary! {
    /// Age bands of the attribute analysis: <13 child, <20 teenager, <30 young-adult, <50 adult,
    /// <65 middle-aged, else senior.
    AgeGroup as "age_group" {
        Child = "child",
        Teenager = "teenager",
        YoungAdult = "young-adult",
        Adult = "adult",
        MiddleAged = "middle-aged",
        Senior = "senior",
    }
}

impl AgeGroup {
    /// The band for `age` years.
    pub const fn of(age: i32) -> AgeGroup {
        match age {
            i32::MIN..=12 => AgeGroup::Child,
            13..=19 => AgeGroup::Teenager,
            20..=29 => AgeGroup::YoungAdult,
            30..=49 => AgeGroup::Adult,
            50..=64 => AgeGroup::MiddleAged,
            _ => AgeGroup::Senior,
        }
    }
}
