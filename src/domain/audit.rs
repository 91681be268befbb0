//! What the audit log records: who acted (`Actor`), what they did (`AuditAction`) and how it went.

use crate::domain::UserId;
use crate::domain::{ApiKeyId, CompanyId, TokenId};

/// Who acted, from where: captured from the request by the handler.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Set when the action came through the REST API with this key.
    pub api_key_id: Option<ApiKeyId>,
}

impl Actor {
    /// The portal itself (background work), acting for nobody in particular.
    pub fn system() -> Actor {
        Actor::default()
    }

    /// Whether this is the portal's own background work (no person, no API key).
    pub fn is_system(&self) -> bool {
        self.user_id.is_none() && self.api_key_id.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Every action the audit log records. The names are stored; the audit log's action filter
/// matches their start (`token.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    CompanyCreated,
    CompaniesBulkCreated,
    /// A person typed the company's name.
    CompanyRenamed,
    /// The portal filled an empty name from ANAF's public registry.
    CompanyNameFromRegistry,
    ConnectStarted,
    ConnectSucceeded,
    ConnectFailed,
    TokenSavedViaApi,
    TokenRefreshed,
    TokenRefreshFailed,
    TokenRevealed,
    TokenDeleted,
    /// A token was attached to one more company (its certificate has rights there).
    TokenAttached,
    RefreshJobStarted,
    MemberAdded,
    MemberInvited,
    InvitationDeclined,
    InvitationCancelled,
    MemberRoleChanged,
    MemberRemoved,
    UserRoleChanged,
    UserDisabled,
    UserEnabled,
    /// An account's email address was proven (its owner opened the link, or a platform admin).
    EmailVerified,
    AuditViewed,
    ApiKeyCreated,
    ApiKeyRevoked,
    WebhookCreated,
    WebhookDeleted,
    WebhookEnabled,
    WebhookRedelivered,
    /// A company admin created an authorization link.
    LinkCreated,
    /// The certificate holder first viewed the link's page.
    LinkOpened,
    /// A connection through the link ended: success consumed it, failure left it usable.
    LinkCompleted,
    LinkRevoked,
    /// A password reset link was mailed to the account's address (someone asked on the login page).
    PasswordResetRequested,
    /// A platform admin issued a one-time password reset link to hand over.
    PasswordResetLinkIssued,
    /// A new password was set through a reset link or by the operator; every session ended.
    PasswordReset,
    /// The owner changed the password (the current one given); other sessions ended.
    PasswordChanged,
    /// The owner asked to change the address; a link went to the new one.
    EmailChangeRequested,
    /// The owner opened the link mailed to the new address: the account has it now.
    EmailChanged,
    /// The person chose the language of their pages and mail.
    LanguageChanged,
    /// The owner ended one of their sessions.
    SessionEnded,
    /// Several sessions ended at once (the owner's other ones, or all by a platform admin).
    SessionsEnded,
    /// Two-factor switched on (a correct code confirmed the authenticator).
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    /// A recovery code was spent (signing in or re-authenticating).
    RecoveryCodeUsed,
    /// A second-factor code was refused (wrong, replayed or locked out).
    SecondFactorRefused,
    /// A platform admin changed who must use two-factor.
    TwoFactorPolicyChanged,
    /// A passkey was registered (its name in the detail).
    PasskeyAdded,
    PasskeyRemoved,
}

impl AuditAction {
    pub const ALL: [AuditAction; 52] = [
        AuditAction::CompanyCreated,
        AuditAction::CompaniesBulkCreated,
        AuditAction::CompanyRenamed,
        AuditAction::CompanyNameFromRegistry,
        AuditAction::ConnectStarted,
        AuditAction::ConnectSucceeded,
        AuditAction::ConnectFailed,
        AuditAction::TokenSavedViaApi,
        AuditAction::TokenRefreshed,
        AuditAction::TokenRefreshFailed,
        AuditAction::TokenRevealed,
        AuditAction::TokenDeleted,
        AuditAction::TokenAttached,
        AuditAction::RefreshJobStarted,
        AuditAction::MemberAdded,
        AuditAction::MemberInvited,
        AuditAction::InvitationDeclined,
        AuditAction::InvitationCancelled,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::UserRoleChanged,
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::EmailVerified,
        AuditAction::AuditViewed,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::WebhookCreated,
        AuditAction::WebhookDeleted,
        AuditAction::WebhookEnabled,
        AuditAction::WebhookRedelivered,
        AuditAction::LinkCreated,
        AuditAction::LinkOpened,
        AuditAction::LinkCompleted,
        AuditAction::LinkRevoked,
        AuditAction::PasswordResetRequested,
        AuditAction::PasswordResetLinkIssued,
        AuditAction::PasswordReset,
        AuditAction::PasswordChanged,
        AuditAction::EmailChangeRequested,
        AuditAction::EmailChanged,
        AuditAction::LanguageChanged,
        AuditAction::SessionEnded,
        AuditAction::SessionsEnded,
        AuditAction::TwoFactorEnabled,
        AuditAction::TwoFactorDisabled,
        AuditAction::RecoveryCodesRegenerated,
        AuditAction::RecoveryCodeUsed,
        AuditAction::SecondFactorRefused,
        AuditAction::TwoFactorPolicyChanged,
        AuditAction::PasskeyAdded,
        AuditAction::PasskeyRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::CompanyCreated => "company.created",
            AuditAction::CompaniesBulkCreated => "company.bulk_created",
            AuditAction::CompanyRenamed => "company.renamed",
            AuditAction::CompanyNameFromRegistry => "company.name_from_registry",
            AuditAction::ConnectStarted => "connect.started",
            AuditAction::ConnectSucceeded => "connect.succeeded",
            AuditAction::ConnectFailed => "connect.failed",
            AuditAction::TokenSavedViaApi => "token.saved_via_api",
            AuditAction::TokenRefreshed => "token.refreshed",
            AuditAction::TokenRefreshFailed => "token.refresh_failed",
            AuditAction::TokenRevealed => "token.revealed",
            AuditAction::TokenDeleted => "token.deleted",
            AuditAction::TokenAttached => "token.attached",
            AuditAction::RefreshJobStarted => "job.refresh_expiring",
            AuditAction::MemberAdded => "member.added",
            AuditAction::MemberInvited => "member.invited",
            AuditAction::InvitationDeclined => "member.invitation_declined",
            AuditAction::InvitationCancelled => "member.invitation_cancelled",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::UserRoleChanged => "user.role_changed",
            AuditAction::UserDisabled => "user.disabled",
            AuditAction::UserEnabled => "user.enabled",
            AuditAction::EmailVerified => "user.email_verified",
            AuditAction::AuditViewed => "audit.viewed",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::WebhookEnabled => "webhook.enabled",
            AuditAction::WebhookRedelivered => "webhook.redelivered",
            AuditAction::LinkCreated => "link.created",
            AuditAction::LinkOpened => "link.opened",
            AuditAction::LinkCompleted => "link.completed",
            AuditAction::LinkRevoked => "link.revoked",
            AuditAction::PasswordResetRequested => "user.password_reset_requested",
            AuditAction::PasswordResetLinkIssued => "user.password_reset_link_issued",
            AuditAction::PasswordReset => "user.password_reset",
            AuditAction::PasswordChanged => "user.password_changed",
            AuditAction::EmailChangeRequested => "user.email_change_requested",
            AuditAction::EmailChanged => "user.email_changed",
            AuditAction::LanguageChanged => "user.language_changed",
            AuditAction::SessionEnded => "user.session_ended",
            AuditAction::SessionsEnded => "user.sessions_ended",
            AuditAction::TwoFactorEnabled => "two_factor.enabled",
            AuditAction::TwoFactorDisabled => "two_factor.disabled",
            AuditAction::RecoveryCodesRegenerated => "two_factor.recovery_codes_regenerated",
            AuditAction::RecoveryCodeUsed => "two_factor.recovery_code_used",
            AuditAction::SecondFactorRefused => "two_factor.code_refused",
            AuditAction::TwoFactorPolicyChanged => "two_factor.policy_changed",
            AuditAction::PasskeyAdded => "two_factor.passkey_added",
            AuditAction::PasskeyRemoved => "two_factor.passkey_removed",
        }
    }

    /// The action a stored name stands for (`None` for a name this version does not know).
    pub fn parse(name: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// One audited action; `detail` must never hold a secret.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub company_id: Option<CompanyId>,
    pub token_id: Option<TokenId>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn success(action: AuditAction) -> AuditEvent {
        AuditEvent {
            action,
            company_id: None,
            token_id: None,
            outcome: Outcome::Success,
            detail: None,
        }
    }

    pub fn failure(action: AuditAction) -> AuditEvent {
        AuditEvent {
            outcome: Outcome::Failure,
            ..AuditEvent::success(action)
        }
    }

    /// Takes a plain number too, for the token services that still pass one.
    pub fn company(mut self, company_id: CompanyId) -> AuditEvent {
        self.company_id = Some(company_id);
        self
    }

    /// Takes a plain number too, for the token services that still pass one.
    pub fn token(mut self, token_id: TokenId) -> AuditEvent {
        self.token_id = Some(token_id);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> AuditEvent {
        self.detail = Some(detail.into());
        self
    }
}
