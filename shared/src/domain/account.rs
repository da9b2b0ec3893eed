//! Accounts: usernames, passwords, device names and what each role may do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a user is allowed to do inside their dealer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 销售顾问: captures and works their own leads.
    Salesperson,
    /// 展厅经理: supervises the showroom, its people and their devices.
    Manager,
    /// Dealer administrator: everything a manager does, plus managers.
    Admin,
}

impl Role {
    /// The stable text stored in the database and sent over the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Salesperson => "salesperson",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Whether this role sees the manager's area (team, devices, dashboard).
    pub const fn is_manager(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }

    /// Whether a user with this role may list or revoke the devices of, and
    /// deactivate, a user with role `target` in the same dealer. A manager
    /// manages salespeople and other managers' peers below admin; only an
    /// admin manages admins.
    pub const fn can_manage(self, target: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::Manager => !matches!(target, Role::Admin),
            Role::Salesperson => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the known roles.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "salesperson" => Ok(Role::Salesperson),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// A login name: unique across the server, compared without case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UsernameError {
    #[error("the username is empty")]
    Empty,
    #[error("the username is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the username may only hold letters, digits, '.', '_', '-' and '@'")]
    BadCharacter,
}

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Username {
    type Err = UsernameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(UsernameError::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(UsernameError::TooLong { max: Self::MAX_LEN });
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(UsernameError::BadCharacter);
        }
        Ok(Username(s.to_ascii_lowercase()))
    }
}

impl TryFrom<String> for Username {
    type Error = UsernameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed. Never logged: `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

/// Why a password was refused before it was even checked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password is empty")]
    Empty,
    #[error("the password is longer than {max} bytes")]
    TooLong { max: usize },
}

impl Password {
    /// Long enough for any passphrase, short enough that hashing it is cheap.
    pub const MAX_BYTES: usize = 256;

    pub fn new(s: impl Into<String>) -> Result<Self, PasswordError> {
        let s = s.into();
        if s.is_empty() {
            return Err(PasswordError::Empty);
        }
        if s.len() > Self::MAX_BYTES {
            return Err(PasswordError::TooLong {
                max: Self::MAX_BYTES,
            });
        }
        Ok(Password(s))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Password {
    type Error = PasswordError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Password::new(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password someone chooses (at set-up, a password change or the first
/// sign-in after a reset). The rules (NIST SP 800-63B, OWASP ASVS 6.2): at
/// least ten characters, not one of the most common passwords, not the
/// username; no composition rules. Checked on the device as the person types
/// and again by the server.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

/// Why a chosen password was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NewPasswordError {
    #[error("the password needs at least {min} characters")]
    TooShort { min: usize },
    #[error("the password is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("this password is one of the most common ones")]
    Common,
    #[error("the password is the username")]
    SameAsUsername,
}

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

impl NewPassword {
    /// Characters (not bytes: 10 Chinese characters are a good passphrase).
    pub const MIN_CHARS: usize = 10;

    /// Checks `s` against the rules; `username` is the account's login name.
    pub fn new(s: impl Into<String>, username: &str) -> Result<Self, NewPasswordError> {
        let s = s.into();
        if s.chars().count() < Self::MIN_CHARS {
            return Err(NewPasswordError::TooShort {
                min: Self::MIN_CHARS,
            });
        }
        if s.len() > Password::MAX_BYTES {
            return Err(NewPasswordError::TooLong {
                max: Password::MAX_BYTES,
            });
        }
        let lower = s.to_lowercase();
        if !username.is_empty() && lower == username.to_lowercase() {
            return Err(NewPasswordError::SameAsUsername);
        }
        if is_common_password(&lower) {
            return Err(NewPasswordError::Common);
        }
        Ok(NewPassword(s))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether `lower` (already lower-cased) is on the list of common passwords.
fn is_common_password(lower: &str) -> bool {
    COMMON_PASSWORDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l.trim() == lower)
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The name a user gives the device they sign in on ("Front desk iPad").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceName(String);

/// Why a device name was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DeviceNameError {
    #[error("the device name is empty")]
    Empty,
    #[error("the device name is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the device name holds control characters")]
    ControlCharacter,
}

impl DeviceName {
    pub const MAX_LEN: usize = 80;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DeviceName {
    type Err = DeviceNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DeviceNameError::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(DeviceNameError::TooLong { max: Self::MAX_LEN });
        }
        if s.chars().any(char::is_control) {
            return Err(DeviceNameError::ControlCharacter);
        }
        Ok(DeviceName(s.to_owned()))
    }
}

impl TryFrom<String> for DeviceName {
    type Error = DeviceNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DeviceName> for String {
    fn from(d: DeviceName) -> String {
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lower_cased() {
        let check = |input: &str, expect: Result<&str, UsernameError>| {
            let got = input.parse::<Username>();
            assert_eq!(
                got.as_ref().map(Username::as_str),
                expect.as_ref().map(|s| *s),
                "{input:?}"
            );
        };
        check("sales1", Ok("sales1"));
        check("  Sales1 ", Ok("sales1"));
        check("li.wei@demo-motors", Ok("li.wei@demo-motors"));
        check("", Err(UsernameError::Empty));
        check("   ", Err(UsernameError::Empty));
        check("sales 1", Err(UsernameError::BadCharacter));
        check("销售", Err(UsernameError::BadCharacter));
        check(&"a".repeat(65), Err(UsernameError::TooLong { max: 64 }));
        check(&"a".repeat(64), Ok(&"a".repeat(64)));
    }

    #[test]
    fn passwords_are_bounded_and_never_printed() {
        assert_eq!(Password::new(""), Err(PasswordError::Empty));
        assert_eq!(
            Password::new("x".repeat(257)),
            Err(PasswordError::TooLong { max: 256 })
        );
        let p = Password::new("showroom").map(|p| format!("{p:?}"));
        assert_eq!(p.as_deref(), Ok("Password(***)"));
    }

    #[test]
    fn chosen_passwords_follow_the_rules() {
        let check = |p: &str| NewPassword::new(p, "sales1").map(|p| p.expose().to_owned());
        assert_eq!(check("short"), Err(NewPasswordError::TooShort { min: 10 }));
        assert_eq!(
            check("123456789"),
            Err(NewPasswordError::TooShort { min: 10 })
        );
        assert_eq!(check("1234567890"), Err(NewPasswordError::Common));
        assert_eq!(check("Password123"), Err(NewPasswordError::Common));
        assert_eq!(check("WoAiNi1314"), Err(NewPasswordError::Common));
        assert_eq!(
            NewPassword::new("li.wei.sales", "LI.WEI.SALES").map(|_| ()),
            Err(NewPasswordError::SameAsUsername)
        );
        assert_eq!(
            check(&"x".repeat(257)),
            Err(NewPasswordError::TooLong { max: 256 })
        );
        // No composition rules: a long lower-case phrase is fine, and ten
        // Chinese characters count as ten.
        assert!(check("correct horse battery").is_ok());
        assert!(check("我们的展厅在三楼东边").is_ok());
        assert_eq!(
            check("我们的展厅在三楼东"),
            Err(NewPasswordError::TooShort { min: 10 })
        );
        // Every entry of the list is refused, and none is shorter than the minimum
        // (those would be dead entries).
        for line in COMMON_PASSWORDS.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.chars().count() >= 10, "{line}");
            assert_eq!(check(line), Err(NewPasswordError::Common), "{line}");
        }
        assert_eq!(
            format!("{:?}", check("a fine passphrase")),
            "Ok(\"a fine passphrase\")"
        );
        let hidden = NewPassword::new("a fine passphrase", "x").map(|p| format!("{p:?}"));
        assert_eq!(hidden.as_deref(), Ok("NewPassword(***)"));
    }

    #[test]
    fn device_names_accept_chinese_and_refuse_control_characters() {
        assert_eq!(
            "  前台平板 ".parse::<DeviceName>().map(String::from),
            Ok("前台平板".to_owned())
        );
        assert_eq!(
            "a\u{0}b".parse::<DeviceName>(),
            Err(DeviceNameError::ControlCharacter)
        );
        assert_eq!("".parse::<DeviceName>(), Err(DeviceNameError::Empty));
        assert!("平".repeat(80).parse::<DeviceName>().is_ok());
        assert_eq!(
            "平".repeat(81).parse::<DeviceName>(),
            Err(DeviceNameError::TooLong { max: 80 })
        );
    }

    #[test]
    fn who_manages_whom() {
        use Role::*;
        let table = [
            (Admin, Admin, true),
            (Admin, Manager, true),
            (Admin, Salesperson, true),
            (Manager, Admin, false),
            (Manager, Manager, true),
            (Manager, Salesperson, true),
            (Salesperson, Salesperson, false),
            (Salesperson, Manager, false),
        ];
        for (actor, target, expect) in table {
            assert_eq!(
                actor.can_manage(target),
                expect,
                "{actor} managing {target}"
            );
        }
        assert!(!Salesperson.is_manager());
        assert!(Manager.is_manager() && Admin.is_manager());
    }

    #[test]
    fn roles_round_trip_as_text() {
        for role in [Role::Salesperson, Role::Manager, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap_or_default(),
                format!("\"{role}\"")
            );
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
