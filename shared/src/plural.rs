//! A counted message's forms and the choice between them. The app's locale
//! files give a message one text per CLDR plural category (English `one`
//! and `other`; Chinese has only `other`); the browser's
//! `Intl.PluralRules` says which category a count falls in for a language,
//! and [`Forms::pick`] takes that category's text. No browser is needed for
//! the choice itself, so it is here, tested on the host.

/// A CLDR plural category, as `Intl.PluralRules.prototype.select` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Plural {
    /// The category `Intl.PluralRules` named (`"one"`, `"other"`…); a name
    /// no CLDR version uses is `Other`, the form every message has.
    pub fn from_cldr(name: &str) -> Plural {
        match name {
            "zero" => Plural::Zero,
            "one" => Plural::One,
            "two" => Plural::Two,
            "few" => Plural::Few,
            "many" => Plural::Many,
            _ => Plural::Other,
        }
    }

    /// English's rule for a whole count, for a browser without
    /// `Intl.PluralRules`: 1 is `One`, everything else `Other`. (A language
    /// without a `one` form still gets its `other` text: see [`Forms::pick`].)
    pub fn english(count: f64) -> Plural {
        if count == 1.0 {
            Plural::One
        } else {
            Plural::Other
        }
    }
}

/// A message's texts in one language, one per plural category the language
/// distinguishes: `other` always, the rest only where they differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forms {
    pub zero: Option<&'static str>,
    pub one: Option<&'static str>,
    pub two: Option<&'static str>,
    pub few: Option<&'static str>,
    pub many: Option<&'static str>,
    pub other: &'static str,
}

impl Forms {
    /// A message with one text whatever the count.
    pub const fn other(text: &'static str) -> Forms {
        Forms {
            zero: None,
            one: None,
            two: None,
            few: None,
            many: None,
            other: text,
        }
    }

    /// The text for a count in `category`: that category's form, else
    /// `other` (a language or a message without that form).
    pub fn pick(&self, category: Plural) -> &'static str {
        match category {
            Plural::Zero => self.zero,
            Plural::One => self.one,
            Plural::Two => self.two,
            Plural::Few => self.few,
            Plural::Many => self.many,
            Plural::Other => None,
        }
        .unwrap_or(self.other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUE: Forms = Forms {
        one: Some("{n} follow-up due"),
        ..Forms::other("{n} follow-ups due")
    };
    const DUE_ZH: Forms = Forms::other("{n} 项跟进待办");

    #[test]
    fn a_count_takes_its_categorys_form_else_other() {
        assert_eq!(DUE.pick(Plural::One), "{n} follow-up due");
        assert_eq!(DUE.pick(Plural::Other), "{n} follow-ups due");
        // Categories English does not have fall back to `other`.
        for category in [Plural::Zero, Plural::Two, Plural::Few, Plural::Many] {
            assert_eq!(DUE.pick(category), "{n} follow-ups due");
        }
        // Chinese has only `other`, whatever Intl says.
        assert_eq!(DUE_ZH.pick(Plural::One), "{n} 项跟进待办");
        assert_eq!(DUE_ZH.pick(Plural::Other), "{n} 项跟进待办");
    }

    #[test]
    fn categories_are_read_as_intl_names_them() {
        assert_eq!(Plural::from_cldr("one"), Plural::One);
        assert_eq!(Plural::from_cldr("other"), Plural::Other);
        assert_eq!(Plural::from_cldr("few"), Plural::Few);
        assert_eq!(Plural::from_cldr("zero"), Plural::Zero);
        assert_eq!(Plural::from_cldr("two"), Plural::Two);
        assert_eq!(Plural::from_cldr("many"), Plural::Many);
        assert_eq!(Plural::from_cldr("One"), Plural::Other);
        assert_eq!(Plural::from_cldr(""), Plural::Other);
    }

    #[test]
    fn without_intl_english_counts_one_as_one() {
        assert_eq!(DUE.pick(Plural::english(1.0)), "{n} follow-up due");
        for n in [0.0, 2.0, 11.0, 21.0, 1.5] {
            assert_eq!(DUE.pick(Plural::english(n)), "{n} follow-ups due", "{n}");
        }
    }
}
