//! What a customer consents to: the purposes (PIPL art. 14, 23). The
//! consents themselves are records of a lead (`followup::Consent`); the
//! dealer's wording of each purpose is a setting (`catalogue`).

use super::text_enum::text_enum;

text_enum!(
    /// What a consent is for (PIPL art. 14, 23: separate consent per purpose).
    Purpose, "consent purpose", {
        /// Follow-up contact about this enquiry.
        FollowUp = "follow_up",
        Marketing = "marketing",
        /// Sharing with the manufacturer (another processor).
        OemSharing = "oem_sharing",
    }
);
