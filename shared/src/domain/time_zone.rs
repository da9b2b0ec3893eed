//! The IANA time-zone names a dealer's settings may hold: a checked-in list
//! of every zone and link of the tz database (`time_zones.txt`, ~600 names,
//! 9.5 KB; how to regenerate it is at its head). Names only, no offsets:
//! the devices' browsers (`Intl`) know the offsets, and the server stores
//! Unix milliseconds, so a name is all either side has to check.

/// The list, `#` lines being its header.
const LIST: &str = include_str!("time_zones.txt");

/// Every name the list holds (zones and their links, e.g. `Asia/Shanghai`,
/// `Asia/Chongqing`, `UTC`, `Etc/UTC`), sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    LIST.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether `name` is an IANA time-zone name, spelt exactly as the tz
/// database spells it.
pub fn is_known(name: &str) -> bool {
    names().any(|n| n == name)
}

/// The tz database's spelling of what a person typed: surrounding spaces
/// and letter case do not matter (`" asia/shanghai"` → `Asia/Shanghai`);
/// `None` when no zone has that name.
pub fn find(typed: &str) -> Option<&'static str> {
    let typed = typed.trim();
    names().find(|n| n.eq_ignore_ascii_case(typed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_every_iana_name_once_in_order() {
        let all: Vec<&str> = names().collect();
        assert!(all.len() > 500, "{} names", all.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert!(
            all.iter()
                .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_graphic())),
            "one plain name a line"
        );
        assert!(!is_known("Factory"), "tzdata's placeholder is no zone");
    }

    #[test]
    fn real_zones_pass_and_typos_fail() {
        for good in [
            "Asia/Shanghai",
            "UTC",
            "America/New_York",
            "Asia/Urumqi",
            "Asia/Hong_Kong",
            "Asia/Macau",
            "Asia/Taipei",
            "Asia/Singapore",
            "Europe/Berlin",
            "Etc/UTC",
            // A link (an older name) is still a name people and browsers use.
            "Asia/Chongqing",
        ] {
            assert!(is_known(good), "{good}");
        }
        for bad in [
            "Asia/Shang hai",
            "Shanghai",
            "Asia/Shangai",
            "asia/shanghai",
            " Asia/Shanghai",
            "",
            "Asia",
            "China Standard Time",
            "+08:00",
        ] {
            assert!(!is_known(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_typed_name_is_found_whatever_its_case() {
        assert_eq!(find(" asia/shanghai "), Some("Asia/Shanghai"));
        assert_eq!(find("utc"), Some("UTC"));
        assert_eq!(find("America/New_York"), Some("America/New_York"));
        assert_eq!(find("Asia/Shangai"), None);
        assert_eq!(find(""), None);
    }
}
