//! Every user-visible string of the app, in English and Simplified Chinese, and the locale that picks one.
//!
//! Plain messages are [`Key`]s: one exhaustive `match` gives both languages, so
//! a key without a translation does not compile. Messages that take arguments
//! are functions on [`Locale`]. Dates and times are formatted by the browser
//! (`Intl`) in the chosen locale.

use leptos::prelude::*;
use showroom_shared::domain::catalogue::{Powertrain, VinError};
use showroom_shared::domain::showroom::{DriveProblem, DriveStatus, LicenceProblem, VisitKind};
use showroom_shared::domain::{Grade, LeadError, PhoneError, Role, Source, Stage};

/// The languages the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// The BCP 47 tag: used for `<html lang>`, `Intl` and the stored preference.
    pub const fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale for a browser language tag (`navigator.language`): any
    /// Chinese (`zh`, `zh-CN`, `zh-TW`, `zh_Hans`…) gets zh-CN, the only
    /// Chinese we have; everything else gets English.
    pub fn from_language_tag(tag: &str) -> Locale {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    /// The locale for a stored preference, which must be one of our own tags.
    pub fn from_stored(value: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.tag() == value)
    }

    /// The text of a plain message.
    pub fn t(self, key: Key) -> &'static str {
        let (en, zh) = key.texts();
        match self {
            Locale::En => en,
            Locale::ZhCn => zh,
        }
    }

    fn pick(self, en: String, zh: String) -> String {
        match self {
            Locale::En => en,
            Locale::ZhCn => zh,
        }
    }

    /// "Too many failed attempts. Try again in N seconds."
    pub fn too_many_attempts(self, seconds: u32) -> String {
        self.pick(
            format!("Too many failed attempts. Try again in {seconds} seconds."),
            format!("失败次数过多，请在 {seconds} 秒后重试。"),
        )
    }

    /// "Check the fields and try again." followed by what the server said.
    pub fn check_fields(self, server_message: &str) -> String {
        let lead = self.t(Key::CheckFields);
        if server_message.trim().is_empty() {
            lead.to_owned()
        } else {
            format!("{lead} {server_message}")
        }
    }

    /// "Sign-in failed: <server message>"
    pub fn sign_in_failed(self, server_message: &str) -> String {
        self.pick(
            format!("Sign-in failed: {server_message}"),
            format!("登录失败：{server_message}"),
        )
    }

    /// A failed request other than sign-in: "The request failed: <server message>"
    pub fn request_failed(self, server_message: &str) -> String {
        self.pick(
            format!("The request failed: {server_message}"),
            format!("请求失败：{server_message}"),
        )
    }

    /// "Welcome, <display name>"
    pub fn welcome(self, display_name: &str) -> String {
        self.pick(
            format!("Welcome, {display_name}"),
            format!("欢迎，{display_name}"),
        )
    }

    /// The accessible name of the button that shows a person's devices.
    pub fn devices_of(self, display_name: &str) -> String {
        self.pick(
            format!("Devices of {display_name}"),
            format!("{display_name} 的设备"),
        )
    }

    /// The accessible name of the button that revokes one device.
    pub fn revoke_device(self, device_name: &str) -> String {
        self.pick(
            format!("Revoke {device_name}"),
            format!("撤销 {device_name}"),
        )
    }

    /// The accessible name of the button that starts deactivating a person.
    pub fn deactivate_user(self, display_name: &str) -> String {
        self.pick(
            format!("Deactivate {display_name}"),
            format!("停用 {display_name}"),
        )
    }

    /// The question asked before deactivating a person.
    pub fn deactivate_confirm(self, display_name: &str) -> String {
        self.pick(
            format!("Deactivate {display_name}? Their devices are signed out at once."),
            format!("停用 {display_name}？其所有设备将立即退出登录。"),
        )
    }

    /// The sync pill while changes wait: "3 waiting".
    pub fn waiting(self, n: u32) -> String {
        self.pick(format!("{n} waiting"), format!("{n} 项待同步"))
    }

    /// The sync pill when the browser is online but the server does not
    /// answer: "Can't reach the server", or "Can't reach the server · 2 waiting".
    pub fn server_unreachable(self, waiting: u32) -> String {
        let text = self.t(Key::ServerUnreachable);
        if waiting == 0 {
            text.to_owned()
        } else {
            format!("{text} · {}", self.waiting(waiting))
        }
    }

    /// The sync pill when the server sent something this device cannot
    /// decode (the connection is retried): "Can't read what the server sent —
    /// retrying", or "… — the app may need reloading" for a kind of message
    /// this version does not know (a newer server); with " · N waiting".
    pub fn server_unreadable(self, why: crate::local::sync::Unreadable, waiting: u32) -> String {
        use crate::local::sync::Unreadable;
        let text = self.t(match why {
            Unreadable::Malformed => Key::ServerUnreadable,
            Unreadable::UnknownKind => Key::ServerNewer,
        });
        if waiting == 0 {
            text.to_owned()
        } else {
            format!("{text} · {}", self.waiting(waiting))
        }
    }

    /// Why the server refused a record's changes, from the refusal's code
    /// (`SyncErrorCode::as_str`), never from the server's English text.
    pub fn refusal_reason(self, code: &str) -> &'static str {
        let (en, zh) = match code {
            "forbidden" => (
                "only a manager or an admin may change the catalogue and settings",
                "只有经理或管理员可以修改车型目录和展厅设置",
            ),
            "not_author" => (
                "it is recorded in another user's name",
                "其中的记录署了其他用户的名字",
            ),
            "too_large" => ("a change is too large", "修改内容过大"),
            "malformed" => ("a change is damaged", "修改数据已损坏"),
            "invalid" => (
                "the record breaks a rule of its kind",
                "记录不符合该类记录的规则",
            ),
            "not_found" => (
                "the record does not exist or may not be changed by you",
                "记录不存在，或您无权修改",
            ),
            _ => ("the server could not take it", "服务器无法接收"),
        };
        self.pick_static(en, zh)
    }

    /// On a record's page: "The server refused this lead's changes: <reason>"
    pub fn lead_refused(self, code: &str) -> String {
        let why = self.refusal_reason(code);
        self.pick(
            format!("The server refused this lead's changes: {why}."),
            format!("服务器拒绝了此线索的修改：{why}。"),
        )
    }

    /// "Could not discard the changes: <why>"
    pub fn discard_failed(self, why: &str) -> String {
        self.pick(
            format!("Could not discard the changes: {why}"),
            format!("无法放弃这些修改：{why}"),
        )
    }

    /// "Sync refused: <reason>" (from the refusal's code).
    pub fn sync_refused(self, code: &str) -> String {
        let why = self.refusal_reason(code);
        self.pick(format!("Sync refused: {why}"), format!("同步被拒绝：{why}"))
    }

    /// The sync pill's tooltip: "Last synced: 27 Nov 2026, 14:05".
    pub fn last_synced(self, millis: Option<f64>) -> String {
        match millis {
            Some(ms) => {
                let when = self.date_time(ms as i64);
                self.pick(format!("Last synced: {when}"), format!("上次同步：{when}"))
            }
            None => self.t(Key::NotSyncedYet).to_owned(),
        }
    }

    /// Under the list: "Showing 100 of 10000".
    pub fn showing(self, shown: usize, total: usize) -> String {
        let (shown, total) = (grouped(shown as u64), grouped(total as u64));
        self.pick(
            format!("Showing {shown} of {total}"),
            format!("显示 {shown} 条，共 {total} 条"),
        )
    }

    /// While a sync brings changes in: "Receiving 3,200 of 10,000 changes".
    pub fn receiving(self, done: u64, of: u64) -> String {
        let (done, of) = (grouped(done), grouped(of));
        self.pick(
            format!("Receiving {done} of {of} changes"),
            format!("正在接收更新：{done} / {of}"),
        )
    }

    /// "Could not save: <why>"
    pub fn save_failed(self, why: &str) -> String {
        self.pick(format!("Could not save: {why}"), format!("保存失败：{why}"))
    }

    /// The accessible name of the button removing a model of interest.
    pub fn remove_model(self, model: &str) -> String {
        self.pick(format!("Remove {model}"), format!("移除 {model}"))
    }

    /// Why a typed mobile number was not accepted.
    pub fn phone_error(self, error: &PhoneError) -> &'static str {
        self.t(match error {
            PhoneError::Empty => Key::PhoneEmpty,
            PhoneError::BadCharacter => Key::PhoneBadCharacter,
            PhoneError::BadChinaMobile => Key::PhoneBadChinaMobile,
            PhoneError::BadLength => Key::PhoneBadLength,
        })
    }

    /// Why a lead's fields were not accepted.
    pub fn lead_error(self, error: &LeadError) -> String {
        match error {
            LeadError::EmptyName => self.t(Key::NameRequired).to_owned(),
            LeadError::EmptyNote => self.t(Key::NoteEmpty).to_owned(),
            LeadError::TooLong { max, .. } => self.pick(
                format!("Too long: at most {max} characters."),
                format!("内容过长：最多 {max} 个字符。"),
            ),
            LeadError::TooManyModels { max } => self.pick(
                format!("At most {max} models."),
                format!("最多 {max} 个意向车型。"),
            ),
        }
    }

    pub fn visit_kind(self, kind: VisitKind) -> &'static str {
        let (en, zh) = match kind {
            VisitKind::First => ("First visit", "首次到店"),
            VisitKind::KnownFirst => ("First visit, known prospect", "已有线索首次到店"),
            VisitKind::Repeat => ("Repeat visit", "再次到店"),
            VisitKind::Appointment => ("Appointment", "预约到店"),
            VisitKind::NonSales => ("Not a sales visit", "非销售到店"),
        };
        self.pick_static(en, zh)
    }

    pub fn drive_status(self, status: DriveStatus) -> &'static str {
        let (en, zh) = match status {
            DriveStatus::Booked => ("Booked", "已预约"),
            DriveStatus::Out => ("Out", "试驾中"),
            DriveStatus::Returned => ("Returned", "已还车"),
            DriveStatus::Cancelled => ("Cancelled", "已取消"),
        };
        self.pick_static(en, zh)
    }

    pub fn drive_problem(self, problem: DriveProblem) -> &'static str {
        self.t(match problem {
            DriveProblem::Licence(LicenceProblem::Expired) => Key::LicenceExpired,
            DriveProblem::Licence(LicenceProblem::WrongClass) => Key::LicenceWrongClass,
            DriveProblem::Licence(LicenceProblem::BadNumber) => Key::LicenceBadNumber,
            DriveProblem::NotSigned => Key::NotSigned,
            DriveProblem::OdometerBackwards => Key::OdometerBackwards,
            DriveProblem::BadFuel => Key::BadFuel,
            DriveProblem::BadRating => Key::BadRating,
            DriveProblem::BadTimes => Key::BadTimes,
            DriveProblem::SignatureTooLarge => Key::SignatureTooLarge,
        })
    }

    pub fn vin_error(self, e: VinError) -> &'static str {
        self.t(match e {
            VinError::Length => Key::BadVinLength,
            VinError::Character => Key::BadVinCharacter,
            VinError::CheckDigit => Key::BadVinCheck,
        })
    }

    pub fn powertrain(self, p: Powertrain) -> &'static str {
        let (en, zh) = match p {
            Powertrain::Petrol => ("Petrol", "汽油"),
            Powertrain::Diesel => ("Diesel", "柴油"),
            Powertrain::Hybrid => ("Hybrid", "油电混动"),
            Powertrain::PlugInHybrid => ("Plug-in hybrid", "插电混动"),
            Powertrain::BatteryElectric => ("Battery electric", "纯电动"),
        };
        self.pick_static(en, zh)
    }

    /// "Here for 25 min" / "已到店 25 分钟".
    pub fn here_for(self, minutes: i64) -> String {
        self.pick(
            format!("Here for {minutes} min"),
            format!("已到店 {minutes} 分钟"),
        )
    }

    /// "Walk-in, party of 3" / "到店客户（3 人）".
    pub fn walk_in_party(self, n: u32) -> String {
        self.pick(
            format!("Walk-in, party of {n}"),
            format!("到店客户（{n} 人）"),
        )
    }

    /// Time of day, 24 h: "14:05".
    pub fn time_of_day(self, millis: i64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
        let options = js_sys::Object::new();
        for (name, value) in [
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("hourCycle", "h23"),
        ] {
            let _ = js_sys::Reflect::set(&options, &name.into(), &value.into());
        }
        let _ = js_sys::Reflect::set(
            &options,
            &"timeZone".into(),
            &crate::local::clock::time_zone().into(),
        );
        String::from(date.to_locale_time_string_with_options(self.tag(), &options))
    }

    pub fn stage(self, stage: Stage) -> &'static str {
        let (en, zh) = match stage {
            Stage::New => ("New", "新线索"),
            Stage::Contacted => ("Contacted", "已联系"),
            Stage::Visited => ("Visited", "已到店"),
            Stage::TestDrive => ("Test drive", "已试驾"),
            Stage::Quoted => ("Quoted", "已报价"),
            Stage::Ordered => ("Ordered", "已订车"),
            Stage::Delivered => ("Delivered", "已交车"),
            Stage::Lost => ("Lost", "战败"),
        };
        self.pick_static(en, zh)
    }

    pub fn source(self, source: Source) -> &'static str {
        let (en, zh) = match source {
            Source::WalkIn => ("Walk-in", "到店"),
            Source::Phone => ("Phone", "来电"),
            Source::Website => ("Website", "网站"),
            Source::Referral => ("Referral", "转介绍"),
            Source::Manufacturer => ("Manufacturer", "厂家下发"),
            Source::Campaign => ("Campaign", "市场活动"),
            Source::Other => ("Other", "其他"),
        };
        self.pick_static(en, zh)
    }

    /// What a grade means (the chip shows the letter; this is its tooltip).
    pub fn grade_meaning(self, grade: Grade) -> &'static str {
        let (en, zh) = match grade {
            Grade::H => ("Buys within 7 days", "7 天内购买"),
            Grade::A => ("Buys within 15 days", "15 天内购买"),
            Grade::B => ("Buys within 30 days", "30 天内购买"),
            Grade::C => ("Buys within 3 months", "3 个月内购买"),
            Grade::N => ("New, not graded yet", "新线索，尚未定级"),
            Grade::O => ("Ordered", "已订车"),
            Grade::F => ("Lost", "战败"),
        };
        self.pick_static(en, zh)
    }

    fn pick_static(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Locale::En => en,
            Locale::ZhCn => zh,
        }
    }

    /// A calendar date as people read it: "27 Nov 2026" / "2026年11月27日".
    pub fn date(self, date: showroom_shared::domain::Date) -> String {
        let (y, m, d) = date.ymd();
        match self {
            Locale::ZhCn => format!("{y}年{m}月{d}日"),
            Locale::En => {
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let month = MONTHS.get(m as usize - 1).copied().unwrap_or("?");
                format!("{d} {month} {y}")
            }
        }
    }

    /// "Li Wei · sales1": who is signed in.
    pub fn user_line(self, display_name: &str, username: &str) -> String {
        format!("{display_name} · {username}")
    }

    /// The document title of a page: "Today · Showroom".
    pub fn page_title(self, page: Key) -> String {
        format!("{} · {}", self.t(page), self.t(Key::ProductName))
    }

    /// A device name guessed from the browser: "Chrome on Linux".
    pub fn device_guess(self, guess: &crate::local::device::DeviceGuess) -> String {
        match (guess.browser, guess.os) {
            (Some(browser), Some(os)) => {
                self.pick(format!("{browser} on {os}"), format!("{os} 上的 {browser}"))
            }
            (Some(only), None) | (None, Some(only)) => only.to_owned(),
            (None, None) => self.t(Key::UnknownBrowser).to_owned(),
        }
    }

    /// The label of a role, as people at a dealership say it.
    pub fn role(self, role: Role) -> &'static str {
        self.t(match role {
            Role::Salesperson => Key::RoleSalesperson,
            Role::Manager => Key::RoleManager,
            Role::Admin => Key::RoleAdmin,
        })
    }

    /// A date and time in this locale and the browser's time zone, e.g.
    /// "2026年11月27日 14:05" or "27 Nov 2026, 14:05". `millis` is Unix time.
    pub fn date_time(self, millis: i64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
        let options = js_sys::Object::new();
        let month = match self {
            Locale::En => "short",
            Locale::ZhCn => "long",
        };
        for (name, value) in [
            ("year", "numeric"),
            ("month", month),
            ("day", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("hourCycle", "h23"),
        ] {
            // Setting a property on a fresh plain object cannot fail.
            let _ = js_sys::Reflect::set(&options, &name.into(), &value.into());
        }
        // In the dealer's time zone, like every date the app shows.
        let _ = js_sys::Reflect::set(
            &options,
            &"timeZone".into(),
            &crate::local::clock::time_zone().into(),
        );
        String::from(date.to_locale_string(self.tag(), &options))
    }
}

/// Declares [`Key`] and [`Key::ALL`] from one list, so `ALL` cannot miss a key.
macro_rules! message_keys {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// Plain (argument-free) messages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key {
            $($(#[$doc])* $key,)*
        }

        impl Key {
            /// Every key, so tests can check that each has text in each language.
            pub const ALL: &'static [Key] = &[$(Key::$key,)*];
        }
    };
}

message_keys! {
    ProductName,
    Loading,
    // Sign-in
    SignIn,
    SigningIn,
    Username,
    Password,
    DeviceName,
    DeviceNameHint,
    WrongCredentials,
    CheckFields,
    MissingCredentials,
    MissingDeviceName,
    Unreachable,
    SessionEnded,
    // Language switcher
    Language,
    English,
    Chinese,
    // Top bar and navigation
    Connection,
    Online,
    Offline,
    MainNavigation,
    Today,
    Team,
    Settings,
    SignOut,
    SigningOut,
    UpdateAvailable,
    Reload,
    // Today
    Dealer,
    ThisDevice,
    SignedIn,
    NoLeadsYet,
    FollowUpsDue,
    NoFollowUpsDue,
    // Sync
    Sync,
    Synced,
    Syncing,
    NotSyncedYet,
    ServerUnreachable,
    ServerUnreadable,
    ServerNewer,
    DiscardUnsynced,
    DiscardUnsyncedConfirm,
    Discard,
    // Leads
    Leads,
    SearchLeads,
    Grade,
    Stage,
    NewLead,
    ShowMore,
    NoMatches,
    Filters,
    CustomerName,
    Mobile,
    IntentGrade,
    Model,
    ModelsOfInterest,
    AddModel,
    Add,
    MoreDetails,
    WeChat,
    City,
    Source,
    Save,
    SaveChanges,
    Saving,
    SavedOnDevice,
    NothingChanged,
    StorageFull,
    NameRequired,
    NoteEmpty,
    PhoneEmpty,
    PhoneBadCharacter,
    PhoneBadChinaMobile,
    PhoneBadLength,
    NextFollowUp,
    NoFollowUp,
    Notes,
    NewNote,
    AddNote,
    NoNotesYet,
    Colleague,
    NewerVersion,
    BackToLeads,
    LeadNotFound,
    LeadDamaged,
    ChooseLead,
    Owner,
    Me,
    // Team
    TeamOffline,
    NoAccess,
    NoPeople,
    Forbidden,
    TryAgain,
    RoleSalesperson,
    RoleManager,
    RoleAdmin,
    Active,
    Deactivated,
    Deactivate,
    Cancel,
    Devices,
    LastSeen,
    Revoked,
    Revoke,
    NoDevices,
    People,
    // Settings
    AppVersion,
    Catalogue,
    CatalogueNotHere,
    DemoCars,
    DevelopmentBuild,
    // Not found
    PageNotFound,
    PageNotFoundDetail,
    GoToToday,
    UnknownBrowser,
    // The showroom floor: visits, test drives, the catalogue
    WalkIn,
    DriveStatusLabel,
    LoggingWalkIn,
    Visit,
    Visits,
    NoVisits,
    Arrived,
    LeftAt,
    PartySize,
    Fewer,
    More,
    VisitType,
    StepsDone,
    StepGreeted,
    StepNeeds,
    StepTestDrive,
    StepQuote,
    StepNegotiation,
    LinkToLead,
    SearchLeadForVisit,
    Link,
    CaptureNewLead,
    LeftWithoutDetails,
    VisitorLeft,
    MarkLeft,
    Anonymous,
    WalkInVisitor,
    InShowroomNow,
    NobodyInShowroom,
    VisitNotFound,
    OpenLead,
    LinkedTo,
    TestDrives,
    NoTestDrives,
    BookTestDrive,
    StartDriveNow,
    TestDrive,
    DemoCar,
    DriveDate,
    DriveTime,
    DriveLength,
    SaveBooking,
    CarTaken,
    Clash,
    ClashDetail,
    BeforeTheCarLeaves,
    Licence,
    LicenceNumber,
    LicenceClass,
    LicenceExpiry,
    Agreement,
    AgreementLanguage,
    Signature,
    SignHere,
    ClearSignature,
    OdometerOut,
    OdometerIn,
    FuelOut,
    FuelIn,
    Route,
    Companion,
    CompanionMe,
    CompanionNone,
    StartDrive,
    OnReturn,
    Damage,
    Rating,
    Comment,
    RecordReturn,
    CancelDrive,
    PrintRecord,
    DriveNotFound,
    NotSigned,
    LicenceExpired,
    LicenceWrongClass,
    LicenceBadNumber,
    OdometerBackwards,
    BadFuel,
    BadRating,
    BadTimes,
    SignatureTooLarge,
    ChooseCar,
    NoDemoCars,
    CarAvailable,
    CarOut,
    NextBooking,
    OutSince,
    DriveWith,
    PrintedOn,
    SignedAgreementVersion,
    EditCatalogue,
    ListPrice,
    SaveCatalogue,
    AddTrim,
    TrimName,
    CatalogueModel,
    Powertrain,
    Seats,
    AddDemoCar,
    StockNumber,
    Vin,
    Plate,
    Odometer,
    Trim,
    ShowroomRules,
    Cadence,
    TimeZone,
    AgreementZh,
    AgreementEn,
    CatalogueSaved,
    BadPrice,
    BadVinLength,
    BadVinCharacter,
    BadVinCheck,
    Required,
}

impl Key {
    /// (English, Simplified Chinese).
    const fn texts(self) -> (&'static str, &'static str) {
        match self {
            Key::ProductName => ("Showroom", "Showroom"),
            Key::Loading => ("Loading…", "正在加载…"),
            Key::SignIn => ("Sign in", "登录"),
            Key::SigningIn => ("Signing in…", "正在登录…"),
            Key::Username => ("Username", "用户名"),
            Key::Password => ("Password", "密码"),
            Key::DeviceName => ("Device name", "设备名称"),
            Key::DeviceNameHint => (
                "Your manager sees this name in the list of signed-in devices.",
                "经理会在已登录设备列表中看到此名称。",
            ),
            Key::WrongCredentials => ("Wrong username or password.", "用户名或密码错误。"),
            Key::CheckFields => (
                "Check the fields and try again.",
                "请检查填写的内容后重试。",
            ),
            Key::MissingCredentials => {
                ("Enter your username and password.", "请输入用户名和密码。")
            }
            Key::MissingDeviceName => ("Give this device a name.", "请为此设备命名。"),
            Key::Unreachable => (
                "Cannot reach the server. Check the network and try again.",
                "无法连接服务器。请检查网络后重试。",
            ),
            Key::SessionEnded => (
                "Your session has ended on this device. Please sign in again.",
                "此设备上的登录已失效，请重新登录。",
            ),
            // The two language names read the same in both locales, so a
            // person who cannot read the current language still finds theirs.
            Key::Language => ("Language", "语言"),
            Key::English => ("English", "English"),
            Key::Chinese => ("中文", "中文"),
            Key::Connection => ("Connection", "网络连接"),
            Key::Online => ("Online", "在线"),
            Key::Offline => ("Offline", "离线"),
            Key::MainNavigation => ("Main", "主导航"),
            Key::Today => ("Today", "今日"),
            Key::Team => ("Team", "团队"),
            Key::Settings => ("Settings", "设置"),
            Key::SignOut => ("Sign out", "退出登录"),
            Key::SigningOut => ("Signing out…", "正在退出…"),
            Key::UpdateAvailable => ("A new version is available.", "有新版本可用。"),
            Key::Reload => ("Reload", "重新加载"),
            Key::Dealer => ("Dealer", "经销商"),
            Key::ThisDevice => ("This device", "本设备"),
            Key::SignedIn => ("Signed in", "登录时间"),
            Key::NoLeadsYet => ("No leads on this device yet.", "此设备上还没有线索。"),
            Key::FollowUpsDue => ("Follow-ups due", "待跟进"),
            Key::NoFollowUpsDue => ("No follow-ups due today.", "今天没有待跟进的线索。"),
            Key::Sync => ("Sync", "同步"),
            Key::Synced => ("Synced", "同步完成"),
            Key::Syncing => ("Syncing…", "正在同步…"),
            Key::NotSyncedYet => ("Not synced yet", "尚未同步"),
            Key::ServerUnreachable => ("Can't reach the server", "无法连接服务器"),
            Key::ServerUnreadable => (
                "Can't read what the server sent — retrying",
                "无法读取服务器发来的数据，正在重试",
            ),
            Key::ServerNewer => (
                "Can't read what the server sent — the app may need reloading",
                "无法读取服务器发来的数据，可能需要重新加载应用",
            ),
            Key::DiscardUnsynced => (
                "Discard unsynced changes of this lead",
                "放弃此线索未同步的修改",
            ),
            Key::DiscardUnsyncedConfirm => (
                "Discard the unsynced changes of this lead? The lead on this device keeps them, but they will not be sent to the server, so other devices will not get them.",
                "放弃此线索未同步的修改？本设备上的这条线索仍保留这些修改，但它们不会再发送到服务器，其他设备也不会收到。",
            ),
            Key::Discard => ("Discard", "放弃"),
            Key::Leads => ("Leads", "线索"),
            Key::SearchLeads => ("Search leads", "搜索线索"),
            Key::Grade => ("Grade", "意向级别"),
            Key::Stage => ("Stage", "阶段"),
            Key::NewLead => ("New lead", "新建线索"),
            Key::ShowMore => ("Show more", "显示更多"),
            Key::NoMatches => ("No leads match.", "没有符合条件的线索。"),
            Key::Filters => ("Filters", "筛选"),
            Key::CustomerName => ("Customer name", "客户姓名"),
            Key::Mobile => ("Mobile", "手机号"),
            Key::IntentGrade => ("Intent grade", "意向级别"),
            Key::Model => ("Model", "意向车型"),
            Key::ModelsOfInterest => ("Models of interest", "关注车型"),
            Key::AddModel => ("Add model", "添加车型"),
            Key::Add => ("Add", "添加"),
            Key::MoreDetails => ("More details", "更多信息"),
            Key::WeChat => ("WeChat", "微信号"),
            Key::City => ("City", "城市"),
            Key::Source => ("Source", "来源"),
            Key::Save => ("Save", "保存"),
            Key::SaveChanges => ("Save changes", "保存修改"),
            Key::Saving => ("Saving…", "正在保存…"),
            Key::SavedOnDevice => ("Saved on this device", "已保存在本设备"),
            Key::NothingChanged => ("Nothing changed.", "没有修改。"),
            Key::StorageFull => (
                "Device storage is full: this change was not saved.",
                "设备存储空间已满：此修改未保存。",
            ),
            Key::NameRequired => ("Enter the customer's name.", "请输入客户姓名。"),
            Key::NoteEmpty => ("Write something in the note.", "请填写备注内容。"),
            Key::PhoneEmpty => ("Enter a mobile number.", "请输入手机号。"),
            Key::PhoneBadCharacter => (
                "A mobile number may hold only digits, spaces, '-', '(', ')' and a leading '+'.",
                "手机号只能包含数字、空格、“-”、括号和开头的“+”。",
            ),
            Key::PhoneBadChinaMobile => (
                "A mainland China mobile number has 11 digits starting with 1.",
                "中国大陆手机号为以 1 开头的 11 位数字。",
            ),
            Key::PhoneBadLength => ("The number is too short or too long.", "号码过短或过长。"),
            Key::NextFollowUp => ("Next follow-up", "下次跟进"),
            Key::NoFollowUp => ("No follow-up set", "未设跟进日期"),
            Key::Notes => ("Notes", "备注"),
            Key::NewNote => ("New note", "新备注"),
            Key::AddNote => ("Add note", "添加备注"),
            Key::NoNotesYet => ("No notes yet.", "还没有备注。"),
            Key::Colleague => ("Colleague", "同事"),
            Key::NewerVersion => (
                "Written by a newer version of Showroom; update the app to edit it.",
                "此线索由更新版本的 Showroom 写入；请更新应用后再编辑。",
            ),
            Key::BackToLeads => ("Back to leads", "返回线索列表"),
            Key::LeadNotFound => ("This lead is not on this device.", "此设备上没有这条线索。"),
            Key::LeadDamaged => (
                "This lead cannot be read on this device.",
                "此设备无法读取这条线索。",
            ),
            Key::ChooseLead => (
                "Choose a lead to see it here.",
                "选择一条线索，在此查看详情。",
            ),
            Key::Owner => ("Owner", "负责人"),
            Key::Me => ("Me", "我"),
            Key::TeamOffline => (
                "The team list needs a connection.",
                "查看团队列表需要网络连接。",
            ),
            Key::NoAccess => ("You don't have access to this page.", "你无权访问此页面。"),
            Key::NoPeople => ("No people at this dealer yet.", "此经销商还没有人员。"),
            Key::Forbidden => (
                "You don't have permission to do that.",
                "你没有执行此操作的权限。",
            ),
            Key::TryAgain => ("Try again", "重试"),
            Key::RoleSalesperson => ("Salesperson", "销售顾问"),
            Key::RoleManager => ("Showroom manager", "展厅经理"),
            Key::RoleAdmin => ("Dealer admin", "经销商管理员"),
            Key::Active => ("Active", "在职"),
            Key::Deactivated => ("Deactivated", "已停用"),
            Key::Deactivate => ("Deactivate", "停用"),
            Key::Cancel => ("Cancel", "取消"),
            Key::Devices => ("Devices", "设备"),
            Key::LastSeen => ("Last seen", "最近使用"),
            Key::Revoked => ("Revoked", "已撤销"),
            Key::Revoke => ("Revoke", "撤销"),
            Key::NoDevices => ("No devices have signed in yet.", "还没有设备登录过。"),
            Key::People => ("People", "人员"),
            Key::AppVersion => ("App version", "应用版本"),
            Key::Catalogue => ("Catalogue", "车型目录"),
            Key::CatalogueNotHere => (
                "The dealer's catalogue has not reached this device yet; it arrives with the next sync.",
                "经销商的车型目录尚未同步到此设备，下次同步时送达。",
            ),
            Key::DemoCars => ("Demo cars", "试驾车"),
            Key::DevelopmentBuild => ("Development build", "开发版本"),
            Key::PageNotFound => ("Page not found", "页面不存在"),
            Key::PageNotFoundDetail => ("There is nothing at this address.", "此地址没有内容。"),
            Key::GoToToday => ("Go to Today", "返回今日"),
            Key::UnknownBrowser => ("Web browser", "网页浏览器"),
            Key::DriveStatusLabel => ("Status", "状态"),
            Key::WalkIn => ("Walk-in", "到店登记"),
            Key::LoggingWalkIn => ("Logging the walk-in…", "正在登记…"),
            Key::Visit => ("Visit", "到店"),
            Key::Visits => ("Visits", "到店记录"),
            Key::NoVisits => ("No visits yet.", "还没有到店记录。"),
            Key::Arrived => ("Arrived", "到店时间"),
            Key::LeftAt => ("Left", "离店时间"),
            Key::PartySize => ("Party size", "同行人数"),
            Key::Fewer => ("One fewer", "减少一人"),
            Key::More => ("One more", "增加一人"),
            Key::VisitType => ("Visit type", "到店类型"),
            Key::StepsDone => ("Done during the visit", "接待环节"),
            Key::StepGreeted => ("Greeted", "接待"),
            Key::StepNeeds => ("Needs analysis", "需求分析"),
            Key::StepTestDrive => ("Test drive", "试乘试驾"),
            Key::StepQuote => ("Quote", "报价"),
            Key::StepNegotiation => ("Negotiation", "议价"),
            Key::LinkToLead => ("Link to a lead", "关联线索"),
            Key::SearchLeadForVisit => ("Name or mobile of the customer", "客户姓名或手机号"),
            Key::Link => ("Link", "关联"),
            Key::CaptureNewLead => ("New lead", "新建线索"),
            Key::LeftWithoutDetails => ("Left without details", "未留资离店"),
            Key::VisitorLeft => ("Left the showroom", "已离店"),
            Key::MarkLeft => ("Left now", "现在离店"),
            Key::Anonymous => ("Left no details", "未留资"),
            Key::WalkInVisitor => ("Walk-in", "到店客户"),
            Key::InShowroomNow => ("In the showroom now", "正在展厅"),
            Key::NobodyInShowroom => ("Nobody is in the showroom.", "展厅里暂时没有客户。"),
            Key::VisitNotFound => (
                "This visit is not on this device.",
                "此设备上没有这条到店记录。",
            ),
            Key::OpenLead => ("Open the lead", "打开线索"),
            Key::LinkedTo => ("Linked to", "已关联"),
            Key::TestDrives => ("Test drives", "试乘试驾"),
            Key::NoTestDrives => ("No test drives yet.", "还没有试驾记录。"),
            Key::BookTestDrive => ("Book a test drive", "预约试驾"),
            Key::StartDriveNow => ("Test drive now", "立即试驾"),
            Key::TestDrive => ("Test drive", "试乘试驾"),
            Key::DemoCar => ("Demo car", "试驾车"),
            Key::DriveDate => ("Date", "日期"),
            Key::DriveTime => ("Time", "时间"),
            Key::DriveLength => ("Length", "时长"),
            Key::SaveBooking => ("Save the booking", "保存预约"),
            Key::CarTaken => (
                "This car is booked at that time.",
                "该车在这个时间已被预约。",
            ),
            Key::Clash => ("Booked twice", "预约冲突"),
            Key::ClashDetail => (
                "Another booking holds this car at the same time:",
                "同一时间该车还有其他预约：",
            ),
            Key::BeforeTheCarLeaves => ("Before the car leaves", "出车前"),
            Key::Licence => ("Driving licence", "驾驶证"),
            Key::LicenceNumber => ("Licence number", "驾驶证号"),
            Key::LicenceClass => ("Class", "准驾车型"),
            Key::LicenceExpiry => ("Valid until", "有效期至"),
            Key::Agreement => ("Test-drive agreement", "试驾协议"),
            Key::AgreementLanguage => ("Agreement in", "协议语言"),
            Key::Signature => ("Customer's signature", "客户签名"),
            Key::SignHere => ("Sign here with a finger", "请用手指在此签名"),
            Key::ClearSignature => ("Clear", "清除"),
            Key::OdometerOut => ("Odometer out (km)", "出车里程 (公里)"),
            Key::OdometerIn => ("Odometer in (km)", "还车里程 (公里)"),
            Key::FuelOut => ("Fuel or battery out (%)", "出车油量/电量 (%)"),
            Key::FuelIn => ("Fuel or battery in (%)", "还车油量/电量 (%)"),
            Key::Route => ("Route", "路线"),
            Key::Companion => ("Accompanying staff", "陪同人员"),
            Key::CompanionMe => ("Me", "我本人"),
            Key::CompanionNone => ("Nobody", "无人陪同"),
            Key::StartDrive => ("Start the drive", "开始试驾"),
            Key::OnReturn => ("On return", "还车"),
            Key::Damage => ("Damage notes", "车损记录"),
            Key::Rating => ("Customer's rating", "客户评分"),
            Key::Comment => ("Customer's comment", "客户意见"),
            Key::RecordReturn => ("Record the return", "确认还车"),
            Key::CancelDrive => ("Cancel the booking", "取消预约"),
            Key::PrintRecord => ("Print the record", "打印试驾单"),
            Key::DriveNotFound => (
                "This test drive is not on this device.",
                "此设备上没有这条试驾记录。",
            ),
            Key::NotSigned => (
                "The customer has not signed the agreement.",
                "客户尚未签署试驾协议。",
            ),
            Key::LicenceExpired => (
                "The licence has expired: the drive cannot start.",
                "驾驶证已过期，无法开始试驾。",
            ),
            Key::LicenceWrongClass => (
                "The licence class does not cover this car: the drive cannot start.",
                "准驾车型不符，无法开始试驾。",
            ),
            Key::LicenceBadNumber => (
                "Enter the licence number (6 to 24 letters or digits).",
                "请输入驾驶证号（6 至 24 位字母或数字）。",
            ),
            Key::OdometerBackwards => (
                "The odometer in must not be below the odometer out.",
                "还车里程不能小于出车里程。",
            ),
            Key::BadFuel => (
                "Fuel is a percentage from 0 to 100.",
                "油量/电量为 0 到 100 的百分比。",
            ),
            Key::BadRating => ("Choose a rating from 1 to 5.", "请选择 1 到 5 分。"),
            Key::BadTimes => ("The return is before the start.", "还车时间早于出车时间。"),
            Key::SignatureTooLarge => (
                "The signature is too large; clear it and sign again.",
                "签名数据过大，请清除后重签。",
            ),
            Key::ChooseCar => ("Choose a demo car.", "请选择试驾车。"),
            Key::NoDemoCars => (
                "The dealer has no demo cars in its catalogue yet.",
                "经销商目录中还没有试驾车。",
            ),
            Key::CarAvailable => ("Available", "空闲"),
            Key::CarOut => ("Out on a test drive", "试驾中"),
            Key::NextBooking => ("Next booking", "下一个预约"),
            Key::OutSince => ("Out since", "出车时间"),
            Key::DriveWith => ("With", "客户"),
            Key::PrintedOn => ("Printed", "打印时间"),
            Key::SignedAgreementVersion => ("Agreement version", "协议版本"),
            Key::EditCatalogue => ("Edit the catalogue", "编辑车型目录"),
            Key::ListPrice => ("List price (¥)", "指导价 (元)"),
            Key::SaveCatalogue => ("Save", "保存"),
            Key::AddTrim => ("Add a trim", "添加配置"),
            Key::TrimName => ("Trim name", "配置名称"),
            Key::CatalogueModel => ("Model", "车型"),
            Key::Powertrain => ("Powertrain", "动力类型"),
            Key::Seats => ("Seats", "座位数"),
            Key::AddDemoCar => ("Add a demo car", "添加试驾车"),
            Key::StockNumber => ("Stock number", "库存编号"),
            Key::Vin => ("VIN", "车架号 (VIN)"),
            Key::Plate => ("Plate", "车牌号"),
            Key::Odometer => ("Odometer (km)", "里程 (公里)"),
            Key::Trim => ("Trim", "配置"),
            Key::ShowroomRules => ("Showroom rules", "展厅规则"),
            Key::Cadence => ("Follow-up cadence (days)", "跟进周期 (天)"),
            Key::TimeZone => ("Time zone", "时区"),
            Key::AgreementZh => ("Agreement (Chinese)", "协议 (中文)"),
            Key::AgreementEn => ("Agreement (English)", "协议 (英文)"),
            Key::CatalogueSaved => (
                "Saved on this device; it reaches every tablet of the dealer with the next sync.",
                "已保存在此设备，下次同步后送达经销商的所有平板。",
            ),
            Key::BadPrice => (
                "Enter an amount like 129900 or 129,900.00.",
                "请输入金额，例如 129900 或 129,900.00。",
            ),
            Key::BadVinLength => ("A VIN has 17 characters.", "车架号为 17 位。"),
            Key::BadVinCharacter => (
                "A VIN has only digits and letters (no I, O or Q).",
                "车架号只含数字和字母（不含 I、O、Q）。",
            ),
            Key::BadVinCheck => (
                "The VIN's check digit (9th character) does not match: check the number.",
                "车架号校验位（第 9 位）不符，请核对。",
            ),
            Key::Required => ("Required.", "必填。"),
        }
    }
}

/// The app's current locale, shared through context. Reading it inside a
/// reactive closure re-renders the text when the person switches language.
#[derive(Clone, Copy, Debug)]
pub struct I18n {
    locale: RwSignal<Locale>,
}

impl I18n {
    pub fn new(locale: Locale) -> Self {
        Self {
            locale: RwSignal::new(locale),
        }
    }

    /// The current locale (tracked).
    pub fn locale(self) -> Locale {
        self.locale.get()
    }

    /// The current locale, without tracking (for event handlers and tasks).
    pub fn locale_untracked(self) -> Locale {
        self.locale.get_untracked()
    }

    /// The text of a plain message in the current locale (tracked).
    pub fn t(self, key: Key) -> &'static str {
        self.locale.get().t(key)
    }

    pub fn set_locale(self, locale: Locale) {
        self.locale.set(locale);
    }

    pub fn signal(self) -> Signal<Locale> {
        self.locale.into()
    }
}

/// The [`I18n`] the app provides. Outside the app (a component rendered on
/// its own) it falls back to English rather than panicking.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n::new(Locale::En))
}

/// Keeps `document.title` in step with the page and the locale.
pub fn use_page_title(page: Key) {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let title = i18n.locale().page_title(page);
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
}

/// A count with thousands separators: 10000 → "10,000" (both languages
/// write large counts this way in the app).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    /// Keys whose text is deliberately the same in both languages.
    const SAME_IN_BOTH: [Key; 3] = [Key::ProductName, Key::English, Key::Chinese];

    #[wasm_bindgen_test]
    fn large_counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(3_200), "3,200");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(
            Locale::En.receiving(3_200, 10_000),
            "Receiving 3,200 of 10,000 changes"
        );
        assert_eq!(Locale::En.showing(100, 10_000), "Showing 100 of 10,000");
    }

    #[wasm_bindgen_test]
    fn every_key_has_text_in_every_locale() {
        for &key in Key::ALL {
            for locale in Locale::ALL {
                assert!(
                    !locale.t(key).trim().is_empty(),
                    "{key:?} is empty in {locale:?}"
                );
            }
            if !SAME_IN_BOTH.contains(&key) {
                assert_ne!(
                    Locale::En.t(key),
                    Locale::ZhCn.t(key),
                    "{key:?} is not translated"
                );
            }
        }
    }

    #[wasm_bindgen_test]
    fn the_language_buttons_read_the_same_in_both_locales() {
        for locale in Locale::ALL {
            assert_eq!(locale.t(Key::English), "English");
            assert_eq!(locale.t(Key::Chinese), "中文");
        }
    }

    #[wasm_bindgen_test]
    fn locale_follows_the_browser_language() {
        let check = |tag: &str, expect: Locale| {
            assert_eq!(Locale::from_language_tag(tag), expect, "{tag:?}")
        };
        check("zh-CN", Locale::ZhCn);
        check("zh-TW", Locale::ZhCn);
        check("zh", Locale::ZhCn);
        check("ZH-cn", Locale::ZhCn);
        check("zh_Hans_CN", Locale::ZhCn);
        check("en-US", Locale::En);
        check("en", Locale::En);
        check("fr", Locale::En);
        check("zu", Locale::En);
        check("", Locale::En);
    }

    #[wasm_bindgen_test]
    fn stored_preference_accepts_only_our_tags() {
        assert_eq!(Locale::from_stored("en"), Some(Locale::En));
        assert_eq!(Locale::from_stored("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_stored("fr"), None);
        assert_eq!(Locale::from_stored(""), None);
        for locale in Locale::ALL {
            assert_eq!(Locale::from_stored(locale.tag()), Some(locale));
        }
    }

    #[wasm_bindgen_test]
    fn messages_with_arguments_carry_them() {
        assert_eq!(Locale::En.welcome("Li Wei"), "Welcome, Li Wei");
        assert_eq!(Locale::ZhCn.welcome("李伟"), "欢迎，李伟");
        assert_eq!(Locale::En.devices_of("Li Wei"), "Devices of Li Wei");
        assert_eq!(
            Locale::En.revoke_device("Chrome on Linux"),
            "Revoke Chrome on Linux"
        );
        assert_eq!(Locale::En.deactivate_user("Li Wei"), "Deactivate Li Wei");
        assert_eq!(
            Locale::En.deactivate_confirm("Li Wei"),
            "Deactivate Li Wei? Their devices are signed out at once."
        );
        assert_eq!(
            Locale::En.too_many_attempts(42),
            "Too many failed attempts. Try again in 42 seconds."
        );
        assert_eq!(Locale::En.sign_in_failed("boom"), "Sign-in failed: boom");
        assert_eq!(
            Locale::En.check_fields("device_name: too long"),
            "Check the fields and try again. device_name: too long"
        );
        assert_eq!(
            Locale::En.check_fields(""),
            "Check the fields and try again."
        );
        assert_eq!(Locale::En.user_line("Li Wei", "sales1"), "Li Wei · sales1");
        assert_eq!(Locale::ZhCn.page_title(Key::Today), "今日 · Showroom");
        for locale in Locale::ALL {
            for text in [
                locale.welcome("X1"),
                locale.devices_of("X1"),
                locale.revoke_device("X1"),
                locale.deactivate_user("X1"),
                locale.deactivate_confirm("X1"),
                locale.sign_in_failed("X1"),
                locale.request_failed("X1"),
                locale.check_fields("X1"),
                locale.discard_failed("X1"),
            ] {
                assert!(text.contains("X1"), "{text:?} lost its argument");
            }
            assert!(locale.too_many_attempts(17).contains("17"));
        }
    }

    #[wasm_bindgen_test]
    fn dates_are_formatted_per_locale() {
        // 2026-11-27 06:05 UTC: 14:05 in the dealer's zone (Asia/Shanghai
        // until its settings say otherwise), whatever the machine's zone.
        let millis =
            js_sys::Date::utc(2026.0, 10.0) as i64 + 26 * 86_400_000 + (6 * 60 + 5) * 60_000;
        assert_eq!(Locale::ZhCn.date_time(millis), "2026年11月27日 14:05");
        let en = Locale::En.date_time(millis);
        assert!(
            en.contains("2026") && en.contains("Nov") && en.contains("27") && en.contains("14:05"),
            "{en}"
        );
        // Another dealer's zone moves the clock, not the instant.
        crate::local::clock::set_time_zone("Europe/Berlin");
        let berlin = Locale::En.time_of_day(millis);
        crate::local::clock::set_time_zone("Asia/Shanghai");
        assert_eq!(berlin, "07:05");
        assert_eq!(Locale::En.time_of_day(millis), "14:05");
    }
}
