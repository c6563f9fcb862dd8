//! Demographics: age, gender, education, occupation, location and the like
//! (reference: `fr0g-aip-model.md` §2.3).

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::processor::{AnalysisContext, Processor};
use crate::text;
use crate::validate::{Code, FieldPath, ValidationReport, rules};
use crate::vocab::{GENDER_CUSTOM_MAX_CHARS, Gender, Vocab, Vocabulary, vocabulary};

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

/// Birth cohorts by birth year: ≥2010 gen-alpha, ≥1997 gen-z, ≥1981 millennial, ≥1965 gen-x,
/// ≥1946 boomer, else silent-generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Generation {
    /// Born before 1946.
    SilentGeneration,
    /// Born 1946–1964.
    Boomer,
    /// Born 1965–1980.
    GenX,
    /// Born 1981–1996.
    Millennial,
    /// Born 1997–2009.
    GenZ,
    /// Born 2010 or later.
    GenAlpha,
}

impl Generation {
    /// The cohort of someone born in `birth_year`.
    pub const fn of_birth_year(birth_year: i64) -> Generation {
        match birth_year {
            2010.. => Generation::GenAlpha,
            1997.. => Generation::GenZ,
            1981.. => Generation::Millennial,
            1965.. => Generation::GenX,
            1946.. => Generation::Boomer,
            _ => Generation::SilentGeneration,
        }
    }

    /// The cohort of someone `age` years old in `year`: birth year = `year − age`.
    ///
    /// The reference hard-coded `year` as 2024; the processor passes
    /// [`AnalysisContext::reference_date`]'s year.
    pub const fn of_age(age: i32, year: i32) -> Generation {
        Generation::of_birth_year(year as i64 - age as i64)
    }
}

/// The analysis of [`Demographics`] (reference `GetDemographicProfile`).
///
/// Age-derived items are present only for a valid age (0–150): the reference derived them from any
/// age above 0, an invalid one included.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DemographicProfile {
    /// The age, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<i32>,
    /// The age band ([`AgeGroup::of`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_group: Option<AgeGroup>,
    /// The birth cohort as of the analysis date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<Generation>,
    /// The gender, when it is a valid value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// The education, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub education: Option<Education>,
    /// The occupation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// The socioeconomic status, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socioeconomic_status: Option<SocioeconomicStatus>,
    /// The location, when any part of it is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationProfile>,
}

/// The location part of a [`DemographicProfile`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocationProfile {
    /// Country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Settlement type, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urban_rural: Option<UrbanRural>,
}

/// The largest valid age.
pub const MAX_AGE: i32 = 150;

/// True when `timezone` has the accepted shape: it contains `/` (an IANA name such as
/// `Europe/Paris`) or starts with `UTC` or `GMT` (case-sensitive, as in the reference).
pub fn is_valid_timezone(timezone: &str) -> bool {
    timezone.contains('/') || timezone.starts_with("UTC") || timezone.starts_with("GMT")
}

fn gender_message() -> String {
    format!(
        "must be one of: {}, or a self-description of 1 to {GENDER_CUSTOM_MAX_CHARS} characters \
         without < > {{ }} [ ]",
        Gender::VALUES.join(", ")
    )
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

impl Processor for Demographics {
    const CATEGORY: &'static str = "demographics";
    type Profile = DemographicProfile;

    /// Trims free text (blank becomes unset), canonicalises gender, education and socioeconomic
    /// status (kebab-case and [aliases](crate::aliases)), and trims and de-duplicates languages.
    /// Free text keeps its case, and every field is kept (the reference's unused `Process` dropped
    /// languages, marital status and children).
    fn normalize(&mut self) {
        text::vocab(&mut self.gender);
        text::text(&mut self.ethnicity);
        text::text(&mut self.nationality);
        text::vocab(&mut self.education);
        text::text(&mut self.occupation);
        text::vocab(&mut self.socioeconomic_status);
        if let Some(location) = &mut self.location {
            text::text(&mut location.country);
            text::text(&mut location.region);
            text::text(&mut location.city);
            text::vocab(&mut location.urban_rural);
            text::text(&mut location.timezone);
        }
        text::list(&mut self.languages, text::Case::Keep);
        text::text(&mut self.marital_status);
    }

    /// Age 0–150; gender a vocabulary value or a valid self-description; education,
    /// socioeconomic status and `location.urban_rural` in their vocabularies; `location.timezone`
    /// containing `/` or starting with `UTC`/`GMT`; `children` not negative (the reference accepted
    /// negative counts).
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(age) = self.age {
            rules::int_range(age.into(), 0, MAX_AGE.into(), &at.field("age"), report);
        }
        if let Some(Vocab::Unknown(raw)) = &self.gender
            && !raw.trim().is_empty()
        {
            report.push(&at.field("gender"), Code::NotInVocabulary, gender_message());
        }
        if let Some(education) = &self.education {
            rules::vocabulary(education, &at.field("education"), report);
        }
        if let Some(status) = &self.socioeconomic_status {
            rules::vocabulary(status, &at.field("socioeconomic_status"), report);
        }
        if let Some(location) = &self.location {
            let at = at.field("location");
            if let Some(urban_rural) = &location.urban_rural {
                rules::vocabulary(urban_rural, &at.field("urban_rural"), report);
            }
            if let Some(timezone) = non_blank(&location.timezone)
                && !is_valid_timezone(timezone)
            {
                report.push(
                    &at.field("timezone"),
                    Code::InvalidFormat,
                    "must be an IANA zone name containing '/' (e.g. Europe/Paris) or start \
                         with UTC or GMT",
                );
            }
        }
        if let Some(children) = self.children
            && children < 0
        {
            report.push(&at.field("children"), Code::OutOfRange, "must be 0 or more");
        }
    }

    /// Age group and generation cohort (birth year = the analysis date's year − age), plus the
    /// valid vocabulary values and the occupation and location echoed.
    fn analyze(&self, context: &AnalysisContext) -> DemographicProfile {
        let age = self.age.filter(|age| (0..=MAX_AGE).contains(age));
        let location = self.location.as_ref().and_then(|location| {
            let profile = LocationProfile {
                country: non_blank(&location.country).map(str::to_owned),
                region: non_blank(&location.region).map(str::to_owned),
                city: non_blank(&location.city).map(str::to_owned),
                urban_rural: location
                    .urban_rural
                    .as_ref()
                    .and_then(Vocab::known)
                    .copied(),
            };
            (profile != LocationProfile::default()).then_some(profile)
        });
        DemographicProfile {
            age,
            age_group: age.map(AgeGroup::of),
            generation: age.map(|age| Generation::of_age(age, context.reference_date.year())),
            gender: self.gender.as_ref().and_then(Vocab::known).cloned(),
            education: self.education.as_ref().and_then(Vocab::known).copied(),
            occupation: non_blank(&self.occupation).map(str::to_owned),
            socioeconomic_status: self
                .socioeconomic_status
                .as_ref()
                .and_then(Vocab::known)
                .copied(),
            location,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::validate::Violation;

    fn codes(report: &ValidationReport) -> Vec<(&str, Code)> {
        report
            .iter()
            .map(|Violation { path, code, .. }| (path.as_str(), *code))
            .collect()
    }

    fn full() -> Demographics {
        serde_json::from_value(serde_json::json!({
            "age": 35, "gender": "female", "ethnicity": "Hispanic", "nationality": "American",
            "education": "master", "occupation": "Nurse practitioner",
            "socioeconomic_status": "upper-middle",
            "location": {"country": "USA", "region": "Texas", "city": "Austin",
                         "urban_rural": "urban", "timezone": "America/Chicago"},
            "languages": ["English", "Spanish"], "marital_status": "married", "children": 2
        }))
        .unwrap()
    }

    #[test]
    fn valid_value_is_valid_and_normal() {
        let value = full();
        assert!(value.validate().is_valid());
        let mut normalized = value.clone();
        normalized.normalize();
        assert_eq!(normalized, value);
    }

    #[test]
    fn normalize_is_idempotent_and_maps_aliases() {
        let mut value: Demographics = serde_json::from_value(serde_json::json!({
            "gender": " Woman ", "ethnicity": "  ", "education": "Bachelors",
            "socioeconomic_status": "LOW_INCOME",
            "location": {"city": " Austin ", "urban_rural": "City", "timezone": " UTC+1 "},
            "languages": [" English", "", "English", "Spanish "], "marital_status": ""
        }))
        .unwrap();
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(value.gender, Some(Vocab::Known(Gender::Female)));
        assert_eq!(value.ethnicity, None);
        assert_eq!(value.education, Some(Vocab::Known(Education::Bachelor)));
        assert_eq!(
            value.socioeconomic_status,
            Some(Vocab::Known(SocioeconomicStatus::Low))
        );
        let location = value.location.as_ref().unwrap();
        assert_eq!(location.city.as_deref(), Some("Austin"));
        assert_eq!(location.urban_rural, Some(Vocab::Known(UrbanRural::Urban)));
        assert_eq!(location.timezone.as_deref(), Some("UTC+1"));
        assert_eq!(value.languages, ["English", "Spanish"]);
        assert_eq!(value.marital_status, None);
        assert!(value.validate().is_valid());
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let value: Demographics = serde_json::from_value(serde_json::json!({
            "age": -1, "gender": "<script>", "education": "graduate",
            "socioeconomic_status": "rich",
            "location": {"urban_rural": "village", "timezone": "Lyon"},
            "children": -2
        }))
        .unwrap();
        let report = value.validate();
        let d = "rich_attributes.demographics";
        assert_eq!(
            codes(&report),
            [
                (&*format!("{d}.age"), Code::OutOfRange),
                (&*format!("{d}.gender"), Code::NotInVocabulary),
                (&*format!("{d}.education"), Code::NotInVocabulary),
                (&*format!("{d}.socioeconomic_status"), Code::NotInVocabulary),
                (&*format!("{d}.location.urban_rural"), Code::NotInVocabulary),
                (&*format!("{d}.location.timezone"), Code::InvalidFormat),
                (&*format!("{d}.children"), Code::OutOfRange),
            ]
        );
        for violation in &report {
            for secret in ["<script>", "graduate", "rich", "village", "Lyon"] {
                assert!(!violation.message.contains(secret), "{violation}");
            }
        }
        assert!(report.violations()[2].message.contains("bachelor"));
        let edge = Demographics {
            age: Some(151),
            ..Default::default()
        };
        assert_eq!(edge.validate().len(), 1);
        for age in [0, 150] {
            assert!(
                Demographics {
                    age: Some(age),
                    ..Default::default()
                }
                .validate()
                .is_valid()
            );
        }
        for age in [i32::MIN, i32::MAX] {
            assert_eq!(
                Demographics {
                    age: Some(age),
                    ..Default::default()
                }
                .validate()
                .len(),
                1
            );
        }
    }

    #[test]
    fn timezone_shapes() {
        for ok in ["Europe/Paris", "UTC", "UTC+5:30", "GMT-3", "Etc/GMT+2"] {
            assert!(is_valid_timezone(ok), "{ok}");
        }
        for bad in ["utc", "CET", "Paris", "+01:00"] {
            assert!(!is_valid_timezone(bad), "{bad}");
        }
    }

    #[test]
    fn analysis_uses_the_reference_date() {
        let at_2024 = AnalysisContext::at(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
        let at_2040 = AnalysisContext::at(NaiveDate::from_ymd_opt(2040, 6, 1).unwrap());
        let value = full();
        let profile = value.analyze(&at_2024);
        assert_eq!(profile.age, Some(35));
        assert_eq!(profile.age_group, Some(AgeGroup::Adult));
        assert_eq!(profile.generation, Some(Generation::Millennial));
        assert_eq!(value.analyze(&at_2040).generation, Some(Generation::GenZ));
        assert_eq!(profile.gender, Some(Gender::Female));
        assert_eq!(profile.education, Some(Education::Master));
        assert_eq!(profile.occupation.as_deref(), Some("Nurse practitioner"));
        let location = profile.location.unwrap();
        assert_eq!(location.city.as_deref(), Some("Austin"));
        assert_eq!(location.urban_rural, Some(UrbanRural::Urban));
        let json = serde_json::to_value(value.analyze(&at_2024)).unwrap();
        assert_eq!(json["generation"], "millennial");
        assert_eq!(json["age_group"], "adult");
    }

    #[test]
    fn cohort_boundaries() {
        let cases = [
            (2010, Generation::GenAlpha),
            (2009, Generation::GenZ),
            (1997, Generation::GenZ),
            (1996, Generation::Millennial),
            (1981, Generation::Millennial),
            (1980, Generation::GenX),
            (1965, Generation::GenX),
            (1964, Generation::Boomer),
            (1946, Generation::Boomer),
            (1945, Generation::SilentGeneration),
        ];
        for (year, want) in cases {
            assert_eq!(Generation::of_birth_year(year), want, "{year}");
        }
        assert_eq!(Generation::of_age(i32::MIN, i32::MAX), Generation::GenAlpha);
        assert_eq!(
            [12, 13, 19, 20, 29, 30, 49, 50, 64, 65].map(AgeGroup::of),
            [
                AgeGroup::Child,
                AgeGroup::Teenager,
                AgeGroup::Teenager,
                AgeGroup::YoungAdult,
                AgeGroup::YoungAdult,
                AgeGroup::Adult,
                AgeGroup::Adult,
                AgeGroup::MiddleAged,
                AgeGroup::MiddleAged,
                AgeGroup::Senior
            ]
        );
    }

    #[test]
    fn invalid_age_derives_nothing() {
        let value = Demographics {
            age: Some(200),
            ..Default::default()
        };
        let profile = value.analyze(&AnalysisContext::default());
        assert_eq!(profile, DemographicProfile::default());
    }
}
