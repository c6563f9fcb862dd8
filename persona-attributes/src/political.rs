//! Politics and social engagement (reference §2.7).

use serde::{Deserialize, Serialize};

use crate::category::{Amount, Categories};
use crate::keywords::{self, ExactTable, KeywordTable};
use crate::processor::{AnalysisContext, Processor};
use crate::psychographics::Level;
use crate::text::{self, canonical_chars};
use crate::validate::{FieldPath, ValidationReport, rules};
use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Political leaning.
    PoliticalLeaning as "political_leaning" {
        FarLeft = "far-left",
        Left = "left",
        CenterLeft = "center-left",
        Center = "center",
        CenterRight = "center-right",
        Right = "right",
        FarRight = "far-right",
        Libertarian = "libertarian",
        Authoritarian = "authoritarian",
        Progressive = "progressive",
        Conservative = "conservative",
        Moderate = "moderate",
        Independent = "independent",
        Apolitical = "apolitical",
    }
}

vocabulary! {
    /// How often a person votes.
    VotingHistory as "voting_history" {
        NeverVoted = "never-voted",
        RarelyVotes = "rarely-votes",
        SometimesVotes = "sometimes-votes",
        UsuallyVotes = "usually-votes",
        AlwaysVotes = "always-votes",
        EligibleButNeverVoted = "eligible-but-never-voted",
        NotEligible = "not-eligible",
        FirstTimeVoter = "first-time-voter",
    }
}

vocabulary! {
    /// Where a leaning sits on the spectrum: far-left/left/progressive → left; center/moderate → center;
    /// right/far-right/conservative → right; the others map to themselves.
    PoliticalSpectrum as "political_spectrum" {
        Left = "left",
        CenterLeft = "center-left",
        Center = "center",
        CenterRight = "center-right",
        Right = "right",
        Libertarian = "libertarian",
        Authoritarian = "authoritarian",
        Independent = "independent",
        Apolitical = "apolitical",
    }
}

impl PoliticalSpectrum {
    /// The spectrum position of a leaning.
    pub const fn of(leaning: PoliticalLeaning) -> PoliticalSpectrum {
        use PoliticalLeaning as L;
        match leaning {
            L::FarLeft | L::Left | L::Progressive => PoliticalSpectrum::Left,
            L::CenterLeft => PoliticalSpectrum::CenterLeft,
            L::Center | L::Moderate => PoliticalSpectrum::Center,
            L::CenterRight => PoliticalSpectrum::CenterRight,
            L::Right | L::FarRight | L::Conservative => PoliticalSpectrum::Right,
            L::Libertarian => PoliticalSpectrum::Libertarian,
            L::Authoritarian => PoliticalSpectrum::Authoritarian,
            L::Independent => PoliticalSpectrum::Independent,
            L::Apolitical => PoliticalSpectrum::Apolitical,
        }
    }
}

/// Political views and social engagement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoliticalSocial {
    /// Political leaning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_leaning: Option<Vocab<PoliticalLeaning>>,
    /// Forms of activism (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub activism: Vec<String>,
    /// Social groups (at most 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub social_groups: Vec<String>,
    /// Causes supported (at most 30).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// How often the person votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voting_history: Option<Vocab<VotingHistory>>,
    /// Media consumed (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_consumption: Vec<String>,
}

/// Likelihood to vote, from the voting history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VotingLikelihood {
    /// never-voted, eligible-but-never-voted
    VeryLow,
    /// rarely-votes
    Low,
    /// sometimes-votes
    Moderate,
    /// usually-votes
    High,
    /// always-votes
    VeryHigh,
    /// not-eligible
    NotApplicable,
    /// first-time-voter
    Unknown,
}

impl VotingLikelihood {
    /// The likelihood for a voting history.
    pub const fn of(history: VotingHistory) -> Self {
        use VotingHistory as H;
        match history {
            H::AlwaysVotes => VotingLikelihood::VeryHigh,
            H::UsuallyVotes => VotingLikelihood::High,
            H::SometimesVotes => VotingLikelihood::Moderate,
            H::RarelyVotes => VotingLikelihood::Low,
            H::NeverVoted | H::EligibleButNeverVoted => VotingLikelihood::VeryLow,
            H::NotEligible => VotingLikelihood::NotApplicable,
            H::FirstTimeVoter => VotingLikelihood::Unknown,
        }
    }
}

/// Forms of activism (exact match on the canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivismCategory {
    /// voting, campaigning, canvassing, phone-banking
    Electoral,
    /// protesting, marching, civil-disobedience
    DirectAction,
    /// boycotting, divesting
    Economic,
    /// fundraising, donating
    Financial,
    /// volunteering, organizing
    Community,
    /// advocacy, lobbying, petitioning
    Advocacy,
    /// social-media, blogging, online-organizing
    Digital,
    /// Anything else.
    Other,
}

static ACTIVISM_CATEGORIES: ExactTable<ActivismCategory> = ExactTable::new(
    ActivismCategory::Other,
    &[
        (
            ActivismCategory::Electoral,
            &["voting", "campaigning", "canvassing", "phone-banking"],
        ),
        (
            ActivismCategory::DirectAction,
            &["protesting", "marching", "civil-disobedience"],
        ),
        (ActivismCategory::Economic, &["boycotting", "divesting"]),
        (ActivismCategory::Financial, &["fundraising", "donating"]),
        (ActivismCategory::Community, &["volunteering", "organizing"]),
        (
            ActivismCategory::Advocacy,
            &["advocacy", "lobbying", "petitioning"],
        ),
        (
            ActivismCategory::Digital,
            &["social-media", "blogging", "online-organizing"],
        ),
    ],
);

/// Causes (exact match on the canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseCategory {
    /// environment, climate-change, conservation
    Environmental,
    /// human-rights, civil-rights, equality, justice
    SocialJustice,
    /// education, healthcare, poverty, homelessness
    SocialServices,
    /// immigration, gun-control, abortion
    Policy,
    /// taxation, labor, minimum-wage
    Economic,
    /// animal-rights, animal-welfare
    AnimalWelfare,
    /// veterans, seniors, children
    Community,
    /// technology, privacy, internet-freedom
    Technology,
    /// Anything else.
    Other,
}

static CAUSE_CATEGORIES: ExactTable<CauseCategory> = ExactTable::new(
    CauseCategory::Other,
    &[
        (
            CauseCategory::Environmental,
            &["environment", "climate-change", "conservation"],
        ),
        (
            CauseCategory::SocialJustice,
            &["human-rights", "civil-rights", "equality", "justice"],
        ),
        (
            CauseCategory::SocialServices,
            &["education", "healthcare", "poverty", "homelessness"],
        ),
        (
            CauseCategory::Policy,
            &["immigration", "gun-control", "abortion"],
        ),
        (
            CauseCategory::Economic,
            &["taxation", "labor", "minimum-wage"],
        ),
        (
            CauseCategory::AnimalWelfare,
            &["animal-rights", "animal-welfare"],
        ),
        (
            CauseCategory::Community,
            &["veterans", "seniors", "children"],
        ),
        (
            CauseCategory::Technology,
            &["technology", "privacy", "internet-freedom"],
        ),
    ],
);

/// Social group categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SocialGroupCategory {
    /// political-party, campaign
    Political,
    /// union, professional, trade-association
    Professional,
    /// religious, church, mosque, synagogue
    Religious,
    /// community, neighborhood
    Community,
    /// civic, volunteer
    Civic,
    /// charity, nonprofit
    Charitable,
    /// advocacy, activist
    Advocacy,
    /// hobby, sports
    Recreational,
    /// cultural, ethnic
    Cultural,
    /// online, social-media
    Digital,
    /// Anything else.
    Other,
}

static SOCIAL_GROUP_CATEGORIES: KeywordTable<SocialGroupCategory> = KeywordTable::new(
    SocialGroupCategory::Other,
    &[
        (
            SocialGroupCategory::Political,
            &["political-party", "campaign"],
        ),
        (
            SocialGroupCategory::Professional,
            &["union", "professional", "trade-association"],
        ),
        (
            SocialGroupCategory::Religious,
            &["religious", "church", "mosque", "synagogue"],
        ),
        (
            SocialGroupCategory::Community,
            &["community", "neighborhood"],
        ),
        (SocialGroupCategory::Civic, &["civic", "volunteer"]),
        (SocialGroupCategory::Charitable, &["charity", "nonprofit"]),
        (SocialGroupCategory::Advocacy, &["advocacy", "activist"]),
        (SocialGroupCategory::Recreational, &["hobby", "sports"]),
        (SocialGroupCategory::Cultural, &["cultural", "ethnic"]),
        (SocialGroupCategory::Digital, &["online", "social-media"]),
    ],
);

/// Media categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaCategory {
    /// newspaper, magazine, television, radio
    Traditional,
    /// social-media, blog, podcast, youtube
    Digital,
    /// twitter, facebook, instagram, reddit
    Social,
    /// news-website, online
    Online,
    /// streaming, netflix
    Streaming,
    /// Anything else.
    Other,
}

static MEDIA_CATEGORIES: KeywordTable<MediaCategory> = KeywordTable::new(
    MediaCategory::Other,
    &[
        (
            MediaCategory::Traditional,
            &["newspaper", "magazine", "television", "radio"],
        ),
        (
            MediaCategory::Digital,
            &["social-media", "blog", "podcast", "youtube"],
        ),
        (
            MediaCategory::Social,
            &["twitter", "facebook", "instagram", "reddit"],
        ),
        (MediaCategory::Online, &["news-website", "online"]),
        (MediaCategory::Streaming, &["streaming", "netflix"]),
    ],
);

/// The analysis of [`PoliticalSocial`] (reference `GetPoliticalProfile` and `GetSocialProfile`
/// together).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoliticalProfile {
    /// The leaning, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_leaning: Option<PoliticalLeaning>,
    /// Where the leaning sits on the spectrum (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_spectrum: Option<PoliticalSpectrum>,
    /// Present when a leaning is set: +1 unless apolitical, +2 for any activism, +1 for any cause,
    /// +3/+2/+1 for always/usually/sometimes voting; ≥6 very-high, ≥4 high, ≥2 moderate, ≥1 low.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_engagement: Option<Level>,
    /// Likelihood to vote, when the voting history is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voting_likelihood: Option<VotingLikelihood>,
    /// Activism by category.
    pub activism_categories: Categories<ActivismCategory>,
    /// Number of forms of activism: 0 none, ≤2 low, ≤5 moderate, ≤10 high, else very-high.
    pub activism_level: Amount,
    /// Causes by category.
    pub cause_categories: Categories<CauseCategory>,
    /// Social groups by category.
    pub social_group_categories: Categories<SocialGroupCategory>,
    /// Number of social groups: 0 none, ≤2 low, ≤5 moderate, ≤10 high, else very-high.
    pub social_engagement: Amount,
    /// Media by category.
    pub media_categories: Categories<MediaCategory>,
    /// Number of media categories (other included): ≥5 very-high, ≥4 high, ≥2 moderate, 1 low.
    pub media_diversity: Amount,
}

impl PoliticalSocial {
    fn engagement(&self) -> Option<Level> {
        let leaning = self.political_leaning.as_ref().filter(|l| !l.is_blank())?;
        // The reference compared the raw string, so " Apolitical" counted as engaged.
        let apolitical = match leaning {
            Vocab::Known(known) => *known == PoliticalLeaning::Apolitical,
            Vocab::Unknown(raw) => canonical_chars(raw).eq("apolitical".chars()),
        };
        let mut score = u8::from(!apolitical);
        if !self.activism.is_empty() {
            score += 2;
        }
        if !self.causes.is_empty() {
            score += 1;
        }
        score += match self.voting_history.as_ref().and_then(Vocab::known) {
            Some(VotingHistory::AlwaysVotes) => 3,
            Some(VotingHistory::UsuallyVotes) => 2,
            Some(VotingHistory::SometimesVotes) => 1,
            _ => 0,
        };
        Some(match score {
            6.. => Level::VeryHigh,
            4.. => Level::High,
            2.. => Level::Moderate,
            1 => Level::Low,
            0 => Level::VeryLow,
        })
    }
}

impl Processor for PoliticalSocial {
    const CATEGORY: &'static str = "political_social";
    type Profile = PoliticalProfile;

    /// Canonicalises the leaning (`very_liberal` becomes `far-left`, `liberal` `left`, …) and the
    /// voting history; trims and de-duplicates activism, social groups, causes and media, keeping
    /// their case (the reference had no `Process` rule for them).
    fn normalize(&mut self) {
        text::vocab(&mut self.political_leaning);
        text::list(&mut self.activism, text::Case::Keep);
        text::list(&mut self.social_groups, text::Case::Keep);
        text::list(&mut self.causes, text::Case::Keep);
        text::vocab(&mut self.voting_history);
        text::list(&mut self.media_consumption, text::Case::Keep);
    }

    /// Leaning and voting history in their vocabularies; at most 20 forms of activism, 25 social
    /// groups, 30 causes and 15 media.
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(leaning) = &self.political_leaning {
            rules::vocabulary(leaning, &at.field("political_leaning"), report);
        }
        rules::max_items(self.activism.len(), 20, &at.field("activism"), report);
        rules::max_items(
            self.social_groups.len(),
            25,
            &at.field("social_groups"),
            report,
        );
        rules::max_items(self.causes.len(), 30, &at.field("causes"), report);
        if let Some(history) = &self.voting_history {
            rules::vocabulary(history, &at.field("voting_history"), report);
        }
        let media = at.field("media_consumption");
        rules::max_items(self.media_consumption.len(), 15, &media, report);
    }

    /// Spectrum, engagement (on the normalised leaning), voting likelihood, activism, cause,
    /// social-group and media categories with their levels.
    fn analyze(&self, _context: &AnalysisContext) -> PoliticalProfile {
        let leaning = self
            .political_leaning
            .as_ref()
            .and_then(Vocab::known)
            .copied();
        let media_categories = keywords::group(&MEDIA_CATEGORIES, &self.media_consumption);
        let media_diversity = match media_categories.len() {
            0 => Amount::None,
            1 => Amount::Low,
            2..=3 => Amount::Moderate,
            4 => Amount::High,
            _ => Amount::VeryHigh,
        };
        PoliticalProfile {
            political_leaning: leaning,
            political_spectrum: leaning.map(PoliticalSpectrum::of),
            political_engagement: self.engagement(),
            voting_likelihood: self
                .voting_history
                .as_ref()
                .and_then(Vocab::known)
                .map(|history| VotingLikelihood::of(*history)),
            activism_categories: keywords::group(&ACTIVISM_CATEGORIES, &self.activism),
            activism_level: Amount::bucket(self.activism.len(), 2, 5, 10),
            cause_categories: keywords::group(&CAUSE_CATEGORIES, &self.causes),
            social_group_categories: keywords::group(&SOCIAL_GROUP_CATEGORIES, &self.social_groups),
            social_engagement: Amount::bucket(self.social_groups.len(), 2, 5, 10),
            media_categories,
            media_diversity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;
    use serde_json::json;

    fn political(value: serde_json::Value) -> PoliticalSocial {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn normalize_maps_leaning_aliases() {
        for (raw, want) in [
            ("very_liberal", PoliticalLeaning::FarLeft),
            ("Liberal", PoliticalLeaning::Left),
            ("very_conservative", PoliticalLeaning::FarRight),
            ("Center Left", PoliticalLeaning::CenterLeft),
            (" moderate ", PoliticalLeaning::Moderate),
        ] {
            let mut value = political(json!({"political_leaning": raw}));
            value.normalize();
            assert_eq!(value.political_leaning, Some(Vocab::Known(want)), "{raw}");
            let once = value.clone();
            value.normalize();
            assert_eq!(value, once);
        }
        let mut value = political(json!({
            "activism": [" Voting", "Voting", ""], "voting_history": "Always Votes",
            "media_consumption": ["NPR", "npr"]
        }));
        value.normalize();
        assert_eq!(value.activism, ["Voting"]);
        assert_eq!(value.media_consumption, ["NPR", "npr"]);
        assert_eq!(
            value.voting_history,
            Some(Vocab::Known(VotingHistory::AlwaysVotes))
        );
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let list = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let value = political(json!({
            "political_leaning": "green", "activism": list(21), "social_groups": list(26),
            "causes": list(31), "voting_history": "votes", "media_consumption": list(16)
        }));
        let p = "rich_attributes.political_social";
        let got: Vec<_> = value
            .validate()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        assert_eq!(
            got,
            [
                (format!("{p}.political_leaning"), Code::NotInVocabulary),
                (format!("{p}.activism"), Code::TooManyItems),
                (format!("{p}.social_groups"), Code::TooManyItems),
                (format!("{p}.causes"), Code::TooManyItems),
                (format!("{p}.voting_history"), Code::NotInVocabulary),
                (format!("{p}.media_consumption"), Code::TooManyItems),
            ]
        );
        let at_caps = political(json!({
            "activism": list(20), "social_groups": list(25), "causes": list(30),
            "media_consumption": list(15)
        }));
        assert!(at_caps.validate().is_valid());
    }

    #[test]
    fn analysis_follows_the_reference_tables() {
        let value = political(json!({
            "political_leaning": "progressive",
            "activism": ["Phone Banking", "protesting", "knitting"],
            "social_groups": ["Teachers Union", "Local church choir", "Online gaming guild", "Book club"],
            "causes": ["climate change", "Privacy", "cats"],
            "voting_history": "always-votes",
            "media_consumption": ["New York Times newspaper", "podcasts", "Reddit", "Netflix", "online news", "email newsletters"]
        }));
        let profile = value.analyze(&AnalysisContext::default());
        assert_eq!(profile.political_spectrum, Some(PoliticalSpectrum::Left));
        assert_eq!(profile.political_engagement, Some(Level::VeryHigh));
        assert_eq!(profile.voting_likelihood, Some(VotingLikelihood::VeryHigh));
        let activism = &profile.activism_categories;
        assert_eq!(activism.count(ActivismCategory::Electoral), 1);
        assert_eq!(activism.count(ActivismCategory::DirectAction), 1);
        assert_eq!(activism.count(ActivismCategory::Other), 1);
        assert_eq!(profile.activism_level, Amount::Moderate);
        assert_eq!(
            profile.cause_categories.count(CauseCategory::Environmental),
            1
        );
        assert_eq!(profile.cause_categories.count(CauseCategory::Technology), 1);
        let groups = &profile.social_group_categories;
        assert_eq!(groups.count(SocialGroupCategory::Professional), 1);
        assert_eq!(groups.count(SocialGroupCategory::Religious), 1);
        assert_eq!(groups.count(SocialGroupCategory::Digital), 1);
        assert_eq!(groups.count(SocialGroupCategory::Other), 1);
        assert_eq!(profile.social_engagement, Amount::Moderate);
        let media = &profile.media_categories;
        assert_eq!(media.count(MediaCategory::Traditional), 1);
        assert_eq!(media.count(MediaCategory::Digital), 1);
        assert_eq!(media.count(MediaCategory::Social), 1);
        assert_eq!(media.count(MediaCategory::Streaming), 1);
        assert_eq!(media.count(MediaCategory::Online), 1);
        assert_eq!(media.count(MediaCategory::Other), 1);
        assert_eq!(profile.media_diversity, Amount::VeryHigh);
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(json["political_spectrum"], "left");
        assert_eq!(json["activism_categories"]["electoral"][0], "Phone Banking");
    }

    #[test]
    fn engagement_uses_the_normalised_leaning() {
        let engagement = |leaning: &str, voting: &str| {
            let mut value =
                political(json!({"political_leaning": leaning, "voting_history": voting}));
            value.normalize();
            value
                .analyze(&AnalysisContext::default())
                .political_engagement
        };
        assert_eq!(
            engagement(" Apolitical ", "never-voted"),
            Some(Level::VeryLow)
        );
        assert_eq!(engagement("center", "never-voted"), Some(Level::Low));
        assert_eq!(
            engagement("center", "sometimes-votes"),
            Some(Level::Moderate)
        );
        assert_eq!(engagement("center", "usually-votes"), Some(Level::Moderate));
        assert_eq!(engagement("center", "always-votes"), Some(Level::High));
        let unset = political(json!({"voting_history": "always-votes"}));
        assert_eq!(
            unset
                .analyze(&AnalysisContext::default())
                .political_engagement,
            None
        );
        let raw = PoliticalSocial {
            political_leaning: Some(Vocab::Unknown("APOLITICAL".into())),
            ..Default::default()
        };
        assert_eq!(raw.engagement(), Some(Level::VeryLow));
        assert_eq!(
            [
                VotingHistory::NeverVoted,
                VotingHistory::EligibleButNeverVoted,
                VotingHistory::NotEligible,
                VotingHistory::FirstTimeVoter,
            ]
            .map(VotingLikelihood::of),
            [
                VotingLikelihood::VeryLow,
                VotingLikelihood::VeryLow,
                VotingLikelihood::NotApplicable,
                VotingLikelihood::Unknown
            ]
        );
    }
}
