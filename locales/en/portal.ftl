### anaf-portal: English messages.
### Generated from src/i18n/catalog.rs; ids are the old keys with "." replaced by "-".

## Layout

app-name = ANAF Portal
app-tagline = e-Factura tokens, connected and kept alive
nav-dashboard = Dashboard
nav-api_keys = API keys
nav-logout = Log out
nav-login = Log in
nav-register = Create account
nav-signed_in_as = Signed in as
nav-main = Main menu
lang-switch = Language
lang-ro = Română
lang-en = English
sandbox-banner = Sandbox mode: ANAF is simulated. No real tokens are issued; configure ANAF_CLIENT_ID to connect to ANAF.
footer-text = Tokens are stored encrypted. Never share them by email.
role-admin = platform administrator
role-support = support staff
role-user = user

## Login

login-title = Log in
login-intro = Log in to manage your companies' ANAF e-Factura tokens.
login-email = Email
login-password = Password
login-submit = Log in
login-no_account = No account yet?
login-failed = Wrong email or password.
login-rate_limited = Too many failed attempts. Try again in { $minutes ->
         [one] 1 minute
        *[other] { $minutes } minutes
    }.
login-welcome = Welcome back.
login-session_ended = Your session has ended. Please log in again.
logout-done = You have been logged out.

## Registration

register-title = Create an account
register-intro = Accountants and company staff: one account for all the companies you look after.
register-email = Email
register-password = Password
register-password_hint = 8 to 128 characters. A passphrase of several words is easiest to remember.
register-confirm = Confirm password
register-submit = Create account
register-have_account = Already have an account?
register-closed = Registration is closed on this portal. Ask an administrator for an account.
register-mismatch = The two passwords differ.
email-missing = Enter your email address.
email-too_long = The email address is too long.
email-invalid = This is not a valid email address.
password-too_short = The password must have at least 8 characters.
password-too_long = The password must have at most 128 characters.
password-too_common = This password is among the most common ones and easy to guess. Choose another.

## Dashboard

dashboard-title = Dashboard
dashboard-account = Your account
dashboard-email = Email
dashboard-role = Role
dashboard-member_since = Member since
dashboard-next_title = How it works
dashboard-next_1 = Add a company by its CIF.
dashboard-next_2 = Press Connect ANAF: the certificate holder authenticates at ANAF with the qualified certificate.
dashboard-next_3 = The portal stores the tokens encrypted, checks the SPV rights and refreshes them by itself when they fall due; the token table shows when each one expires.

## Common

common-dash = —
common-cancel = Cancel
common-back = Back
nav-tokens = Tokens
list-per_page = Rows per page
list-pages = Pages
list-previous = Previous
list-next = Next
list-page_of = Page { $page } of { $pages }
list-search_label = Search
list-search_placeholder = CIF or company name
list-search = Search
list-no_match = Nothing matches this search.
time-today = today
time-in_days = in { $days ->
         [one] 1 day
        *[other] { $days } days
    }
time-days_ago = { $days ->
         [one] 1 day ago
        *[other] { $days } days ago
    }

## CIF

cif-missing = Enter the company's CIF.
cif-not_digits = A CIF has only digits, optionally after RO.
cif-length = A CIF has 2 to 10 digits.
cif-check_digit = The CIF's check digit is wrong: check for a typo.

## Companies

dashboard-companies = My companies
dashboard-empty = No companies yet. Add one by its CIF above.
company-add_title = Add a company
company-cif = CIF
company-name = Company
company-name_optional = Name (optional)
company-add = Add company
company-added = Company { $cif } added. Now connect it to ANAF.
company-already_yours = A company with this CIF is already in your list.
company-anaf_connection = ANAF connection
company-connect = Connect ANAF
company-reconnect = Reconnect ANAF
company-connect_hint = Connect ANAF opens ANAF's login page: it needs the computer where the qualified certificate (USB token) of a person with SPV rights for this CIF is plugged in.
company-not_connected_explained = This company has no ANAF token yet. Press Connect ANAF to obtain one.
company-no_rights_explained = The token works, but ANAF says its certificate has no SPV rights for this CIF. Usual causes: the certificate was renewed and the new one is not yet enrolled in SPV for this company; the company withdrew the holder's rights; or they were never granted. The company's legal representative grants them at ANAF (form 150/270); after about 24 hours press Refresh (or reconnect with the enrolled certificate) and the portal checks again.
company-reconnect_explained = ANAF no longer accepts this token. Reconnect with the certificate to obtain a new one.
diagnosis-title = Does e-Factura work?
diagnosis-works = e-Factura works for this company.
diagnosis-works_until = e-Factura works for now, but a person must act.
diagnosis-broken = e-Factura does not work for this company.
diagnosis-not_connected = e-Factura is not connected for this company.
diagnosis-not_connected-why = The portal holds no ANAF token for this CIF.
diagnosis-not_connected-todo = A company admin presses Connect ANAF on the computer where the qualified certificate of a person with SPV rights for this CIF is plugged in.
diagnosis-reconnect_needed-why = ANAF no longer accepts this token (it was revoked, replaced by a newer connection, or the certificate changed).
diagnosis-no_rights-why = ANAF accepts the token, but its certificate has no SPV rights for this CIF, so e-Factura calls for this company are refused.
diagnosis-expired-why = The token expired on { $at } and nothing stored can renew it.
diagnosis-refresh_failing-why = Refreshing the token has failed since { $since }; the current token keeps working until { $until }.
diagnosis-reconnect_before-why = The refresh token cannot be renewed past { $by }: after that ANAF asks for the certificate again.
diagnosis-works-why = The token is valid until { $until }; the portal refreshes it by itself on { $due }.
diagnosis-works-why_plain = The token is valid until { $until }.
diagnosis-rights_unknown = ANAF has not yet answered whether the certificate has SPV rights for this CIF.
diagnosis-nothing_to_do = Nothing.
diagnosis-now = now
diagnosis-why = Why
diagnosis-todo = What to do
diagnosis-by_when = By when
diagnosis-certificate = Certificate holder
diagnosis-last_success = Last successful ANAF call
diagnosis-anaf_said = ANAF said: “{ $text }”
company-history = History
company-history_empty = Nothing has happened yet.
history-company_created = Company added
history-connect_started = Connect ANAF started
history-connect_succeeded = Connected to ANAF
history-connect_failed = Connect ANAF failed
history-token_refreshed = Token refreshed
history-token_refresh_failed = Token refresh failed
history-token_deleted = Token deleted
history-token_attached = Token attached (the same certificate)
history-token_revealed = Access token revealed
history-members_changed = Members changed
history-job_started = Bulk refresh started
history-user_changed = User account changed
history-audit_viewed = Audit log viewed
history-token_saved_via_api = Token saved through the API
history-other = Other action

## API keys

api_keys-title = API keys
api_keys-intro = Other software (an ERP, an invoicing job) reads and manages your companies' tokens through the REST API with one of these keys, sent as Authorization: Bearer. A key acts with your rights.
api_keys-docs = API documentation
api_keys-create_title = Create a key
api_keys-name = Name
api_keys-name_placeholder = e.g. ERP production
api_keys-create = Create key
api_keys-new_key = Your new API key
api_keys-shown_once = Copy the key now: it is shown only this once. The portal keeps only a fingerprint of it.
api_keys-list_title = Your keys
api_keys-empty = You have no API keys.
api_keys-prefix = Key starts with
api_keys-created = Created
api_keys-last_used = Last used
api_keys-never = never
api_keys-actions = Actions
api_keys-revoke = Revoke
api_keys-revoke_confirm = Revoke this key? Programs using it will stop working at once.
api_keys-revoked = The key was revoked.
api_keys-name_missing = Give the key a name, so you know where it is used.
api_keys-name_too_long = The name may have at most 100 characters.
api_keys-permissions = What the key may do
api_keys-permission-efactura_read = e-Factura: read lists, download invoices, upload status, validation and PDF
api_keys-permission-efactura_write = e-Factura: upload invoices and messages
api_keys-permission-tokens_read = tokens: read their status and expiry
api_keys-permission-tokens_write = tokens: add, refresh and delete them
api_keys-permission-tokens_secret = tokens: read the decrypted access token
api_keys-viewer_reads = For a company where you are a viewer, the key only reads, whatever is ticked here.
api_keys-companies = For which companies
api_keys-companies_all = all my companies (also those added later)
api_keys-companies_some = only the companies ticked below
api_keys-no_companies = You have no companies yet.
api_keys-viewer_only = viewer: reading only
api_keys-may = May
api_keys-only_for = only for
api_keys-permission_missing = Tick at least one thing the key may do.
api_keys-permission_unknown = One of the permissions is not known to the portal; reload the page and try again.
api_keys-company_missing = Tick at least one company, or choose all your companies.
api_keys-company_unknown = One of the ticked companies is not yours (any more); reload the page and try again.

## Token status

status-not_connected = not connected
status-connected = connected, expires in { $days ->
         [one] 1 day
        *[other] { $days } days
    }
status-expiring_soon = expiring soon: { $days ->
         [one] 1 day left
        *[other] { $days } days left
    }
status-expired = expired
status-reconnect_needed = reconnect needed
status-no_rights = no SPV rights for this CIF
rights-granted = SPV rights confirmed
rights-denied = no SPV rights
rights-unknown = not known yet (checked again within a day)
rights-checked_at = checked { $at }; checked again every week and after each refresh

## Tokens

tokens-title = All my tokens
tokens-empty = No company is connected to ANAF yet.
token-status = Status
token-access_expires = Access token expires
token-refresh_expires = Refresh token expires
token-certificate = Certificate
token-certificate_serial = Certificate serial
token-certificate_issuer = Certificate issuer
token-created = Created
token-last_refreshed = Last refreshed
token-refresh_state = Refresh
tokens-export = Export CSV
token-rights = SPV rights
token-actions = Actions
token-last_error = Last error
refresh-scheduled = Refreshed automatically from { $due }.
refresh-refreshing = A refresh is in progress.
refresh-retrying = The last refresh failed; it is tried again at { $next }.
refresh-failing = Refreshes have been failing since { $since }; still tried twice a day, next at { $next }. If ANAF works for your other companies, reconnect this one.
refresh-reconnect_before = Reconnect before { $by }: no refresh can keep this token alive past that date (ANAF does not extend its refresh token, or none was stored). Press Connect ANAF with the certificate that has SPV rights for this CIF.
token-refresh = Refresh
token-delete = Delete
token-raw_tokens_off = This portal does not show ANAF tokens: software calls e-Factura through the portal's gateway with an API key instead.
token-reveal = Show access token
token-no_refresh_token = none (cannot be refreshed)
token-no_refresh_token_long = This token was saved without a refresh token, so it cannot be refreshed: reconnect before it expires.
token-refreshed = Token refreshed: a new access token is stored.
token-refresh_reconnect = ANAF refused the refresh token for good. Reconnect with the certificate.
token-refresh_failed = The refresh did not complete ({ $reason }). The token is unchanged; try again later.
token-refresh_in_progress = The refresh is still in progress: ANAF is slow to answer. Its result will be saved when it arrives; reload this page in a minute.
token-refresh_unknown = ANAF did not answer in time ({ $reason }). It may have replaced the token all the same; the portal cannot tell yet. Refresh again in a few minutes: the answer will say.
token-refresh_spooled = Refreshed. The database was unavailable, so the new token is kept safe and will be saved as soon as the database is back.
token-refresh_interrupted = ANAF no longer accepts this token: a refresh was interrupted at { $at } and ANAF had already replaced the token. Reconnect the company with its certificate.
token-delete_title = Delete the token?
token-delete_question = Delete the ANAF token of { $company_name } (CIF { $cif })?
token-delete_explained = The portal asks ANAF to revoke it, then deletes it here. e-Factura synchronisation for this company stops until you connect again.
token-delete_confirm = Yes, delete the token
token-deleted_revoked = Token deleted. ANAF confirmed revoking the access and refresh tokens.
token-deleted_not_revoked = Token deleted here. ANAF did not confirm the revocation of the access token or of the refresh token: if they may be compromised, send them to ANAF to be blocked.
token-deleted_access_not_revoked = Token deleted. ANAF confirmed revoking the refresh token but did not confirm revoking the access token: if it may be compromised, send it to ANAF to be blocked.
token-deleted_refresh_not_revoked = Token deleted. ANAF confirmed revoking the access token but did not confirm revoking the refresh token: if it may be compromised, send it to ANAF to be blocked.
token-deleted_revoked_access = Token deleted. ANAF confirmed revoking the access token (the token had no refresh token).
token-detached = The token no longer serves this company; it goes on serving the others.
token-detach_explained = The token also serves { $companies ->
         [one] one other company
        *[other] { $companies } other companies
    }: it is not revoked, it only stops serving this one. e-Factura synchronisation for this company stops until you connect again.
token-reveal_title = Access token
token-access_token = Access token (JWT)
token-reveal_warning = Anyone holding this token can act in SPV for the company until it expires. Paste it only into software you trust; never send it by email. This viewing is recorded.
token-copy = Copy
token-copied = Copied

## Connect ANAF

connect-done = Connected to ANAF. The token is stored encrypted and has SPV rights for this CIF.
connect-done_no_rights = Connected to ANAF, but this certificate has no SPV rights for this CIF. See the guidance below.
connect-done_rights_unknown = Connected to ANAF. The SPV rights could not be checked now; they are checked again within a day.
connect-failed-title = The ANAF connection did not complete
connect-denied-title = ANAF did not receive a certificate
connect-denied-message = The authentication at ANAF was cancelled or no qualified certificate was presented.
connect-denied-explained = ANAF did not authorize the connection and said why: “{ $description }”. Nothing was stored.
connect-wrong_issuer = The answer came from another authorization server than the one this portal is configured for. Nothing was exchanged or stored; start again with Connect ANAF.
connect-denied-hint_token = Plug in the USB token with the qualified certificate and make sure its driver is installed.
connect-denied-hint_restart = Browsers remember the certificate choice: close every browser window and start again to see the certificate prompt.
connect-denied-hint_rights = The certificate's holder must be enrolled in SPV for this company.
connect-session_ended = Your portal session ended while you were at ANAF. Log in and press Connect ANAF again.
connect-state_unknown = This ANAF answer does not belong to any connection started here. Start again from the company's page.
connect-state_expired = The connection took longer than 10 minutes and expired. Start again.
connect-state_reused = This ANAF answer was already used. Each connection can complete only once.
connect-state_foreign = This connection was started from another session or by another user. Start again here.
connect-anaf_error = ANAF answered with the error “{ $error_code }”.
connect-code_missing = ANAF's answer carried no authorization code.
connect-code_expired = ANAF's authorization code expired or was already used (it is valid for about a minute). Try again.
connect-invalid_client = ANAF refused the portal's client credentials: the operator's ANAF settings (client id, secret or callback URL) are wrong. Contact the portal's administrator.
connect-invalid_request = ANAF refused the request. Contact the portal's administrator if this repeats.
connect-anaf_unavailable = ANAF could not complete the connection: { $error }. Nothing was stored; try again in a few minutes.
connect-token_unusable = ANAF's token could not be used: { $reason }.
connect-already_stored = This token is already stored.
connect-retry = Try Connect ANAF again
connect-back_to_company = Back to the company
anaf-unreachable = ANAF could not be reached
anaf-timeout = ANAF did not answer in time
anaf-server = ANAF answered with an error (HTTP { $status })
anaf-rate_limited = ANAF is limiting requests
anaf-malformed = ANAF's answer could not be understood
anaf-dropped = The connection to ANAF closed before its answer
anaf-invalid_client = ANAF refused the portal's client credentials
anaf-unusable_token = ANAF's new token could not be used
anaf-invalid_grant = ANAF refused the grant: “{ $text }”
anaf-invalid_grant_silent = ANAF refused the grant without saying why
anaf-invalid_request = ANAF refused the request: “{ $text }”
anaf-invalid_request_silent = ANAF refused the request without saying why

## Roles, members, bulk, jobs, support, admin

nav-support = Support
nav-users = Users
nav-audit = Audit log
filter-all = All
filter-by_status = Filter by status
filter-not_connected = Not connected
filter-connected = Connected
filter-expiring_soon = Expiring soon
filter-expired = Expired
filter-reconnect_needed = Reconnect needed
filter-no_rights = No SPV rights
bulk-title = Add many companies at once
bulk-label = CIFs, one per line
bulk-hint = Optionally a name after a comma: RO18547290, Firma SRL; without one, the name comes from ANAF's public registry. At most 500 lines.
bulk-submit = Add all
bulk-summary = { $added } added · { $rejected } rejected
bulk-already_yours = already in your list
bulk-duplicate_line = repeated in this list
jobs-refresh_expiring = Refresh all that are due
jobs-title = Refreshing tokens
jobs-running = Running: the refresh engine makes one ANAF call per token, a few at a time. This page updates itself.
jobs-finished = Finished.
jobs-progress = { $done } of { $total } done: { $refreshed } refreshed, { $failed } failed.
jobs-failures = Not refreshed, and why
jobs-nothing_to_do = No refreshable token is due for a refresh.
members-title = Members
members-role = Role in the company
members-role_admin = company admin
members-role_viewer = viewer
members-you = you
members-make_admin = Make admin
members-make_viewer = Make viewer
members-remove = Remove
members-add_title = Invite a member
members-add = Send invitation
members-add_hint = The person sees the invitation when logged in to this portal with this email (or after registering with it), and accepts or declines it. Viewers see status and expiry; admins connect, refresh, delete and reveal tokens and manage members.
members-invited = Invitation for { $email } saved. The person sees it in the portal when logged in with this email, and accepts or declines it.
invitations-pending_title = Pending invitations
invitations-sent_at = Invited
invitations-cancel = Withdraw
invitations-cancelled = Invitation withdrawn.
invitations-title = Invitations for you
invitations-offer = { $inviter } invites you to { $company } (CIF { $cif }) as { $role }.
invitations-offer_anonymous = You are invited to { $company } (CIF { $cif }) as { $role }.
invitations-accept = Accept
invitations-decline = Decline
invitations-accepted = You are now a member of { $company }.
invitations-declined = Invitation declined.
invitations-gone = This invitation is no longer pending.
invitations-has_cif = Your list already has a company with CIF { $cif }. A person keeps one record of a CIF: leave that one first (on its members page), or decline this invitation.
members-many_title = Give someone access to several companies
members-many_link = Invite a person to several of your companies at once
members-many_companies = { $count ->
        [one] The company you administer
       *[other] The { $count } companies you administer
    }
members-many_hint = Tick the companies to invite the person to. Each becomes one invitation, which they accept all at once from their dashboard.
members-many_no_companies = You administer no company yet: add a company first.
members-many_submit = Send invitations
members-many_none_chosen = Tick at least one company.
members-many_invited = { $count ->
        [0] No new invitation for { $email }.
        [one] { $email } is invited to one company.
       *[other] { $email } is invited to { $count } companies.
    }
members-many_already = { $count ->
        [one] They are already a member of one of the companies ticked.
       *[other] They are already a member of { $count } of the companies ticked.
    }
members-remove_title = Remove a member
members-remove_question = Remove { $email } from { $company }?
members-remove_self_question = Leave { $company }? You will no longer see this company or its token.
members-remove_explained = The person no longer sees the company, its token status or its history, and gets no more notifications about it. The token itself is not touched. An admin can invite them again at any time.
members-remove_confirm = Remove
invitations-accept_all = { $count ->
        [one] Accept the invitation
       *[other] Accept all { $count } invitations
    }
invitations-accepted_all = { $count ->
        [0] No invitation was accepted.
        [one] You accepted one invitation.
       *[other] You accepted { $count } invitations.
    }
members-changed = Membership updated.
members-last_admin = A company keeps at least one admin: make someone else admin first.
members-already_member = This person is already a member.
support-title = Support: all companies
support-intro = Read-only view of every company's token status. Secrets are never shown here.
support-search_placeholder = CIF, company name or user email
support-admins = Company admins
support-same_cif = Other records of this CIF
support-same_cif_hint = Each person keeps their own record of a CIF (the company itself, its accountant), with its own members and token.
admin-users_title = Users
admin-search_placeholder = Part of an email
admin-state = State
admin-enabled = active
admin-disabled = disabled
admin-enable = Enable
admin-disable = Disable
admin-save_role = Save
admin-user_changed = { $email } was updated.
admin-last_admin = The last active administrator cannot be demoted or disabled.
admin-audit_title = Audit log
admin-when = When
admin-filter_actor = Actor (email)
admin-filter_company = Company (CIF)
admin-filter_action = Action
admin-filter_outcome = Outcome
admin-filter_from = From
admin-filter_until = Until
admin-success = success
admin-failure = failure
admin-detail = Detail

## Errors

error-back_home = Back to the start page
error-request_id = Request id (quote it to support)
error-400-title = The request could not be understood
error-400-message = Something in the request was malformed. Go back and try again.
error-403-title = Not allowed
error-403-message = You may not do this, or the form had expired. Reload the page and try again.
error-404-title = Page not found
error-404-message = There is nothing at this address.
error-405-title = Method not allowed
error-405-message = This address does not accept this kind of request.
error-408-title = Too slow
error-408-message = What you sent did not arrive in time. Please try again.
error-413-title = Too large
error-413-message = What you sent is larger than the portal accepts.
error-429-title = Too many requests
error-429-message = Too many attempts in a short time. Wait a few minutes, then try again.
error-500-title = Something went wrong
error-500-message = The portal could not complete the request. Nothing was changed; please try again.
error-503-title = Temporarily unavailable
error-503-message = The portal cannot reach its database right now. Nothing was changed; please try again in a minute.
error-token_unreadable-title = The stored token cannot be read
error-token_unreadable-message = Its encrypted values do not belong to this token: they were altered in the database, or the key that sealed them is not configured. Nothing was shown or changed. Connect ANAF again to replace the token, and tell your administrator.

lifecycle-title = Refresh engine
lifecycle-intro = Where every token stands with the refresh engine, why refreshes fail, how much of the ANAF call budget each minute used, and when each engine last looked for work. Read-only; no secret is shown.
lifecycle-tokens = Tokens stored
lifecycle-due_now = Due for a refresh now
lifecycle-due_this_week = Due within 7 days
lifecycle-by_state = By refresh state
lifecycle-by_status = By status
lifecycle-state = State
lifecycle-count = Tokens
lifecycle-state-scheduled = scheduled (refreshed when due)
lifecycle-state-refreshing = refreshing now
lifecycle-state-retrying = retrying after a passing failure
lifecycle-state-failing = refresh failing (tried twice a day)
lifecycle-state-reconnect_before = reconnect needed before a date
lifecycle-state-stopped = nothing to try (reconnect, expired or no refresh token)
lifecycle-causes = Failing refreshes by cause
lifecycle-cause = Last error
lifecycle-no_failures = No refresh is failing.
lifecycle-budget = ANAF call budget
lifecycle-budget_limit = At most { $limit } calls a minute to ANAF, all instances together; the engine's calls are paced over the minute, people's go first.
lifecycle-paused = ANAF answered 429: every call waits until { $until }.
lifecycle-budget_idle = No call to ANAF in the last 15 minutes.
lifecycle-minute = Minute (Romanian time)
lifecycle-calls = Calls
lifecycle-instances = Engines
lifecycle-no_instances = No refresh engine ran in the last day (ANAF_PORTAL_WORKER=off everywhere?).
lifecycle-host = Host
lifecycle-instance_state = State
lifecycle-started = Started
lifecycle-last_tick = Last tick
lifecycle-next_tick = Next tick
lifecycle-last_sweep_heading = Last sweep
lifecycle-last_sweep = { $refreshed } refreshed, { $failed } failed, { $probed } rights checks
lifecycle-instance_running = running
lifecycle-instance_sweeping = sweeping since { $since }
lifecycle-instance_stopped = stopped at { $at }
lifecycle-instance_silent = silent: last heard from at { $at }
nav-lifecycle = Refresh engine

## Events, notifications and email

lifecycle-email = Email
lifecycle-email_state = { $waiting } waiting to be sent; { $failed } given up in the last day (see mail_outbox.last_error).
lifecycle-email_off = Email is off: ANAF_PORTAL_SMTP_URL is not set.

time-romania = Romanian time
event-connected-title = Connected to ANAF
event-connected-what = A new token was saved for this company: the portal keeps it alive from now on.
event-connected-todo = {""}
event-refreshed-title = Token refreshed
event-refreshed-what = The portal renewed this company's token with ANAF.
event-refreshed-todo = {""}
event-expiring-title = { $days ->
        [one] Act within 1 day
       *[other] Act within { $days } days
    }
event-expiring-what = No refresh can keep this company's token alive past the date below: ANAF does not extend its refresh token, none was stored, or refreshes keep failing.
event-expiring-todo = Press Connect ANAF on the company's page with the certificate that has SPV rights for this CIF, before the date below.
event-refresh_failing-title = Refreshes are failing
event-refresh_failing-what = The portal has been unable to refresh this company's token for days; it keeps trying twice a day.
event-refresh_failing-todo = If ANAF works for your other companies, reconnect this one with the certificate before its access token expires.
event-reconnect_needed-title = Reconnect needed
event-reconnect_needed-what = ANAF no longer accepts this company's refresh token: e-Factura stops working for it when its access token expires.
event-reconnect_needed-todo = Press Connect ANAF on the company's page with the certificate that has SPV rights for this CIF.
event-rights_lost-title = No SPV rights for this CIF
event-rights_lost-what = The token works, but ANAF says its certificate has no SPV rights for this CIF: e-Factura is blocked for this company.
event-rights_lost-todo = Usually the certificate was renewed and the new one is not enrolled in SPV for this company, or the rights were withdrawn. The legal representative grants them at ANAF (form 150/270); after about 24 hours press Refresh, or reconnect with the enrolled certificate.
event-deleted-title = Token deleted
event-deleted-what = This company's token was deleted from the portal.
event-deleted-todo = {""}
event-detached-title = Token detached
event-detached-what = This company's token no longer serves it: some of its admins could not use the token through the company it was connected for, and only the certificate holder can agree to give it to them.
event-detached-todo = Ask the certificate holder to press Connect ANAF for this company, or send them an authorization link.
event-webhook_disabled-title = Webhook endpoint disabled
event-webhook_disabled-what = Deliveries to one of your webhook endpoints failed for 5 days, so the portal stopped sending to it.
event-webhook_disabled-todo = Fix the receiver, then enable the endpoint again on the company's webhooks page; the deliveries it missed can be sent again from there.
attention-title = { $count ->
        [one] 1 company needs you
       *[other] { $count } companies need you
    }
attention-details = Details
attention-more = { $count ->
        [one] And 1 more:
       *[other] And { $count } more:
    }
attention-reconnect_needed = ANAF refused the token: reconnect needed
attention-reconnect_needed-todo = Connect ANAF again with the certificate.
attention-no_rights = no SPV rights for this CIF
attention-no_rights-todo = Have the certificate enrolled in SPV for this CIF, then press Refresh.
attention-refresh_failing = refreshes failing since { $since }
attention-refresh_failing-todo = If ANAF works for other companies, reconnect this one.
attention-expired = the token expired
attention-expired-todo = Connect ANAF again with the certificate.
attention-reconnect_before = reconnect before { $by }
attention-reconnect_before-todo = Connect ANAF again before that date.
digest-subject = { $count ->
        [0] nothing needs your attention
        [one] 1 company needs attention
       *[other] { $count } companies need attention
    }
digest-intro = These companies need a person; the most urgent first.
digest-all_well = Every company's token works again; nothing needs you now.
digest-company = Company
digest-problem = Problem
digest-todo = What to do
digest-changes = What changed since the last digest
mail-footer = You get this email because you look after these companies in the portal.
mail-footer_settings = Change how you get email
mail-anaf_said = ANAF answered:
mail-what_to_do = What to do:
mail-act_by = Act by:
mail-open_company = Open the company
mail-test_subject = test email
mail-test_body = Email from the portal reaches you: notifications about your companies' tokens will arrive here.
nav-notifications = Notifications
nav-notifications_unread = { $count ->
        [one] 1 unread notification
       *[other] { $count } unread notifications
    }
notifications-title = Notifications
notifications-empty = Nothing yet: you will see here when a token of your companies is connected, refreshed, about to expire or in trouble.
notifications-mark_read = Mark read
notifications-mark_all_read = Mark all read
notifications-unread = unread
notifications-older = Older notifications
notifications-settings = Email settings
notifications-act_by = act by { $by }
settings-notifications-title = Email notifications
settings-notifications-intro = The bell shows every event of your companies. Email is for what only a person can fix: a token that needs reconnecting, refreshes failing, lost SPV rights, a date to act by.
settings-notifications-off_unset = Email is off on this portal: the administrator has not configured an SMTP server (ANAF_PORTAL_SMTP_URL). Your choice applies once it is.
settings-notifications-immediate = At once: one email per token when its state changes, at most one per token a day
settings-notifications-digest = Daily digest at { $at }: one email listing every company that needs attention, only when something changed
settings-notifications-off = Off: only the bell
settings-notifications-language = Language of email
settings-notifications-save = Save
settings-notifications-saved = Your email settings were saved.
settings-notifications-invalid = Choose one of the options offered.
settings-notifications-test = Send a test email
settings-notifications-test_sent = A test email was sent to { $email }.
settings-notifications-test_failed = The test email could not be sent: { $error }
settings-notifications-test_unavailable = Email is off on this portal, so no test email can be sent.

## Webhooks
history-webhooks_changed = Webhooks changed
webhooks-title = Webhooks
webhooks-intro = The portal posts each event of this company's token to the endpoints below, signed as Standard Webhooks specifies (headers webhook-id, webhook-timestamp, webhook-signature). A delivery that fails is retried for 24 hours; an endpoint that fails for 5 days is disabled and you are told.
webhooks-secret_title = Signing secret
webhooks-secret_shown_once = Copy the signing secret now: it is shown only this once. Your receiver verifies each request's signature with it.
webhooks-list_title = Endpoints
webhooks-empty = No endpoints yet.
webhooks-url = URL
webhooks-events = Events
webhooks-state = State
webhooks-created = Registered
webhooks-note = Description
webhooks-description = Description (optional)
webhooks-create_title = Add an endpoint
webhooks-create = Add endpoint
webhooks-signing_hint = The endpoint must answer with a 2xx status within 10 seconds. Redirects are not followed. Loopback, private and link-local addresses are refused.
webhooks-state_active = Active
webhooks-state_failing = Failing since { $since }
webhooks-state_disabled = Disabled on { $at }
webhooks-kind-connected = Token connected
webhooks-kind-refreshed = Token refreshed
webhooks-kind-expiring = Token expiring
webhooks-kind-refresh_failing = Refreshes failing
webhooks-kind-reconnect_needed = Reconnect needed
webhooks-kind-rights_lost = SPV rights lost
webhooks-kind-deleted = Token deleted
webhooks-url_missing = Enter the endpoint's URL.
webhooks-url_too_long = The URL is longer than 2000 characters.
webhooks-url_malformed = This is not a valid URL.
webhooks-url_scheme = The URL must start with https:// or http://.
webhooks-url_userinfo = The URL must not contain a user name or password.
webhooks-url_private = { $address } is a loopback, private or link-local address: webhooks are only sent to public addresses.
webhooks-events_missing = Choose at least one event.
webhooks-events_unknown = Choose events from the list.
webhooks-description_too_long = The description is longer than 200 characters.
webhooks-too_many = This company already has 10 endpoints: delete one first.
webhooks-duplicate = This company already has an endpoint with this URL.
webhooks-endpoint_title = Webhook endpoint
webhooks-enable = Enable again
webhooks-enabled = The endpoint is enabled again. Use Redeliver to send the deliveries it missed.
webhooks-already_enabled = The endpoint is already enabled.
webhooks-delete = Delete endpoint
webhooks-delete_confirm = Delete this endpoint and its delivery log?
webhooks-deleted = The endpoint was deleted.
webhooks-deliveries_title = Deliveries
webhooks-no_deliveries = Nothing sent yet: deliveries appear here when the company's token changes.
webhooks-event = Event
webhooks-delivery_status = Status
webhooks-attempts = Attempts
webhooks-last_answer = Last answer
webhooks-next_attempt = next attempt at
webhooks-delivery_pending = Pending
webhooks-delivery_delivered = Delivered
webhooks-delivery_failed = Failed
webhooks-redeliver = Redeliver
webhooks-redelivered = The message was queued again; it is sent within a minute, with the same webhook-id.
webhooks-redelivered_when_enabled = The message was queued again; it is sent once the endpoint is enabled.

## History details

history-detail-rights_confirmed = SPV rights confirmed
history-detail-no_rights = no SPV rights: “{ $anaf }”
history-detail-rights_unknown = rights unknown: “{ $anaf }”
history-detail-revoked = revoked at ANAF
history-detail-not_revoked = ANAF did not confirm revocation
history-detail-revocation_pending = revocation asked of ANAF; no answer yet
history-detail-revoked_refresh_only = ANAF confirmed revoking the refresh token only
history-detail-revoked_access_only = ANAF confirmed revoking the access token only
history-detail-no_refresh_token = no refresh token
history-detail-through_api = through the API (key { $key })
history-detail-role_changed = { $who } is now { $role }
history-detail-invited = { $who } as { $role }
history-detail-removed = { $who } removed
history-detail-accepted = { $who } accepted the invitation as { $role }

# Company names and addresses from ANAF's public registry; a company admin may type the name.
company-address = Address
company-name_title = Company name
company-name_hint = When ANAF's public registry knows the CIF, it fills in the name and address. A name typed here is never replaced.
company-save_name = Save name
company-renamed = Name saved.
company-name_empty = Type the company's name.
company-name_too_long = A company name has at most 200 characters.
company-name_control = A company name cannot contain line breaks or control characters.
company-lookup_pending = Looking the name up in ANAF's public registry…
company-lookup_not_found = ANAF's public registry has no company with this CIF; a company admin can type its name.
company-lookup_failing = ANAF's public registry did not answer; it is asked again at { $at }. Meanwhile a company admin can type the name.
history-company_renamed = Name changed
history-company_name_from_registry = Name filled in from ANAF's registry

## Authorization links
history-authorization_link = Authorization link
links-dashboard_link = Authorization links: the certificate holder connects ANAF without an account
links-title = Authorization links
links-intro = The person who holds the qualified certificate (often the company's administrator, with the USB token) connects ANAF for your companies through a single-use link, without a portal account.
links-new_title = Create an authorization link
links-send_for_company = Send an authorization link to the certificate holder
links-companies_legend = { $count ->
        [one] The company you administer
       *[other] The { $count } companies you administer
    }
links-no_companies = You do not administer any company yet: add a company first.
links-companies_missing = Tick at least one company.
links-days = Valid for (days)
links-days_invalid = { $max ->
        [one] Choose a validity of one day.
       *[other] Choose a validity between 1 and { $max } days.
    }
links-note = Message to the holder (optional)
links-note_hint = The holder sees it on the link's page. No passwords or codes.
links-note_too_long = { $max ->
        [one] The message can be at most one character long.
       *[other] The message can be at most { $max } characters long.
    }
links-note_control = The message holds control characters; write it as plain text.
links-email = Email the link to (optional)
links-email_off = The portal does not send email (SMTP is not configured): copy the link once it is created and send it yourself.
links-create = Create the link
links-too_many = { $max ->
        [one] You already have a link waiting. Revoke it, or wait until it is used or expires.
       *[other] You already have { $max } links waiting, the most allowed. Revoke one, or wait until one is used or expires.
    }
links-created_title = The authorization link is created
links-shown_once = Copy the link now: it is shown this once only. The portal keeps only a fingerprint of it. Whoever has the link can connect ANAF for these companies until it expires.
links-url = The link for the certificate holder
links-valid_until = Valid until { $at } (Romanian time), for one successful connection.
links-qr_label = QR code of the authorization link
links-qr_caption = The holder may scan the code with a phone, but the connection must be made on the computer the USB token is plugged into.
links-follow = Follow the link: its state and the companies covered
links-mail_subject = ANAF e-Factura connection request
links-mail_intro = { $creator } asks you to connect ANAF e-Factura for their companies in the portal, with your qualified certificate.
links-mail_open = Open the link below on the computer your USB token is plugged into:
links-mail_promise = The portal gets e-Factura access for these companies; it never gets the certificate, its PIN or the password.
links-mail_sent = The link was emailed to { $email }.
links-mail_failed = The email could not be sent ({ $error }). Copy the link and send it yourself.
links-active_note = { $max ->
        [one] At most one link can wait at a time.
       *[other] At most { $max } links can wait at a time.
    }
links-empty = You have not created any authorization link.
links-state = State
links-companies = Companies
links-created = Created
links-expires = Expires
links-opened = First opened
links-attempted = Last connection
links-completed = Completed
links-revoked = Revoked
links-sent_to = Emailed to
links-more = { $count ->
        [one] one more
       *[other] { $count } more
    }
links-state_created = created
links-state_opened = opened
links-state_completed = completed
links-state_expired = expired
links-state_revoked = revoked
links-opened_at = opened on { $at }
links-completed_at = completed on { $at }
links-expired_at = expired on { $at }
links-revoked_at = revoked on { $at }
links-one_title = Authorization link
links-live_hint = This page reloads itself every 10 seconds while the link is waiting.
links-revoke = Revoke the link
links-revoke_confirm = Revoke this link? The holder will no longer be able to use it.
links-revoked_done = The link is revoked.
links-not_pending = The link is no longer waiting: it was used, revoked or has expired.
links-outcome_waiting = waiting
links-outcome_covered = covered
links-outcome_no_rights = not covered
links-outcome_unknown = not checked
links-no_rights_explained = The certificate has no SPV rights for CIF { $cif }. Its holder must be enrolled in SPV for this company (or the company connected with another person's certificate).
links-unknown_explained = The SPV rights could not be checked: { $said } Try again later.
links-holder_title = Connect ANAF e-Factura
links-holder_asks = { $count ->
        [one] { $email } asks you to connect ANAF e-Factura for this company:
       *[other] { $email } asks you to connect ANAF e-Factura for these { $count } companies:
    }
links-holder_note = Message:
links-holder_expires = The link is valid until { $at } (Romanian time).
links-holder_retry = The certificate used last time had no SPV rights for any of these companies, so nothing was stored. You can try again with another certificate.
links-holder_what_title = What happens
links-holder_will = The portal gets e-Factura access (an ANAF token) for the companies your certificate has SPV rights for.
links-holder_will_not = The portal never gets your certificate, its PIN or your password: you type them at ANAF only.
links-holder_check_title = Check first
links-holder_check_token = The USB token is plugged into this computer and its driver is installed.
links-holder_check_spv = The certificate is enrolled in SPV. After a certificate renewal it must be enrolled again, and ANAF may need up to 24 hours.
links-holder_check_prompt = If no certificate prompt appears, close every browser window and try again.
links-holder_connect = Connect ANAF
links-gone_used_title = The link has already been used
links-gone_used = This link was already used for a successful connection and cannot be used again. If another connection is needed, ask { $email } for a new link.
links-gone_expired_title = The link has expired
links-gone_expired = This link has expired. Ask { $email } for a new link.
links-gone_revoked_title = The link was revoked
links-gone_revoked = Whoever created the link revoked it. If this is a mistake, ask { $email } for a new link.
links-gone_disabled_title = The link is no longer valid
links-gone_disabled = This link is no longer valid because the account of the person who created it is disabled. If a connection is still needed, ask an administrator of the company for a new link.
links-done_title = The ANAF connection is complete
links-done_message = { $count ->
        [one] The certificate has SPV rights for { $covered } of the company asked for. The portal keeps the token encrypted; there is nothing more to do. You may close this page.
       *[other] The certificate has SPV rights for { $covered } of the { $count } companies asked for. The portal keeps the token encrypted; there is nothing more to do. You may close this page.
    }
links-done_none_title = The certificate has no SPV rights for these companies
links-done_none_message = Nothing was stored and the link stays valid: open it again and retry with another certificate, enrolled in SPV for these companies.
links-failed_title = The ANAF connection did not complete
links-failed_retry = The link stays valid unless it was used: open it again and press Connect ANAF.
links-callback_unknown = This ANAF answer belongs to no connection started through a link. Open the link you received again and press Connect ANAF.
links-callback_expired = The connection took longer than 10 minutes and expired. Open the link you received again and press Connect ANAF.
links-callback_reused = This ANAF answer was already used. Each connection can complete only once.
links-callback_foreign = The connection was started in another browser. Open the link you received in this browser and press Connect ANAF.
links-busy = Another connection through this link is completing right now (perhaps in another tab). Wait a minute and open the link again.
sharing-also_serves = The same token also serves:
sharing-offers_title = Other certificates with SPV rights for this company
sharing-offers_explained = ANAF confirmed that these certificates also have SPV rights for this company. Attach one to have it serve the company from now on (in place of the token it has, if any).
sharing-attach = Attach
sharing-attached = Token attached: it now serves this company too.
sharing-attach_no_rights = ANAF now says this certificate has no SPV rights for the company: it was not attached.
sharing-attach_unknown = ANAF could not confirm the rights just now: the token was not attached. Try again later.
sharing-holder_unknown = unknown holder
coverage-title = Coverage: companies × certificates
coverage-explained = Which certificate serves each company. A company without a working token needs a connection or an authorization link.
coverage-summary = { $uncovered ->
         [0] All { $total } companies have a working token.
        *[other] { $uncovered } of { $total } companies have no working token.
    }
coverage-company = Company
coverage-no_certificates = No certificate serves your companies yet.
coverage-served = serves
coverage-offered = could serve
coverage-not_covered = no working token
coverage-dashboard_link = Which certificate serves each company

## Email verification
register-check_mailbox = Check your mailbox. If this address is new here, we sent it a link that confirms it: log in, then open the link (it works for 24 hours). If the address already has an account, its owner got a note instead.
verify-mail_subject = Confirm your email address
verify-mail_intro = Someone (hopefully you) created an account on the portal with this email address.
verify-mail_open = Open this link while logged in to that account to confirm the address (it works once, for 24 hours):
verify-mail_not_you = If it was not you, ignore this mail: the account stays unconfirmed, sees no invitation and gets no notification mail.
register-attempt_subject = Someone tried to register your address
register-attempt_intro = Someone tried to create an account on the portal with this email address, which already has one. Nothing was changed.
register-attempt_todo = If it was you, log in with your password:
register-attempt_not_you = If it was not you, you need not do anything.
verify-banner = Confirm your email address ({ $email }) with the link we mailed to it: until then invitations stay hidden and the portal sends you no notification mail.
verify-resend = Send a new link
verify-done = Your email address is confirmed.
verify-invalid = This confirmation link does not work: it was used or has expired, or it belongs to another account. Log in to the account it was mailed for, or send a new link.
verify-already = Your email address is confirmed already.
verify-sent = A new confirmation link is on its way to your mailbox.
verify-too_many = Three links were sent within the last hour. Use the newest one, or try again later.
verify-no_email = This portal sends no email: ask a platform administrator to confirm your address.
verify-send_failed = The mail could not be sent just now. Try again in a few minutes.
admin-verify = Confirm email
admin-verified_done = The account's email address is confirmed.
admin-email_verified = email confirmed
admin-email_unverified = email not confirmed

## The sandbox mailbox
sandbox-mailbox_link = Simulated mail
sandbox_mail-title = Sandbox mailbox
sandbox_mail-intro = Sandbox mode without an SMTP server: every mail the portal would have sent is here instead, for anyone to read. None of it left this machine.
sandbox_mail-empty = No mail yet.
sandbox_mail-sent = Sent
sandbox_mail-to = To
sandbox_mail-subject = Subject
sandbox_mail-links = Links in this mail
sandbox_mail-text = Text
settings-notifications-test_unverified = Confirm your email address first: until then the portal mails it nothing but the confirmation link.
links-mail_unverified = The link was not emailed: the portal mails links only from a confirmed address. Confirm yours, or copy the link and send it yourself.
settings-notifications-sandbox = Sandbox mode without SMTP: the mails the portal sends you land in the sandbox mailbox; none leaves this machine.
lifecycle-email_sandbox = Sandbox mailbox: ANAF_PORTAL_SMTP_URL is not set, so every mail is kept on the sandbox mailbox page instead of being sent.
sharing-attach_would_widen = Not attached: { $people } would gain this token, and through it e-Factura for every company its certificate covers, without its holder agreeing. Ask the certificate holder to press Connect ANAF for this company, or send them an authorization link.
sharing-offer_would_widen = Attaching it would give the token to { $people }, who cannot use it today: only its certificate holder can agree to that, with a Connect ANAF for this company.
sharing-offer_send_link = Send the holder an authorization link
coverage-attach_offers = Attach the offered tokens where none works
coverage-attach_offers_hint = Each company without a working token gets a token whose certificate ANAF confirmed there, when that gives it to nobody who cannot use it already; ANAF is asked once per company.
coverage-attached = { $count ->
    [0] No token was attached.
    [one] Attached to one company.
   *[other] Attached to { $count } companies.
}
coverage-attach_need_consent = { $count ->
    [one] One company needs its certificate holder's consent (its page says who would gain access).
   *[other] { $count } companies need their certificate holder's consent (their pages say who would gain access).
}
coverage-attach_not_confirmed = { $count ->
    [one] For one company ANAF did not confirm the rights.
   *[other] For { $count } companies ANAF did not confirm the rights.
}
coverage-attach_left = { $count ->
    [one] One more company is left for the next press.
   *[other] { $count } more companies are left for the next press.
}

## Account recovery, account settings, sessions
settings-nav = Settings
login-forgot = Forgot your password?
login-attempts_left = { $count ->
        [one] One attempt left
       *[other] { $count } attempts left
    }: after that, logging in to this account from here is locked for { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }.
login-locked_now = Logging in to this account from here is now locked for { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }. If you forgot your password, ask for a new one.
forgot-title = Forgot your password?
forgot-intro = Type your account's email address. We will mail it a link that sets a new password (it works once, for 30 minutes).
forgot-submit = Send the link
forgot-back = Back to logging in
forgot-no_email = This portal sends no email: ask a platform administrator for a password reset link.
forgot-sent = If this address has an account here, a link that sets a new password is on its way to it. It works once, for 30 minutes. Nothing arrived? Look in the spam folder, or ask again in a few minutes.
forgot-invalid_email = Type a whole email address, like ana@firma.ro.
reset-title = Choose a new password
reset-intro = The new password of the account { $email }.
reset-new_password = New password
reset-ends_sessions = Every session of the account ends: log in again with the new password everywhere.
reset-submit = Set the password
reset-gone_title = This link does not work
reset-gone = The link was used already, has expired (a mailed link works for 30 minutes) or was never issued. Ask for a new one.
reset-ask_again = Ask for a new link
reset-done_title = Your password was changed
reset-done = Every session of the account was ended. Log in with the new password.
reset-mail_subject = Set a new password
reset-mail_intro = Someone (hopefully you) asked for a new password for your account on the portal.
reset-mail_open = Open this link to choose it (it works once, for 30 minutes):
reset-mail_not_you = If it was not you, ignore this mail: your password stays as it is.
password-changed_subject = Your password was changed
password-changed_intro = The password of your account on the portal was just changed.
password-changed_sessions = The account's other sessions were ended. If it was not you, set a new password at once through this page:
password-changed_not_you = Then tell a platform administrator: the audit log shows where the change came from.
email_change-mail_subject = Confirm your new email address
email_change-mail_intro = Someone (hopefully you) asked to move an account on the portal to this email address.
email_change-mail_open = Open this link while logged in to that account to finish the change (it works once, for 24 hours):
email_change-mail_not_you = If it was not you, ignore this mail: nothing changes.
email_changed-subject = Your email address was changed
email_changed-intro = Your account on the portal now has the address { $email }; this one is no longer used to log in.
email_changed-not_you = If it was not you, ask for a new password through this page at once, and tell a platform administrator.
account-title = Account
account-email_title = Email address
account-email_current = Your address:
account-email_intro = To move the account to another address, type it and your current password: we mail the new address a link, and the account moves once you open it (logged in). The old address is told.
account-new_email = New email address
account-current_password = Current password
account-email_submit = Send the confirmation link
account-password_title = Password
account-password_intro = Changing the password ends your other sessions; this one stays. You will get a mail saying so.
account-password_submit = Change the password
account-language_title = Language
account-language_intro = The language of the pages and of the mail the portal sends you; your next logins start in it.
account-current_missing = Type your current password.
account-current_wrong = The current password is wrong.
account-password_changed = { $count ->
        [0] Your password was changed.
        [one] Your password was changed, and your other session was ended.
       *[other] Your password was changed, and your { $count } other sessions were ended.
    }
account-email_invalid = Type a whole email address, like ana@firma.ro.
account-email_sent = A link is on its way to { $email }. Open it while logged in: the address changes then.
account-email_same = That is your address already.
account-email_too_many = Three changes were asked for within the last hour. Use the newest link, or try again later.
account-email_no_email = This portal sends no email, so the new address cannot be proven: ask a platform administrator.
account-email_changed = Your address is { $email } now.
account-email_link_invalid = This link does not work: it was used or has expired, or it belongs to another account.
account-email_taken = The address could not be given to your account. Ask for a new link, or use another address.
sessions-title = Sessions
sessions-intro = Where your account is logged in. End any session you do not recognise, and change your password.
sessions-browser = Browser
sessions-address = Address
sessions-started = Started
sessions-last_seen = Last seen
sessions-this_one = this one
sessions-end = End
sessions-end_others = End all other sessions
sessions-ended_one = The session was ended.
sessions-ended_others = { $count ->
        [0] There was no other session.
        [one] One other session was ended.
       *[other] { $count } other sessions were ended.
    }
sessions-unknown_browser = Unknown browser
admin-reset_link = Reset link
admin-end_sessions = End sessions
admin-reset_link_title = Password reset link
admin-reset_link_intro = A one-time link that sets a new password for { $email }. Hand it over yourself (in person, or on the phone): whoever opens it chooses the account's password. It works once, for 24 hours.
admin-reset_link_once = The link is shown only this once. Issuing a new one does not end this one; the new password closes both.
admin-reset_link_disabled = A disabled account cannot log in: enable it before issuing a reset link.
admin-sessions_ended = { $count ->
        [one] One session of { $email } was ended.
       *[other] { $count } sessions of { $email } were ended.
    }
## Two-factor, re-authentication, the two-factor policy
nav-security = Security
nav-policy = Two-factor policy
login-factor_expired = The sign-in waited too long for its code. Type your password again.
dashboard-draft_restored = Your session had ended, so nothing was added. What you typed is back in the form: press Add again.
security-title = Security
security-intro = Two-factor sign-in: after your password, a code from an authenticator app on your phone.
security-required = Your role requires two-factor sign-in. Set it up to continue using the portal.
security-totp_title = Authenticator app
security-state_on = Two-factor is on
security-state_off = Two-factor is off
security-off_explained = Anyone who learns your password can sign in as you. With two-factor they would also need your phone.
security-start = Set up an authenticator app
security-scan = Scan this QR code with your authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP, 1Password…).
security-qr_label = QR code for your authenticator app
security-or_type = Or type this key into the app:
security-first_code = The 6-digit code the app shows
security-confirm = Switch two-factor on
security-already_on = Two-factor is already on.
security-enabled = Two-factor is on. Keep the recovery codes below somewhere safe.
security-disabled = Two-factor is off.
security-codes_title = Your recovery codes
security-codes_shown_once = Each code signs you in once when your phone is not at hand. They are shown only now: print them or keep them in a password manager.
security-codes_left = { $count ->
    [one] One unused recovery code left.
   *[other] { $count } unused recovery codes left.
}
security-recovery_left = { $count ->
    [0] You used your last recovery code. Make new ones on the Security page.
    [one] Recovery code used. One left: make new ones on the Security page.
   *[other] Recovery code used. { $count } left.
}
security-current_code = A code from your app, or a recovery code
security-regenerate = Make new recovery codes
security-disable = Switch two-factor off
security-code_wrong = That code is not right. Check the time on your phone and type the code it shows now.
security-code_used = That code was already used. Wait for the next one.
second_factor-title = Two-factor sign-in
second_factor-intro = Type the 6-digit code your authenticator app shows.
second_factor-code = Code
second_factor-submit = Sign in
second_factor-recovery_hint = No phone at hand? Type one of your recovery codes instead.
reauth-title = Confirm it is you
reauth-intro = This gives a secret away, and you last confirmed more than 10 minutes ago. Type your password again.
reauth-held = Your form is kept: after this you will see it again and press Continue.
reauth-or_code = Or a code from your authenticator app
reauth-submit = Confirm
reauth-missing = Type your password (or a code).
reauth-wrong_password = That password is not right.
reauth-continue_title = Confirmed
reauth-continue_intro = Press Continue to finish what you started.
reauth-continue = Continue
policy-title = Two-factor policy
policy-intro = Who must use two-factor sign-in. Whoever it covers and has none is led to set it up right after signing in and can do nothing else until then.
policy-platform_admins = Platform administrators
policy-support_staff = Support staff
policy-company_admins = Company admins (anyone who is admin of at least one company)
policy-api_keys = API keys already made keep working; new ones can be made only once two-factor is on.
policy-save = Save
policy-saved = Two-factor policy saved.
twofactor-mail_subject = Your sign-in security changed
twofactor-mail_enabled = Two-factor sign-in was switched on for your account.
twofactor-mail_disabled = Two-factor sign-in was switched off for your account.
twofactor-mail_regenerated = New recovery codes were made for your account; the old ones no longer work.
twofactor-mail_not_you = If this was not you, sign in, change your password and check the Security page at once.

## Passkeys
passkeys-title = Passkeys
passkeys-intro = A passkey signs you in with your device's screen lock (fingerprint, face or PIN): as the second step after your password, or instead of the password altogether.
passkeys-unavailable = Passkeys need the portal to be reached by a domain name (ANAF_PORTAL_BASE_URL, for example http://localhost:8080 or https://portal.firma.ro), not by an IP address.
passkeys-name = Name
passkeys-name_example = Laptop, phone…
passkeys-added = Added
passkeys-last_used = Last used
passkeys-add = Add a passkey
passkeys-create_intro = Press the button and follow your browser: it asks your device to create the passkey.
passkeys-create = Create the passkey
passkeys-remove = Remove
passkeys-remove_confirm = Remove this passkey? It will no longer sign you in.
passkeys-removed = The passkey was removed.
passkeys-added_flash = The passkey was added. It signs you in from now on.
passkeys-name_missing = Give the passkey a name, so you can tell it apart later.
passkeys-name_invalid = Use at most 60 characters, without line breaks.
passkeys-expired = This passkey request is no longer open. Load the page again and start over.
passkeys-duplicate = This passkey is registered already.
passkeys-failed = The passkey did not work. Try again, or use another way to sign in.
passkeys-unsupported = This browser cannot use passkeys.
passkeys-refused = That passkey does not open an account here.
passkeys-or = or
passkeys-sign_in = Sign in with a passkey
passkeys-factor_intro = Confirm with your passkey.
passkeys-use = Use my passkey
twofactor-mail_passkey_added = A passkey was added to your account.
twofactor-mail_passkey_removed = A passkey was removed from your account.
security-app_none = Your passkeys are your second factor. An authenticator app can be one too.

## The e-Factura gateway on a company's page
efactura-title = e-Factura through the portal
efactura-intro = Calls made through the portal's e-Factura gateway today (Romanian time) against ANAF's daily limits for this CIF. The portal refuses a call before ANAF would.
efactura-quota = ANAF's limit
efactura-used_today = Used today
efactura-quota-lista_per_cif = listaMesajeFactura (message list by days)
efactura-quota-lista_paginatie_per_cif = listaMesajePaginatieFactura (paged message list)
efactura-quota-upload_rasp_per_cif = buyer messages uploaded (RASP)
efactura-quota-descarcare_per_message = downloads of one message
efactura-quota-stare_mesaj_per_upload = status checks of one upload
efactura-archived = Files kept in the portal's archive:
efactura-last_errors = Last answers that were not OK
efactura-no_errors = None: every call through the portal worked.
efactura-anaf_said = ANAF said
efactura-outcome-ok = worked
efactura-outcome-no_messages = no messages in that period
efactura-outcome-no_rights = the certificate has no SPV rights for this CIF
efactura-outcome-limit_reached = ANAF's daily limit was reached
efactura-outcome-download_expired = the file is older than ANAF's 60 days and can no longer be downloaded
efactura-outcome-not_found = ANAF knows no such message or upload
efactura-outcome-technical_error = ANAF had a technical error
efactura-outcome-firewall_page = ANAF's firewall rejected the request
efactura-outcome-invalid_request = ANAF refused the request as malformed
efactura-outcome-unauthorized = ANAF refused the token
efactura-outcome-rate_limited = ANAF said too many calls a minute
