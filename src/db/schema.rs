// Written by hand (not `diesel print-schema`): one schema must describe both backends, so every
// column uses a type SQLite and PostgreSQL share (BigInt ids, Text, Timestamp in UTC).

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_notifications -> Text,
        language -> Text,
        last_digest_at -> Nullable<Timestamp>,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        last_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Single-use links that set a new password; only the SHA-256 of each secret is kept.
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        secret_hash -> Text,
        issued_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// A change of address waiting for the link mailed to the new one; only the SHA-256 kept.
    email_changes (id) {
        id -> BigInt,
        user_id -> BigInt,
        new_email -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(email_changes -> users (user_id));

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        subject -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    companies (id) {
        id -> BigInt,
        cif -> Text,
        name -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        address -> Nullable<Text>,
    }
}

diesel::table! {
    company_registry (cif) {
        cif -> Text,
        found -> Nullable<Bool>,
        name -> Nullable<Text>,
        address -> Nullable<Text>,
        looked_up_at -> Nullable<Timestamp>,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    company_members (company_id, user_id) {
        company_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
        cif -> Text,
    }
}

diesel::table! {
    /// How many calls each counter had in each period: `anaf` per minute (the ANAF budget),
    /// `rights-probe:<CIF>` per day.
    call_counts (counter, period) {
        counter -> Text,
        period -> Timestamp,
        calls -> Integer,
    }
}

diesel::table! {
    /// Every refresh engine that ran lately, with its last and next tick.
    engine_instances (id) {
        id -> Text,
        host -> Text,
        started_at -> Timestamp,
        last_tick_at -> Nullable<Timestamp>,
        next_tick_at -> Nullable<Timestamp>,
        last_refreshed -> Integer,
        last_failed -> Integer,
        last_probed -> Integer,
        stopped_at -> Nullable<Timestamp>,
        heartbeat_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Until when every call to ANAF waits (ANAF answered 429); one row at most.
    anaf_call_pause (id) {
        id -> Integer,
        until -> Timestamp,
    }
}

diesel::table! {
    /// One token of a "refresh all that are due" job; `outcome` is NULL while it waits.
    refresh_job_items (job_id, token_id) {
        job_id -> BigInt,
        token_id -> BigInt,
        outcome -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Pending invitations to join a company; accepted or declined ones are deleted.
    member_invitations (id) {
        id -> BigInt,
        company_id -> BigInt,
        email -> Text,
        role -> Text,
        invited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    anaf_tokens (id) {
        id -> BigInt,
        company_id -> BigInt,
        fingerprint -> Text,
        access_expires_at -> Timestamp,
        refresh_expires_at -> Nullable<Timestamp>,
        issued_at -> Nullable<Timestamp>,
        certificate_serial -> Nullable<Text>,
        certificate_issuer -> Nullable<Text>,
        status -> Text,
        last_refreshed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<Timestamp>,
        refreshing_until -> Nullable<Timestamp>,
        source -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        has_refresh_token -> Bool,
        refresh_due_at -> Timestamp,
        refresh_started_at -> Nullable<Timestamp>,
        refresh_interrupted_at -> Nullable<Timestamp>,
        next_attempt_at -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        failed_attempts -> Integer,
        refresh_failing -> Bool,
        failure_noted_at -> Nullable<Timestamp>,
        reconnect_from -> Nullable<Timestamp>,
        reconnect_by -> Nullable<Timestamp>,
        certificate_holder -> Nullable<Text>,
    }
}

diesel::table! {
    /// Which token serves each company, with its certificate's SPV rights on the company's CIF.
    company_tokens (company_id) {
        company_id -> BigInt,
        token_id -> BigInt,
        rights -> Text,
        rights_detail -> Nullable<Text>,
        rights_checked_at -> Nullable<Timestamp>,
        rights_probe_due_at -> Nullable<Timestamp>,
        attached_at -> Timestamp,
        attached_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Companies a token does not serve whose CIF its certificate has SPV rights for.
    token_offers (token_id, company_id) {
        token_id -> BigInt,
        company_id -> BigInt,
        checked_at -> Timestamp,
    }
}

diesel::table! {
    /// The encrypted pair of each token, read only by the token service.
    anaf_token_secrets (token_id) {
        token_id -> BigInt,
        access_token_ciphertext -> Text,
        refresh_token_ciphertext -> Nullable<Text>,
        key_id -> Text,
    }
}

diesel::table! {
    oauth_transactions (state_hash) {
        state_hash -> Text,
        session_binding -> Text,
        user_id -> BigInt,
        company_id -> BigInt,
        pkce_verifier -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        action -> Text,
        company_id -> Nullable<BigInt>,
        token_id -> Nullable<BigInt>,
        outcome -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_jobs (id) {
        id -> BigInt,
        user_id -> BigInt,
        total -> Integer,
        succeeded -> Integer,
        failed -> Integer,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        permissions -> Text,
        all_companies -> Bool,
    }
}

diesel::table! {
    /// The companies a key limited to some companies may act for.
    api_key_companies (api_key_id, company_id) {
        api_key_id -> BigInt,
        company_id -> BigInt,
    }
}

diesel::table! {
    /// e-Factura messages seen in a list through the gateway: a download id's CIFs.
    efactura_messages (environment, message_id, cif) {
        environment -> Text,
        message_id -> Text,
        cif -> Text,
        id_solicitare -> Text,
        tip -> Text,
        data_creare -> Text,
        detalii -> Text,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    /// Uploads made through the gateway: an upload index's CIF and its result's download id.
    efactura_uploads (environment, upload_index) {
        environment -> Text,
        upload_index -> Text,
        cif -> Text,
        standard -> Text,
        api_key_id -> Nullable<BigInt>,
        sha256 -> Text,
        size_bytes -> BigInt,
        uploaded_at -> Timestamp,
        state -> Nullable<Text>,
        download_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// The archive's index: each e-Factura file downloaded, once, as ANAF sent it.
    archived_files (environment, message_id) {
        environment -> Text,
        message_id -> Text,
        cif -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        storage_key -> Text,
        stored_at -> Timestamp,
    }
}

diesel::table! {
    /// The last e-Factura answers through the gateway that were not `ok`, per CIF.
    efactura_call_errors (id) {
        id -> BigInt,
        cif -> Text,
        operation -> Text,
        outcome -> Text,
        detail -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::joinable!(company_members -> companies (company_id));
diesel::table! {
    events (id) {
        id -> BigInt,
        kind -> Text,
        company_id -> BigInt,
        cif -> Text,
        company_name -> Nullable<Text>,
        token_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        cause -> Nullable<Text>,
        detail -> Nullable<Text>,
        act_by -> Nullable<Timestamp>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        dispatched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        event_id -> BigInt,
        read_at -> Nullable<Timestamp>,
        digest_pending -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        recipient -> Text,
        kind -> Text,
        event_id -> Nullable<BigInt>,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        company_id -> BigInt,
        url -> Text,
        events -> Text,
        description -> Nullable<Text>,
        secret_ciphertext -> Text,
        key_id -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        failing_since -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> BigInt,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        http_status -> Nullable<Integer>,
        duration_ms -> Integer,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_links (id) {
        id -> BigInt,
        secret_hash -> Text,
        created_by -> BigInt,
        note -> Nullable<Text>,
        sent_to -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
        attempted_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        busy_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    authorization_link_companies (link_id, company_id) {
        link_id -> BigInt,
        company_id -> BigInt,
        outcome -> Nullable<Text>,
        outcome_detail -> Nullable<Text>,
    }
}

diesel::table! {
    link_transactions (state_hash) {
        state_hash -> Text,
        link_id -> BigInt,
        browser_binding -> Text,
        pkce_verifier -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(notifications -> events (event_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(webhook_endpoints -> companies (company_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::joinable!(company_members -> users (user_id));
diesel::joinable!(anaf_tokens -> companies (company_id));
diesel::joinable!(company_tokens -> companies (company_id));
diesel::joinable!(company_tokens -> anaf_tokens (token_id));
diesel::joinable!(token_offers -> anaf_tokens (token_id));
diesel::joinable!(member_invitations -> companies (company_id));
diesel::joinable!(refresh_job_items -> refresh_jobs (job_id));
diesel::joinable!(member_invitations -> users (invited_by));
diesel::joinable!(anaf_token_secrets -> anaf_tokens (token_id));
diesel::joinable!(oauth_transactions -> companies (company_id));
diesel::table! {
    data_upgrades (name) {
        name -> Text,
        done_at -> Timestamp,
    }
}

diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(api_key_companies -> api_keys (api_key_id));
diesel::joinable!(api_key_companies -> companies (company_id));
diesel::joinable!(authorization_links -> users (created_by));
diesel::joinable!(authorization_link_companies -> authorization_links (link_id));
diesel::joinable!(authorization_link_companies -> companies (company_id));
diesel::joinable!(link_transactions -> authorization_links (link_id));
diesel::table! {
    /// Single-use links that prove a mailbox; only the SHA-256 of each secret is kept.
    email_verifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        email -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Sandbox mode without SMTP: the mails the portal would have sent.
    sandbox_mails (id) {
        id -> BigInt,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(email_verifications -> users (user_id));
diesel::table! {
    /// A person's passkeys (WebAuthn credentials): webauthn-rs's record of each as JSON.
    passkeys (id) {
        id -> BigInt,
        user_id -> BigInt,
        user_handle -> Text,
        credential_id -> Text,
        name -> Text,
        passkey -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// A person's authenticator app: the sealed TOTP secret and the last time step accepted.
    user_totp (user_id) {
        user_id -> BigInt,
        key_id -> Text,
        secret_sealed -> Text,
        enabled_at -> Nullable<Timestamp>,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Single-use recovery codes (SHA-256 only).
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Who must use two-factor (one row).
    two_factor_policy (id) {
        id -> BigInt,
        platform_admins -> Bool,
        support_staff -> Bool,
        company_admins -> Bool,
        updated_at -> Nullable<Timestamp>,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::joinable!(user_totp -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    email_verifications,
    passkeys,
    password_resets,
    email_changes,
    sandbox_mails,
    company_tokens,
    token_offers,
    users,
    sessions,
    login_failures,
    companies,
    company_registry,
    company_members,
    member_invitations,
    refresh_job_items,
    call_counts,
    anaf_call_pause,
    engine_instances,
    anaf_tokens,
    anaf_token_secrets,
    oauth_transactions,
    audit_events,
    refresh_jobs,
    api_keys,
    api_key_companies,
    archived_files,
    efactura_call_errors,
    efactura_messages,
    efactura_uploads,
    events,
    notifications,
    mail_outbox,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    authorization_links,
    authorization_link_companies,
    link_transactions,
    data_upgrades,
    user_totp,
    recovery_codes,
    two_factor_policy,
);
