//! Where a lead stands (intent grade, stage) and where it came from
//! (source): the words lists, rules and settings share. A leaf of the
//! domain: it uses none of the record modules.

use super::text_enum::text_enum;

text_enum!(
    /// Where the lead came from.
    Source, "source", {
        WalkIn = "walk_in",
        Phone = "phone",
        Website = "website",
        Referral = "referral",
        /// Pushed by the manufacturer (or the dealer group's hub).
        Manufacturer = "manufacturer",
        Campaign = "campaign",
        Other = "other",
    }
);

text_enum!(
    /// Intent grade (意向级别).
    Grade, "grade", {
        /// Buys within 7 days.
        H = "H",
        /// Within 15 days.
        A = "A",
        /// Within 30 days.
        B = "B",
        /// Within 3 months.
        C = "C",
        /// New, not graded yet.
        N = "N",
        /// Ordered.
        O = "O",
        /// Lost (战败).
        F = "F",
    }
);

text_enum!(
    /// Where the lead stands in the sales funnel.
    Stage, "stage", {
        New = "new",
        Contacted = "contacted",
        Visited = "visited",
        TestDrive = "test_drive",
        Quoted = "quoted",
        Ordered = "ordered",
        Delivered = "delivered",
        Lost = "lost",
    }
);

impl Grade {
    /// Days until the next follow-up is due, by the default cadence (dealers
    /// will set their own); `None` when no follow-up is due (ordered, lost).
    pub const fn default_follow_up_days(self) -> Option<i32> {
        match self {
            Grade::H | Grade::N => Some(1),
            Grade::A => Some(3),
            Grade::B => Some(7),
            Grade::C => Some(14),
            Grade::O | Grade::F => None,
        }
    }
}

impl Stage {
    /// Whether the lead is still being worked.
    pub const fn is_open(self) -> bool {
        !matches!(self, Stage::Delivered | Stage::Lost)
    }
}
