//! Dealers and their people, the one way: the first-run set-up page, the
//! managers' API and the operator's command line (`showroom-server admin …`)
//! all create dealers, add users and reset passwords through these functions,
//! so the rules (password rules, who may create whom, a temporary password
//! the person must replace) hold whichever door was used.

use showroom_shared::domain::catalogue::Dealer;
use showroom_shared::domain::time_zone;
use showroom_shared::domain::{DealerId, NewPassword, Role, UserId, Username};
use uuid::Uuid;

use crate::auth::{PasswordHashError, hash_password};
use crate::db::{self, CreateError, NewUser};
use crate::state::AppState;

/// Why an account operation did not happen. The texts are for people (the
/// set-up page and the command line show them as they are).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("the username {0:?} is taken (usernames are unique across the server)")]
    UsernameTaken(String),
    #[error("this server already has a dealer: set-up is done")]
    AlreadySetUp,
    #[error("no such dealer: {0}")]
    NoDealer(String),
    #[error("no such user: {0}")]
    NoUser(String),
    #[error("the database failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Hash(#[from] PasswordHashError),
    #[error("the dealer's document was not created: {0}")]
    DealerDoc(#[from] crate::dealer_doc::EnsureError),
    #[error("no randomness: {0}")]
    Random(String),
    #[error("a background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A new dealer and its first admin.
#[derive(Clone, Debug)]
pub struct NewDealer {
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub admin_username: String,
    pub admin_display_name: String,
    /// Their chosen password; `None`: a temporary one is made (and returned),
    /// to be replaced at the first sign-in.
    pub admin_password: Option<String>,
}

/// What a creation gives back: the new ids and, when the server chose the
/// password, the temporary password (shown once, never stored).
#[derive(Clone, Debug)]
pub struct Created {
    pub dealer: DealerId,
    pub user: UserId,
    pub username: String,
    pub temporary_password: Option<String>,
}

/// A person's display name: trimmed, 1–80 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, AdminError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "A name needs 1 to 80 characters.".to_owned(),
        ));
    }
    Ok(name.to_owned())
}

fn username(raw: &str) -> Result<Username, AdminError> {
    raw.parse::<Username>()
        .map_err(|e| AdminError::Invalid(format!("Username: {e}.")))
}

fn time_zone(raw: &str) -> Result<String, AdminError> {
    // An IANA name the tz database knows (`shared::domain::time_zone`),
    // stored as the database spells it ("asia/shanghai" is Asia/Shanghai).
    // A typo would otherwise give every device China time without a word.
    time_zone::find(raw).map(str::to_owned).ok_or_else(|| {
        let shown: String = raw.trim().chars().take(64).collect();
        AdminError::Invalid(format!(
            "Time zone {shown:?} is not an IANA time-zone name such as Asia/Shanghai."
        ))
    })
}

fn currency(raw: &str) -> Result<String, AdminError> {
    let c = raw.trim().to_ascii_uppercase();
    // Amounts are integer minor units with two decimals (fen); the quote
    // arithmetic is China's. Other currencies are not supported yet.
    if c != "CNY" {
        return Err(AdminError::Invalid(format!(
            "Currency {c:?} is not supported: Showroom works in CNY (人民币)."
        )));
    }
    Ok(c)
}

/// Checks a chosen password against the rules.
pub fn chosen_password(raw: &str, username: &str) -> Result<NewPassword, AdminError> {
    NewPassword::new(raw, username).map_err(|e| AdminError::Invalid(format!("Password: {e}.")))
}

/// A temporary password: 12 letters and digits without look-alikes (no 0/o,
/// 1/l/i), in groups of four, about 59 bits.
pub fn temporary_password() -> Result<String, AdminError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
    let mut out = String::with_capacity(14);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is not a multiple of 31: the bias is under 1 % per character.
        out.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
    }
    Ok(out)
}

async fn hash(password: String) -> Result<String, AdminError> {
    Ok(tokio::task::spawn_blocking(move || hash_password(&password)).await??)
}

/// The password to store: the chosen one (checked), or a fresh temporary one.
async fn password_for(
    chosen: Option<&str>,
    username: &str,
) -> Result<(String, Option<String>), AdminError> {
    match chosen {
        Some(p) => {
            let p = chosen_password(p, username)?;
            Ok((hash(p.expose().to_owned()).await?, None))
        }
        None => {
            let temp = temporary_password()?;
            Ok((hash(temp.clone()).await?, Some(temp)))
        }
    }
}

/// Creates a dealer, its first admin and its (empty) catalogue and settings
/// document. With `only_first`, only on a server with no dealer yet (the
/// first-run set-up).
pub async fn create_dealer(
    state: &AppState,
    new: &NewDealer,
    only_first: bool,
) -> Result<Created, AdminError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "The dealer's name needs 1 to 120 characters.".to_owned(),
        ));
    }
    let time_zone = time_zone(&new.time_zone)?;
    let currency = currency(&new.currency)?;
    let username = username(&new.admin_username)?;
    let display = display_name(&new.admin_display_name)?;
    let (hash, temporary) = password_for(new.admin_password.as_deref(), username.as_str()).await?;
    let dealer = DealerId::from_uuid(Uuid::new_v4());
    let user = UserId::from_uuid(Uuid::new_v4());
    let row = NewUser {
        id: user,
        dealer_id: dealer,
        username: username.as_str(),
        display_name: &display,
        role: Role::Admin,
        password_hash: &hash,
        must_change_password: temporary.is_some(),
        now: state.clock.now(),
    };
    let created = db::insert_dealer_with_user(&state.db, dealer, name, &row, only_first)
        .await
        .map_err(|e| not_created(e, &username))?;
    if !created {
        return Err(AdminError::AlreadySetUp);
    }
    let mut content = Dealer::default();
    content.settings.time_zone = time_zone;
    content.settings.currency = currency;
    content.settings.profile.name = name.to_owned();
    crate::dealer_doc::create(state, dealer, &content).await?;
    tracing::info!(%dealer, admin = %user, "dealer created");
    Ok(Created {
        dealer,
        user,
        username: username.to_string(),
        temporary_password: temporary,
    })
}

/// Adds a person to `dealer` with a temporary password (or a chosen one, from
/// the command line).
pub async fn create_user(
    state: &AppState,
    dealer: DealerId,
    raw_username: &str,
    raw_display_name: &str,
    role: Role,
    chosen: Option<&str>,
) -> Result<Created, AdminError> {
    let username = username(raw_username)?;
    let display = display_name(raw_display_name)?;
    let (hash, temporary) = password_for(chosen, username.as_str()).await?;
    let user = UserId::from_uuid(Uuid::new_v4());
    let row = NewUser {
        id: user,
        dealer_id: dealer,
        username: username.as_str(),
        display_name: &display,
        role,
        password_hash: &hash,
        must_change_password: temporary.is_some(),
        now: state.clock.now(),
    };
    db::insert_new_user(&state.db, &row)
        .await
        .map_err(|e| not_created(e, &username))?;
    tracing::info!(%dealer, %user, role = role.as_str(), "user created");
    Ok(Created {
        dealer,
        user,
        username: username.to_string(),
        temporary_password: temporary,
    })
}

/// Why the database did not create an account, for people.
fn not_created(e: CreateError, username: &Username) -> AdminError {
    match e {
        CreateError::UsernameTaken => AdminError::UsernameTaken(username.to_string()),
        CreateError::Sqlx(e) => AdminError::Db(e),
    }
}

/// Gives `user` a temporary password they must replace at the next sign-in,
/// and signs out every device of theirs (their connections close now).
pub async fn reset_password(
    state: &AppState,
    dealer: DealerId,
    user: UserId,
) -> Result<String, AdminError> {
    let temp = temporary_password()?;
    let hash = hash(temp.clone()).await?;
    let now = state.clock.now();
    let revoked =
        db::set_password(&state.db, user, &hash, true, None, "password_reset", now).await?;
    for device in revoked {
        state.hub.device_ended(dealer, device);
    }
    tracing::info!(%dealer, %user, "password reset; every session revoked");
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_pass_the_rules_and_differ() {
        let a = temporary_password().unwrap_or_default();
        let b = temporary_password().unwrap_or_default();
        assert_eq!(a.len(), 14, "{a}");
        assert_ne!(a, b);
        assert!(NewPassword::new(a.clone(), "sales1").is_ok(), "{a}");
        assert!(
            a.chars()
                .all(|c| c == '-' || "abcdefghjkmnpqrstuvwxyz23456789".contains(c))
        );
    }

    #[test]
    fn set_up_fields_are_checked() {
        assert!(time_zone("Asia/Shanghai").is_ok());
        assert!(time_zone("UTC").is_ok());
        assert!(time_zone("Shanghai").is_err());
        assert!(time_zone("Asia/Shang hai").is_err());
        assert_eq!(currency(" cny ").ok().as_deref(), Some("CNY"));
        assert!(currency("USD").is_err());
        assert!(display_name("  李伟 ").is_ok());
        assert!(display_name(" ").is_err());
        assert!(display_name(&"名".repeat(81)).is_err());
    }

    /// Issue 20 §6: only names the tz database knows, as it spells them.
    #[test]
    fn a_time_zone_is_an_iana_name() {
        for good in ["Asia/Shanghai", "UTC", "America/New_York", "Asia/Urumqi"] {
            assert_eq!(time_zone(good).ok().as_deref(), Some(good));
        }
        assert_eq!(
            time_zone(" asia/shanghai ").ok().as_deref(),
            Some("Asia/Shanghai")
        );
        for bad in [
            "Asia/Shangai",
            "Asia/Shang hai",
            "Shanghai",
            "Asia/Nowhere",
            "",
        ] {
            let Err(AdminError::Invalid(why)) = time_zone(bad) else {
                panic!("{bad:?} was accepted");
            };
            assert!(why.contains("Asia/Shanghai"), "{why}");
        }
    }
}
