//! Culture and religion (reference §2.6).

use serde::{Deserialize, Serialize};

use crate::category::Categories;
use crate::keywords::{self, Classify, ExactTable, KeywordTable};
use crate::processor::{AnalysisContext, Processor};
use crate::text;
use crate::validate::{FieldPath, ValidationReport, rules};
use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Degree or kind of spirituality.
    Spirituality as "spirituality" {
        VeryLow = "very-low",
        Low = "low",
        Moderate = "moderate",
        High = "high",
        VeryHigh = "very-high",
        None = "none",
        SpiritualNotReligious = "spiritual-not-religious",
        Religious = "religious",
        DeeplyReligious = "deeply-religious",
    }
}

vocabulary! {
    /// A dietary restriction.
    DietaryRestriction as "dietary_restriction" {
        Vegetarian = "vegetarian",
        Vegan = "vegan",
        Pescatarian = "pescatarian",
        Halal = "halal",
        Kosher = "kosher",
        GlutenFree = "gluten-free",
        DairyFree = "dairy-free",
        NutFree = "nut-free",
        ShellfishFree = "shellfish-free",
        LowSodium = "low-sodium",
        LowSugar = "low-sugar",
        Keto = "keto",
        Paleo = "paleo",
        Raw = "raw",
        OrganicOnly = "organic-only",
        NoPork = "no-pork",
        NoBeef = "no-beef",
        NoAlcohol = "no-alcohol",
    }
}

/// Culture, religion and their practices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CulturalReligious {
    /// Religion (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub religion: Option<String>,
    /// Degree or kind of spirituality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spirituality: Option<Vocab<Spirituality>>,
    /// Cultural background (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cultural_background: Option<String>,
    /// Traditions kept (at most 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traditions: Vec<String>,
    /// Holidays observed (at most 30).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Dietary restrictions (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dietary_restrictions: Vec<Vocab<DietaryRestriction>>,
}

/// Family of a religion (exact match on the religion's canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReligiousFamily {
    /// christianity, catholic, protestant, orthodox, islam, judaism
    Abrahamic,
    /// hinduism, buddhism, sikhism, jainism
    Dharmic,
    /// taoism, confucianism, shinto
    EastAsian,
    /// atheism, agnosticism
    NonReligious,
    /// Anything else.
    Other,
}

static RELIGIOUS_FAMILIES: ExactTable<ReligiousFamily> = ExactTable::new(
    ReligiousFamily::Other,
    &[
        (
            ReligiousFamily::Abrahamic,
            &[
                "christianity",
                "catholic",
                "protestant",
                "orthodox",
                "islam",
                "judaism",
            ],
        ),
        (
            ReligiousFamily::Dharmic,
            &["hinduism", "buddhism", "sikhism", "jainism"],
        ),
        (
            ReligiousFamily::EastAsian,
            &["taoism", "confucianism", "shinto"],
        ),
        (ReligiousFamily::NonReligious, &["atheism", "agnosticism"]),
    ],
);

/// A spiritual practice implied by a degree of spirituality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpiritualPractice {
    /// `meditation`
    Meditation,
    /// `prayer`
    Prayer,
    /// `ritual`
    Ritual,
    /// `pilgrimage`
    Pilgrimage,
    /// `fasting`
    Fasting,
    /// `reflection`
    Reflection,
    /// `occasional-prayer`
    OccasionalPrayer,
    /// `mindfulness`
    Mindfulness,
    /// `nature-connection`
    NatureConnection,
    /// `worship`
    Worship,
    /// `scripture-study`
    ScriptureStudy,
    /// `service`
    Service,
}

impl SpiritualPractice {
    /// The practices of the reference table for `spirituality` (none for very-low and none).
    pub const fn of(spirituality: Spirituality) -> &'static [SpiritualPractice] {
        use SpiritualPractice as P;
        match spirituality {
            Spirituality::VeryHigh => &[
                P::Meditation,
                P::Prayer,
                P::Ritual,
                P::Pilgrimage,
                P::Fasting,
            ],
            Spirituality::High => &[P::Meditation, P::Prayer, P::Ritual],
            Spirituality::Moderate => &[P::Prayer, P::Reflection],
            Spirituality::Low => &[P::OccasionalPrayer],
            Spirituality::SpiritualNotReligious => {
                &[P::Meditation, P::Mindfulness, P::NatureConnection]
            }
            Spirituality::Religious => &[P::Prayer, P::Worship, P::ScriptureStudy],
            Spirituality::DeeplyReligious => &[
                P::Prayer,
                P::Worship,
                P::ScriptureStudy,
                P::Ritual,
                P::Service,
            ],
            Spirituality::VeryLow | Spirituality::None => &[],
        }
    }
}

/// Tradition categories (exact match on the canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraditionCategory {
    /// christmas, easter, ramadan, diwali
    ReligiousHoliday,
    /// thanksgiving, new-year
    CulturalHoliday,
    /// wedding, funeral, birthday, graduation
    LifeEvent,
    /// family-dinner, storytelling
    Family,
    /// cooking, music, dance
    CulturalPractice,
    /// Anything else.
    Other,
}

static TRADITION_CATEGORIES: ExactTable<TraditionCategory> = ExactTable::new(
    TraditionCategory::Other,
    &[
        (
            TraditionCategory::ReligiousHoliday,
            &["christmas", "easter", "ramadan", "diwali"],
        ),
        (
            TraditionCategory::CulturalHoliday,
            &["thanksgiving", "new-year"],
        ),
        (
            TraditionCategory::LifeEvent,
            &["wedding", "funeral", "birthday", "graduation"],
        ),
        (
            TraditionCategory::Family,
            &["family-dinner", "storytelling"],
        ),
        (
            TraditionCategory::CulturalPractice,
            &["cooking", "music", "dance"],
        ),
    ],
);

/// Holiday types (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolidayType {
    /// christmas, easter, eid, diwali, hanukkah
    Religious,
    /// new-year
    Secular,
    /// independence, thanksgiving, memorial-day, labor-day
    National,
    /// valentine, halloween
    Cultural,
    /// mother-day, father-day
    Family,
    /// Anything else.
    Other,
}

static HOLIDAY_TYPES: KeywordTable<HolidayType> = KeywordTable::new(
    HolidayType::Other,
    &[
        (
            HolidayType::Religious,
            &["christmas", "easter", "eid", "diwali", "hanukkah"],
        ),
        (HolidayType::Secular, &["new-year"]),
        (
            HolidayType::National,
            &["independence", "thanksgiving", "memorial-day", "labor-day"],
        ),
        (HolidayType::Cultural, &["valentine", "halloween"]),
        (HolidayType::Family, &["mother-day", "father-day"]),
    ],
);

/// Cultural region of a background (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CulturalRegion {
    /// american, canadian, mexican
    NorthAmerica,
    /// british, french, german, italian, spanish
    Europe,
    /// chinese, japanese, korean
    EastAsia,
    /// indian, pakistani, bangladeshi
    SouthAsia,
    /// arab, persian, turkish
    MiddleEast,
    /// african, nigerian, south-african
    Africa,
    /// brazilian, argentinian
    SouthAmerica,
    /// australian
    Oceania,
    /// Anything else.
    Other,
}

static CULTURAL_REGIONS: KeywordTable<CulturalRegion> = KeywordTable::new(
    CulturalRegion::Other,
    &[
        (
            CulturalRegion::NorthAmerica,
            &["american", "canadian", "mexican"],
        ),
        (
            CulturalRegion::Europe,
            &["british", "french", "german", "italian", "spanish"],
        ),
        (CulturalRegion::EastAsia, &["chinese", "japanese", "korean"]),
        (
            CulturalRegion::SouthAsia,
            &["indian", "pakistani", "bangladeshi"],
        ),
        (CulturalRegion::MiddleEast, &["arab", "persian", "turkish"]),
        (
            CulturalRegion::Africa,
            &["african", "nigerian", "south-african"],
        ),
        (CulturalRegion::SouthAmerica, &["brazilian", "argentinian"]),
        (CulturalRegion::Oceania, &["australian"]),
    ],
);

/// Dietary restriction categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DietaryCategory {
    /// vegetarian, vegan
    Ethical,
    /// halal, kosher
    Religious,
    /// gluten-free, dairy-free, nut-free, shellfish-free
    Medical,
    /// low-sodium, low-sugar
    Health,
    /// keto, paleo, raw, organic-only
    Lifestyle,
    /// pescatarian, no-pork, no-beef, no-alcohol
    Other,
}

impl DietaryCategory {
    /// The category of a restriction.
    pub const fn of(restriction: DietaryRestriction) -> Self {
        use DietaryRestriction as D;
        match restriction {
            D::Vegetarian | D::Vegan => DietaryCategory::Ethical,
            D::Halal | D::Kosher => DietaryCategory::Religious,
            D::GlutenFree | D::DairyFree | D::NutFree | D::ShellfishFree => {
                DietaryCategory::Medical
            }
            D::LowSodium | D::LowSugar => DietaryCategory::Health,
            D::Keto | D::Paleo | D::Raw | D::OrganicOnly => DietaryCategory::Lifestyle,
            D::Pescatarian | D::NoPork | D::NoBeef | D::NoAlcohol => DietaryCategory::Other,
        }
    }
}

/// Complexity of a diet by number of restrictions: 0 none, ≤2 simple, ≤5 moderate, else complex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DietaryComplexity {
    /// No restrictions.
    None,
    /// 1–2.
    Simple,
    /// 3–5.
    Moderate,
    /// 6 or more.
    Complex,
}

impl DietaryComplexity {
    /// The complexity of `count` restrictions.
    pub const fn of(count: usize) -> Self {
        match count {
            0 => DietaryComplexity::None,
            1..=2 => DietaryComplexity::Simple,
            3..=5 => DietaryComplexity::Moderate,
            _ => DietaryComplexity::Complex,
        }
    }
}

/// The analysis of [`CulturalReligious`] (reference `GetReligiousProfile` and
/// `GetCulturalProfile` together).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CulturalProfile {
    /// Family of the religion, when one is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub religious_family: Option<ReligiousFamily>,
    /// Spirituality, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spirituality: Option<Spirituality>,
    /// Practices implied by the spirituality.
    pub spiritual_practices: &'static [SpiritualPractice],
    /// Traditions by category.
    pub tradition_categories: Categories<TraditionCategory>,
    /// Holidays by type.
    pub holiday_types: Categories<HolidayType>,
    /// Region of the cultural background, when one is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cultural_region: Option<CulturalRegion>,
    /// Restrictions (vocabulary values only) by category.
    pub dietary_categories: Categories<DietaryCategory, DietaryRestriction>,
    /// From the number of restrictions.
    pub dietary_complexity: DietaryComplexity,
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

impl Processor for CulturalReligious {
    const CATEGORY: &'static str = "cultural_religious";
    type Profile = CulturalProfile;

    /// Trims religion and cultural background; lowercases, trims and de-duplicates traditions and
    /// holidays; canonicalises spirituality and every dietary restriction and de-duplicates them.
    /// Restrictions outside the vocabulary are kept for validation to report (the reference's
    /// unused `Process` silently dropped them).
    fn normalize(&mut self) {
        text::text(&mut self.religion);
        text::vocab(&mut self.spirituality);
        text::text(&mut self.cultural_background);
        text::list(&mut self.traditions, text::Case::Lower);
        text::list(&mut self.holidays, text::Case::Lower);
        text::vocab_list(&mut self.dietary_restrictions);
    }

    /// Spirituality in its vocabulary; at most 25 traditions, 30 holidays and 15 dietary
    /// restrictions, each restriction in its vocabulary (path `dietary_restrictions[i]`).
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(spirituality) = &self.spirituality {
            rules::vocabulary(spirituality, &at.field("spirituality"), report);
        }
        rules::max_items(self.traditions.len(), 25, &at.field("traditions"), report);
        rules::max_items(self.holidays.len(), 30, &at.field("holidays"), report);
        let dietary = at.field("dietary_restrictions");
        rules::max_items(self.dietary_restrictions.len(), 15, &dietary, report);
        for (i, restriction) in self.dietary_restrictions.iter().enumerate() {
            rules::vocabulary(restriction, &dietary.index(i), report);
        }
    }

    /// Religious family, spiritual practices, tradition and holiday categories, cultural region,
    /// dietary categories and complexity.
    fn analyze(&self, _context: &AnalysisContext) -> CulturalProfile {
        let spirituality = self.spirituality.as_ref().and_then(Vocab::known).copied();
        let dietary_categories = self
            .dietary_restrictions
            .iter()
            .filter_map(Vocab::known)
            .map(|restriction| (DietaryCategory::of(*restriction), *restriction))
            .collect();
        CulturalProfile {
            religious_family: non_blank(&self.religion)
                .map(|religion| RELIGIOUS_FAMILIES.classify(religion)),
            spirituality,
            spiritual_practices: spirituality.map_or(&[], SpiritualPractice::of),
            tradition_categories: keywords::group(&TRADITION_CATEGORIES, &self.traditions),
            holiday_types: keywords::group(&HOLIDAY_TYPES, &self.holidays),
            cultural_region: non_blank(&self.cultural_background)
                .map(|background| CULTURAL_REGIONS.classify(background)),
            dietary_categories,
            dietary_complexity: DietaryComplexity::of(self.dietary_restrictions.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;
    use serde_json::json;

    fn cultural(value: serde_json::Value) -> CulturalReligious {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn normalize_keeps_unknown_restrictions_and_is_idempotent() {
        let mut value = cultural(json!({
            "religion": " Buddhism ", "spirituality": "Spiritual Not Religious",
            "traditions": ["Family Dinner", "family dinner", " "],
            "holidays": ["Diwali", "DIWALI"],
            "dietary_restrictions": ["Gluten_Free", "gluten-free", "carnivore", ""]
        }));
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(value.religion.as_deref(), Some("Buddhism"));
        assert_eq!(
            value.spirituality,
            Some(Vocab::Known(Spirituality::SpiritualNotReligious))
        );
        assert_eq!(value.traditions, ["family dinner"]);
        assert_eq!(value.holidays, ["diwali"]);
        assert_eq!(
            value.dietary_restrictions,
            [
                Vocab::Known(DietaryRestriction::GlutenFree),
                Vocab::Unknown("carnivore".into())
            ]
        );
        let report = value.validate();
        assert_eq!(report.len(), 1);
        assert_eq!(
            report.violations()[0].path,
            "rich_attributes.cultural_religious.dietary_restrictions[1]"
        );
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let value = cultural(json!({
            "spirituality": "medium",
            "traditions": (0..26).map(|i| i.to_string()).collect::<Vec<_>>(),
            "holidays": (0..31).map(|i| i.to_string()).collect::<Vec<_>>(),
            "dietary_restrictions": vec!["vegan"; 15].into_iter().chain(["carnivore"]).collect::<Vec<_>>()
        }));
        let c = "rich_attributes.cultural_religious";
        let got: Vec<_> = value
            .validate()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        assert_eq!(
            got,
            [
                (format!("{c}.spirituality"), Code::NotInVocabulary),
                (format!("{c}.traditions"), Code::TooManyItems),
                (format!("{c}.holidays"), Code::TooManyItems),
                (format!("{c}.dietary_restrictions"), Code::TooManyItems),
                (
                    format!("{c}.dietary_restrictions[15]"),
                    Code::NotInVocabulary
                ),
            ]
        );
    }

    #[test]
    fn analysis_follows_the_reference_tables() {
        let value = cultural(json!({
            "religion": "Catholic", "spirituality": "deeply-religious",
            "cultural_background": "South African",
            "traditions": ["christmas", "family dinner", "Knitting"],
            "holidays": ["Mother's Day", "mother day", "Eid al-Fitr", "4th of July", "Labor Day"],
            "dietary_restrictions": ["halal", "no-pork", "nut-free", "pizza"]
        }));
        let profile = value.analyze(&AnalysisContext::default());
        assert_eq!(profile.religious_family, Some(ReligiousFamily::Abrahamic));
        assert_eq!(
            profile.spiritual_practices,
            [
                SpiritualPractice::Prayer,
                SpiritualPractice::Worship,
                SpiritualPractice::ScriptureStudy,
                SpiritualPractice::Ritual,
                SpiritualPractice::Service
            ]
        );
        let traditions = &profile.tradition_categories;
        assert_eq!(traditions.count(TraditionCategory::ReligiousHoliday), 1);
        assert_eq!(traditions.count(TraditionCategory::Family), 1);
        assert_eq!(traditions.count(TraditionCategory::Other), 1);
        let holidays = &profile.holiday_types;
        assert_eq!(
            holidays.get(HolidayType::Family).collect::<Vec<_>>(),
            ["mother day"]
        );
        assert_eq!(holidays.count(HolidayType::Religious), 1);
        assert_eq!(holidays.count(HolidayType::National), 1);
        assert_eq!(holidays.count(HolidayType::Other), 2);
        assert_eq!(profile.cultural_region, Some(CulturalRegion::Africa));
        assert_eq!(
            profile.dietary_categories.count(DietaryCategory::Religious),
            1
        );
        assert_eq!(profile.dietary_categories.count(DietaryCategory::Other), 1);
        assert_eq!(
            profile.dietary_categories.count(DietaryCategory::Medical),
            1
        );
        assert_eq!(profile.dietary_complexity, DietaryComplexity::Moderate);
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(json["dietary_categories"]["religious"][0], "halal");
        assert_eq!(json["spiritual_practices"][1], "worship");

        let none = CulturalReligious {
            religion: Some("Jedi".into()),
            cultural_background: Some("Martian".into()),
            ..Default::default()
        }
        .analyze(&AnalysisContext::default());
        assert_eq!(none.religious_family, Some(ReligiousFamily::Other));
        assert_eq!(none.cultural_region, Some(CulturalRegion::Other));
        assert!(none.spiritual_practices.is_empty());
        assert_eq!(none.dietary_complexity, DietaryComplexity::None);
        assert_eq!(
            [0, 1, 2, 3, 5, 6].map(DietaryComplexity::of),
            [
                DietaryComplexity::None,
                DietaryComplexity::Simple,
                DietaryComplexity::Simple,
                DietaryComplexity::Moderate,
                DietaryComplexity::Moderate,
                DietaryComplexity::Complex
            ]
        );
    }
}
