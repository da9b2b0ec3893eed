//! The dealer's own document: its catalogue (models, trims, colours,
//! accessories and fees, demo cars) and its showroom rules (follow-up
//! cadence, lost reasons, the test-drive agreement, time zone, currency).
//! Only a manager or an admin changes it (`crate::rules`); every device of
//! the dealer reads it offline.
//!
//! Entries are records with stable ids (`doc::Record`): two managers editing
//! different entries offline both keep their edits. Entries are archived,
//! never deleted: an old quote or test drive still names its trim and car.

use autosurgeon::{Hydrate, Reconcile};
use thiserror::Error;

use super::id::id_type;
use super::quote_rules::{DiscountLimit, QuoteRules};
use super::record::{Field, Fields, holds_records, record};
use super::text_enum::text_enum;
use super::{DealerId, Grade, Money};

id_type!(
    /// A model (车型) in the catalogue.
    ModelId
);
id_type!(
    /// A trim (配置) of a model: what is priced and driven.
    TrimId
);
id_type!(
    /// A paint colour.
    ColourId
);
id_type!(
    /// An accessory (精品) or a fee (上牌费 …).
    ItemId
);
id_type!(
    /// A demo car (试驾车).
    CarId
);

text_enum!(
    /// What moves the car; purchase tax and vehicle tax depend on it (RULES.md).
    Powertrain, "powertrain", {
        Petrol = "petrol",
        Diesel = "diesel",
        Hybrid = "hybrid",
        PlugInHybrid = "phev",
        BatteryElectric = "bev",
    }
);

impl Powertrain {
    /// A new-energy vehicle (新能源): purchase-tax relief, no vehicle tax.
    pub const fn is_nev(self) -> bool {
        matches!(self, Powertrain::PlugInHybrid | Powertrain::BatteryElectric)
    }
}

text_enum!(
    /// The gearbox, for the licence class (C2 drives automatics only).
    Transmission, "transmission", {
        Manual = "manual",
        Automatic = "automatic",
    }
);

text_enum!(
    /// A catalogue item sold with the car.
    ItemKind, "item kind", {
        Accessory = "accessory",
        Fee = "fee",
    }
);

#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Model {
    pub id: ModelId,
    pub name: String,
    pub archived: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Trim {
    pub id: TrimId,
    pub model: ModelId,
    pub name: String,
    /// Manufacturer's suggested retail price incl. VAT, fen.
    pub list_price: Money,
    pub powertrain: Powertrain,
    pub gearbox: Transmission,
    pub seats: u32,
    /// Engine displacement in cc; 0 for a battery-electric car.
    pub displacement_cc: u32,
    pub archived: bool,
    /// The dealer's cost of the car (its invoice from the manufacturer),
    /// for the margin a manager sees on a quote; managers only.
    #[autosurgeon(missing = "Default::default")]
    pub cost: Option<Money>,
    /// This trim's own discount limit; the settings' default otherwise.
    #[autosurgeon(missing = "Default::default")]
    pub max_discount: Option<DiscountLimit>,
}

impl Trim {
    pub fn transmission(&self) -> Transmission {
        if self.powertrain == Powertrain::BatteryElectric {
            Transmission::Automatic
        } else {
            self.gearbox
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Colour {
    pub id: ColourId,
    pub name: String,
    /// Extra over the list price (metallic paint …), fen.
    pub price: Money,
    pub archived: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Item {
    pub id: ItemId,
    pub kind: ItemKind,
    pub name: String,
    pub price: Money,
    pub archived: bool,
}

/// A vehicle identification number: 17 characters, no I, O or Q, with the
/// check digit in position 9 (ISO 3779; mandatory in China, GB 16735).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vin(String);

#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum VinError {
    #[error("a VIN has 17 characters")]
    Length,
    #[error("a VIN has only digits and the letters A–Z except I, O and Q")]
    Character,
    #[error("the VIN's check digit (9th character) does not match")]
    CheckDigit,
}

impl Vin {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check digit the other 16 characters give.
    pub fn check_digit(vin: &str) -> Result<char, VinError> {
        const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
        let mut sum = 0u32;
        for (i, c) in vin.chars().enumerate() {
            let v = match c {
                '0'..='9' => c as u32 - '0' as u32,
                'A' | 'J' => 1,
                'B' | 'K' | 'S' => 2,
                'C' | 'L' | 'T' => 3,
                'D' | 'M' | 'U' => 4,
                'E' | 'N' | 'V' => 5,
                'F' | 'W' => 6,
                'G' | 'P' | 'X' => 7,
                'H' | 'Y' => 8,
                'R' | 'Z' => 9,
                _ => return Err(VinError::Character),
            };
            sum += v * WEIGHTS.get(i).copied().ok_or(VinError::Length)?;
        }
        Ok(match sum % 11 {
            10 => 'X',
            n => char::from_digit(n, 10).unwrap_or('0'),
        })
    }
}

impl std::str::FromStr for Vin {
    type Err = VinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let vin: String = s.trim().to_ascii_uppercase();
        if vin.chars().count() != 17 {
            return Err(VinError::Length);
        }
        let check = Vin::check_digit(&vin)?;
        if vin.chars().nth(8) != Some(check) {
            return Err(VinError::CheckDigit);
        }
        Ok(Vin(vin))
    }
}

impl std::fmt::Display for Vin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct DemoCar {
    pub id: CarId,
    pub stock_number: String,
    pub vin: Vin,
    /// Demo cars are plated before road use (art. 8).
    pub plate: String,
    pub trim: TrimId,
    pub odometer_km: u32,
    pub archived: bool,
}

/// A coded reason a deal was lost (战败原因).
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct LostReason {
    /// Stable code (`competitor`, `price` …): the record's key.
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub archived: bool,
}

impl LostReason {
    /// The reason in Chinese (`zh`) or English.
    pub fn label(&self, zh: bool) -> &str {
        if zh { &self.label_zh } else { &self.label_en }
    }
}

/// Days to the next follow-up by intent grade (H/A/B/C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Cadence {
    pub h: u32,
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            h: 1,
            a: 3,
            b: 7,
            c: 14,
        }
    }
}

impl Cadence {
    pub fn days(&self, grade: Grade) -> Option<u32> {
        match grade {
            Grade::H | Grade::N => Some(self.h),
            Grade::A => Some(self.a),
            Grade::B => Some(self.b),
            Grade::C => Some(self.c),
            Grade::O | Grade::F => None,
        }
    }
}

/// The agreement a test driver signs, in Chinese and English, versioned:
/// a signature records the version it was given under.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Agreement {
    pub version: u32,
    pub zh: String,
    pub en: String,
    /// The dealer accepts the customer's name typed in place of a drawn
    /// signature (a customer who cannot sign on a screen, or a keyboard or
    /// screen-reader user). Off unless the dealer turns it on.
    #[autosurgeon(missing = "Default::default")]
    pub typed_name: bool,
}

impl Default for Agreement {
    fn default() -> Self {
        Agreement {
            version: 1,
            zh: "本人持有效驾驶证，自愿参加试乘试驾，遵守交通法规并服从陪同人员指引；因本人违规或不当驾驶造成的损失由本人承担。".to_owned(),
            en: "I hold a valid driving licence and take this test drive of my own accord. I will obey the traffic laws and the accompanying staff's directions, and I am liable for damage caused by my breach of the rules or misuse of the car.".to_owned(),
            typed_name: false,
        }
    }
}

/// The showroom rules a manager sets.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Settings {
    /// IANA name; the device's dates (today, due dates) are in it.
    pub time_zone: String,
    /// ISO 4217; amounts are in its minor unit.
    pub currency: String,
    pub cadence: Cadence,
    pub agreement: Agreement,
    /// Taxes, insurance, finance and discount rules of quotes.
    #[autosurgeon(missing = "Default::default")]
    pub quote: QuoteRules,
    /// Follow-up targets and the lost-request rule.
    #[autosurgeon(missing = "Default::default")]
    pub follow_up: FollowUpRules,
    /// Who the dealer is on paper: the printed test-drive record and quotes.
    #[autosurgeon(missing = "Default::default")]
    pub profile: DealerProfile,
    /// The open pool, walk-in rotation and lead collisions.
    #[autosurgeon(missing = "Default::default")]
    pub pool: PoolRules,
}

text_enum!(
    /// What becomes of a pool lead nobody claimed within its first-contact
    /// target.
    Unclaimed, "unclaimed rule", {
        /// It stays in the pool, flagged overdue.
        Stay = "stay",
        /// It goes to the next salesperson in the walk-in rotation.
        Rotate = "rotate",
    }
);

text_enum!(
    /// What happens when two leads of the dealer share a mobile number (撞单).
    CollisionRule, "collision rule", {
        /// Both owners and the manager are told; the manager merges, keeps
        /// both or assigns them.
        ManagerDecides = "manager",
        /// The earlier lead absorbs the later at once; the manager is told.
        FirstCapturedWins = "first_captured",
    }
);

/// The dealer's rules for leads that belong to nobody yet and for walk-ins.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct PoolRules {
    pub unclaimed: Unclaimed,
    /// Walk-ins are offered to the salespeople in turn ("up" system).
    pub rotation: bool,
    pub collisions: CollisionRule,
}

impl Default for PoolRules {
    fn default() -> Self {
        PoolRules {
            unclaimed: Unclaimed::Stay,
            rotation: false,
            collisions: CollisionRule::ManagerDecides,
        }
    }
}

impl FollowUpRules {
    /// How long a new lead from `source` may wait for its first contact
    /// (ms): the manufacturer's leads have their own, shorter target.
    pub fn first_contact_ms(&self, source: super::Source) -> i64 {
        let hours = if source == super::Source::Manufacturer {
            self.first_contact_hours_oem
        } else {
            self.first_contact_hours
        };
        i64::from(hours) * 3_600_000
    }
}

/// The dealer as printed on its records. Empty fields are left off the page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hydrate, Reconcile)]
pub struct DealerProfile {
    /// The name on paper (e.g. "北京星辰汽车销售服务有限公司"); empty: the
    /// account's dealer name.
    pub name: String,
    pub address: String,
    pub phone: String,
    /// The logo as a `data:image/png|jpeg|webp;base64,…` URL, at most
    /// [`DealerProfile::LOGO_BYTES`] of image; empty: none.
    pub logo: String,
}

/// Why a logo was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the logo must be a PNG, JPEG or WebP image")]
    Format,
    #[error("the logo is larger than {max} bytes")]
    TooLarge { max: usize },
}

impl DealerProfile {
    /// An image of a logo on a letterhead needs far less; the whole dealer
    /// document travels to every device.
    pub const LOGO_BYTES: usize = 96 * 1024;
    /// Longest name, address or phone kept.
    pub const TEXT_CHARS: usize = 200;

    /// Checks a logo `data:` URL: a PNG, JPEG or WebP (never SVG, which can
    /// carry script) of at most [`Self::LOGO_BYTES`].
    pub fn check_logo(url: &str) -> Result<(), LogoError> {
        let rest = [
            "data:image/png;base64,",
            "data:image/jpeg;base64,",
            "data:image/webp;base64,",
        ]
        .iter()
        .find_map(|p| url.strip_prefix(p))
        .ok_or(LogoError::Format)?;
        if !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return Err(LogoError::Format);
        }
        if rest.len() / 4 * 3 > Self::LOGO_BYTES {
            return Err(LogoError::TooLarge {
                max: Self::LOGO_BYTES,
            });
        }
        Ok(())
    }
}

/// The dealer's follow-up rules.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct FollowUpRules {
    /// Hours to the first contact of a new lead (its first task is due then).
    pub first_contact_hours: u32,
    /// The same for a lead the manufacturer pushed (OEM rules: 12 h).
    pub first_contact_hours_oem: u32,
    /// Follow-up attempts before a lost request may be made (OEM programmes
    /// often require 3).
    pub min_attempts_before_lost: u32,
    /// The version of the consent wording shown at capture.
    pub consent_wording_version: u32,
    /// What the customer is asked, per purpose, in both languages (the
    /// version above names this wording; a new wording is a new version).
    #[autosurgeon(missing = "default_wordings")]
    pub consent_wordings: Vec<ConsentWording>,
}

/// The question put to the customer for one purpose of consent.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct ConsentWording {
    pub purpose: super::consent::Purpose,
    pub zh: String,
    pub en: String,
}

fn default_wordings() -> Vec<ConsentWording> {
    use super::consent::Purpose;
    let w = |purpose, zh: &str, en: &str| ConsentWording {
        purpose,
        zh: zh.to_owned(),
        en: en.to_owned(),
    };
    vec![
        w(
            Purpose::FollowUp,
            "同意本店就本次购车咨询通过电话、短信或微信与我联系。",
            "I agree that the dealer may contact me by phone, SMS or WeChat about this enquiry.",
        ),
        w(
            Purpose::Marketing,
            "同意本店向我发送活动和优惠信息。",
            "I agree to receive the dealer's offers and event invitations.",
        ),
        w(
            Purpose::OemSharing,
            "同意本店将我的姓名、电话和意向车型提供给汽车厂家，用于其回访和服务。",
            "I agree that the dealer may share my name, phone number and the models I am interested in with the manufacturer, for its follow-up and service.",
        ),
    ]
}

impl FollowUpRules {
    /// The wording of `purpose` in `zh` or English.
    pub fn wording(&self, purpose: super::consent::Purpose, zh: bool) -> Option<&str> {
        self.consent_wordings
            .iter()
            .find(|w| w.purpose == purpose)
            .map(|w| if zh { w.zh.as_str() } else { w.en.as_str() })
    }
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            first_contact_hours: 24,
            first_contact_hours_oem: 12,
            min_attempts_before_lost: 0,
            consent_wording_version: 1,
            consent_wordings: default_wordings(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: "Asia/Shanghai".to_owned(),
            currency: "CNY".to_owned(),
            cadence: Cadence::default(),
            agreement: Agreement::default(),
            quote: QuoteRules::default(),
            follow_up: FollowUpRules::default(),
            profile: DealerProfile::default(),
            pool: PoolRules::default(),
        }
    }
}

holds_records! {
    /// The dealer document as the app and the server read it.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Dealer {
        pub id: Option<DealerId>,
        pub settings: Settings,
    }
    records {
        models: Model,
        trims: Trim,
        colours: Colour,
        items: Item,
        cars: DemoCar,
        lost_reasons: LostReason,
    }
}

impl Dealer {
    pub fn trim(&self, id: TrimId) -> Option<&Trim> {
        self.trims.iter().find(|t| t.id == id)
    }

    pub fn model(&self, id: ModelId) -> Option<&Model> {
        self.models.iter().find(|m| m.id == id)
    }

    pub fn car(&self, id: CarId) -> Option<&DemoCar> {
        self.cars.iter().find(|c| c.id == id)
    }

    /// "Model Trim", as a quote prints it.
    pub fn trim_label(&self, id: TrimId) -> String {
        let Some(trim) = self.trim(id) else {
            return String::new();
        };
        match self.model(trim.model) {
            Some(m) => format!("{} {}", m.name, trim.name),
            None => trim.name.clone(),
        }
    }

    /// "Model Trim" for a car, as lists show it.
    pub fn car_label(&self, id: CarId) -> String {
        let Some(car) = self.car(id) else {
            return String::new();
        };
        let trim = self.trim(car.trim);
        let model = trim.and_then(|t| self.model(t.model));
        match (model, trim) {
            (Some(m), Some(t)) => format!("{} {} · {}", m.name, t.name, car.plate),
            _ => car.plate.clone(),
        }
    }
}

// What each entry holds: its kind, its fields' tags (`super::record`).
// Catalogue entries have no author fields: who may change them at all is
// the rule (`crate::rules::may_change`).

record!(Model, "model", "model", |m| m.id.to_string(), authors: none);
record!(Trim, "trim", "trim", |t| t.id.to_string(), authors: none);
record!(Colour, "colour", "colour", |c| c.id.to_string(), authors: none);
record!(Item, "item", "item", |i| i.id.to_string(), authors: none);
record!(DemoCar, "car", "demo car", |c| c.id.to_string(), authors: none);
record!(LostReason, "lost_reason", "lost reason", |r| r.code.clone(), authors: none);

impl Fields for Dealer {
    const FIELDS: &'static [Field] = &[
        Field::dealer("schema"),
        Field::dealer("type"),
        Field::dealer("id"),
        Field::nested("settings", Settings::FIELDS),
    ];
}

impl Fields for Settings {
    const FIELDS: &'static [Field] = &[
        Field::dealer("time_zone"),
        Field::dealer("currency"),
        Field::nested("cadence", Cadence::FIELDS),
        Field::nested("agreement", Agreement::FIELDS),
        Field::nested("quote", QuoteRules::FIELDS),
        Field::nested("follow_up", FollowUpRules::FIELDS),
        Field::nested("profile", DealerProfile::FIELDS),
        Field::nested("pool", PoolRules::FIELDS),
    ];
}

impl Fields for PoolRules {
    const FIELDS: &'static [Field] = &[
        Field::dealer("unclaimed"),
        Field::dealer("rotation"),
        Field::dealer("collisions"),
    ];
}

impl Fields for Cadence {
    const FIELDS: &'static [Field] = &[
        Field::dealer("h"),
        Field::dealer("a"),
        Field::dealer("b"),
        Field::dealer("c"),
    ];
}

impl Fields for Agreement {
    const FIELDS: &'static [Field] = &[
        Field::dealer("version"),
        Field::dealer("zh"),
        Field::dealer("en"),
        Field::dealer("typed_name"),
    ];
}

impl Fields for DealerProfile {
    const FIELDS: &'static [Field] = &[
        Field::dealer("name"),
        Field::dealer("address"),
        Field::dealer("phone"),
        Field::dealer("logo"),
    ];
}

impl Fields for FollowUpRules {
    const FIELDS: &'static [Field] = &[
        Field::dealer("first_contact_hours"),
        Field::dealer("first_contact_hours_oem"),
        Field::dealer("min_attempts_before_lost"),
        Field::dealer("consent_wording_version"),
        Field::nested("consent_wordings", ConsentWording::FIELDS),
    ];
}

impl Fields for ConsentWording {
    const FIELDS: &'static [Field] = &[
        Field::dealer("purpose"),
        Field::dealer("zh"),
        Field::dealer("en"),
    ];
}

impl Fields for Model {
    const FIELDS: &'static [Field] = &[
        Field::manufacturer("id"),
        Field::manufacturer("name"),
        Field::dealer("archived"),
    ];
}

impl Fields for Trim {
    const FIELDS: &'static [Field] = &[
        Field::manufacturer("id"),
        Field::manufacturer("model"),
        Field::manufacturer("name"),
        Field::manufacturer("list_price"),
        Field::manufacturer("powertrain"),
        Field::manufacturer("gearbox"),
        Field::manufacturer("seats"),
        Field::manufacturer("displacement_cc"),
        Field::dealer("archived"),
        Field::dealer("cost"),
        Field::nested("max_discount", DiscountLimit::FIELDS),
    ];
}

impl Fields for Colour {
    const FIELDS: &'static [Field] = &[
        Field::manufacturer("id"),
        Field::manufacturer("name"),
        Field::manufacturer("price"),
        Field::dealer("archived"),
    ];
}

impl Fields for Item {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("kind"),
        Field::dealer("name"),
        Field::dealer("price"),
        Field::dealer("archived"),
    ];
}

impl Fields for DemoCar {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("stock_number"),
        Field::dealer("vin"),
        Field::dealer("plate"),
        Field::dealer("trim"),
        Field::dealer("odometer_km"),
        Field::dealer("archived"),
    ];
}

impl Fields for LostReason {
    const FIELDS: &'static [Field] = &[
        Field::milestone("code"),
        Field::dealer("label_zh"),
        Field::dealer("label_en"),
        Field::dealer("archived"),
    ];
}

// Stored in Automerge as its text.
super::text_enum::automerge_as_text!(Vin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vins_are_checked() {
        // The textbook example (check digit X) and a real Chinese one.
        assert!("1M8GDM9AXKP042788".parse::<Vin>().is_ok());
        assert!("LSVAU033512345678".parse::<Vin>().is_err());
        assert_eq!(
            "1M8GDM9A1KP042788".parse::<Vin>(),
            Err(VinError::CheckDigit)
        );
        assert_eq!("1M8GDM9AXKP04278".parse::<Vin>(), Err(VinError::Length));
        assert_eq!("1M8GDM9AXKP0427O8".parse::<Vin>(), Err(VinError::Character));
        assert_eq!(
            "1m8gdm9axkp042788"
                .parse::<Vin>()
                .map(|v| v.to_string())
                .ok(),
            Some("1M8GDM9AXKP042788".to_owned())
        );
    }
}
