//! `rotate-keys` for authenticator secrets: each sealed with an older key is sealed again with
//! the current one, like token and webhook secrets.

use crate::db::DbConnection;
use crate::db::models::two_factor;
use crate::domain::UserId;
use crate::services::tokens::vault::TokenVault;
use crate::services::two_factor::binding;

/// Re-seals every authenticator secret not sealed with the vault's current key: how many were,
/// and the users whose secret does not open (left as they are).
pub fn reseal_secrets(
    conn: &mut DbConnection,
    vault: &TokenVault,
) -> diesel::QueryResult<(usize, Vec<UserId>)> {
    let current = vault.current_key().as_str().to_owned();
    let (mut resealed, mut unreadable) = (0, Vec::new());
    for (user_id, key_id, sealed) in two_factor::sealed_with_other_keys(conn, &current)? {
        let again = vault
            .open_bound(&key_id, &binding(user_id), &sealed)
            .and_then(|plain| vault.seal_bound(&binding(user_id), &plain));
        match again {
            Ok(again) => resealed += two_factor::reseal(conn, user_id, &key_id, &current, &again)?,
            Err(_) => unreadable.push(user_id),
        }
    }
    Ok((resealed, unreadable))
}
