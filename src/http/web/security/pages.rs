//! The pages of two-factor: the security settings, the sign-in's second step, re-authentication
//! (and the held form it gives back) and the platform admin's policy.

use askama::Template;

use crate::http::auth::session::HeldForm;
use crate::http::web::page::Page;

#[derive(Template)]
#[template(path = "security/index.html")]
pub struct SecurityPage {
    pub page: Page,
    pub enabled: bool,
    pub required: bool,
    pub recovery_codes_left: i64,
    /// An enrolment waiting for its first code: the secret as text and as a QR code.
    pub secret_text: Option<String>,
    pub qr_svg: String,
    /// Recovery codes just made: their only appearance.
    pub recovery_codes: Vec<String>,
    pub confirm_error: Option<String>,
    pub disable_error: Option<String>,
    pub regenerate_error: Option<String>,
    /// Whether the portal's address allows passkeys (a domain name).
    pub passkeys_available: bool,
    pub passkeys: Vec<PasskeyView>,
    /// A registration just started: the browser's options (JSON), for the Create button.
    pub passkey_options: Option<String>,
    pub passkey_error: Option<String>,
}

/// A passkey as the security page lists it.
pub struct PasskeyView {
    pub id: crate::domain::PasskeyId,
    pub name: String,
    pub added: String,
    /// When it last signed in, or a dash.
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "security/second_factor.html")]
pub struct SecondFactorPage {
    pub page: Page,
    pub error: Option<String>,
    /// The account has an authenticator app or recovery codes: the code form is shown.
    pub code: bool,
    /// The account has passkeys: the browser's options (JSON) for the passkey button.
    pub passkey_options: Option<String>,
}

#[derive(Template)]
#[template(path = "security/reauth.html")]
pub struct ReauthPage {
    pub page: Page,
    /// The account has an authenticator: a code is accepted instead of the password.
    pub totp: bool,
    pub next: String,
    /// A form waits for this: the page says it will be shown again.
    pub held: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "security/continue.html")]
pub struct ContinuePage {
    pub page: Page,
    pub held: HeldForm,
}

#[derive(Template)]
#[template(path = "security/policy.html")]
pub struct PolicyPage {
    pub page: Page,
    pub platform_admins: bool,
    pub support_staff: bool,
    pub company_admins: bool,
}
