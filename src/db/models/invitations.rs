//! `member_invitations`: a company admin's invitation for an email to join a company, pending
//! until the person with that email accepts or declines it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::companies::{self, Company, JoinError};
use crate::db::models::now;
use crate::db::schema::{companies as companies_table, member_invitations, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{Cif, CompanyId, Email, InvitationId, MemberRole, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = member_invitations)]
pub struct Invitation {
    pub id: InvitationId,
    pub company_id: CompanyId,
    pub email: String,
    pub role: MemberRole,
    pub created_at: NaiveDateTime,
}

/// An invitation as its invitee sees it: the company and who invited them.
#[derive(Debug, Clone)]
pub struct ReceivedInvitation {
    pub invitation: Invitation,
    pub company: Company,
    pub invited_by: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = member_invitations)]
struct NewInvitation<'a> {
    company_id: CompanyId,
    email: &'a str,
    role: MemberRole,
    invited_by: Option<UserId>,
    created_at: NaiveDateTime,
}

/// Invites `email` to the company with `role`; an invitation already pending for it gets the new
/// role and date. Its id.
pub fn invite(
    conn: &mut DbConnection,
    company_id: CompanyId,
    email: &Email,
    role: MemberRole,
    invited_by: UserId,
) -> QueryResult<InvitationId> {
    write_transaction(conn, |conn| {
        let pending = member_invitations::table
            .filter(member_invitations::company_id.eq(company_id))
            .filter(member_invitations::email.eq(email.as_str()));
        let existing: Option<InvitationId> = pending
            .select(member_invitations::id)
            .first(conn)
            .optional()?;
        let at = now();
        match existing {
            Some(id) => {
                diesel::update(member_invitations::table.find(id))
                    .set((
                        member_invitations::role.eq(role),
                        member_invitations::invited_by.eq(Some(invited_by)),
                        member_invitations::created_at.eq(at),
                    ))
                    .execute(conn)?;
                Ok(id)
            }
            None => diesel::insert_into(member_invitations::table)
                .values(NewInvitation {
                    company_id,
                    email: email.as_str(),
                    role,
                    invited_by: Some(invited_by),
                    created_at: at,
                })
                .returning(member_invitations::id)
                .get_result(conn),
        }
    })
}

/// The company's pending invitations, newest first.
pub fn pending_for_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
) -> QueryResult<Vec<Invitation>> {
    member_invitations::table
        .filter(member_invitations::company_id.eq(company_id))
        .order((
            member_invitations::created_at.desc(),
            member_invitations::id.desc(),
        ))
        .select(Invitation::as_select())
        .load(conn)
}

/// The address of account `user_id` when its owner has proven it: the only address an
/// invitation may be answered for (anyone can register any address).
fn verified_email(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .filter(users::email_verified_at.is_not_null())
        .select(users::email)
        .first(conn)
        .optional()
}

/// The invitations waiting for account `user_id`'s verified address, newest first, with their
/// companies and inviters; none while the address is unverified.
pub fn pending_for_user(
    conn: &mut DbConnection,
    user_id: UserId,
) -> QueryResult<Vec<ReceivedInvitation>> {
    let Some(email) = verified_email(conn, user_id)? else {
        return Ok(Vec::new());
    };
    let rows: Vec<(Invitation, Company, Option<String>)> = member_invitations::table
        .inner_join(companies_table::table)
        .left_join(users::table)
        .filter(member_invitations::email.eq(&email))
        .order((
            member_invitations::created_at.desc(),
            member_invitations::id.desc(),
        ))
        .select((
            Invitation::as_select(),
            Company::as_select(),
            users::email.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(invitation, company, invited_by)| ReceivedInvitation {
            invitation,
            company,
            invited_by,
        })
        .collect())
}

/// Why an invitation could not be accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// No pending invitation with this id for this email (answered, cancelled, or another's).
    #[error("no such invitation")]
    NotFound,
    /// The person's list has another record of the company's CIF.
    #[error("already has a company with CIF {0}")]
    HasThisCif(Cif),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Accepts invitation `id` for account `user_id`, when it is addressed to the account's verified
/// email: the membership and the removal of the invitation in one transaction. The invitation
/// and its company.
pub fn accept(
    conn: &mut DbConnection,
    id: InvitationId,
    user_id: UserId,
) -> Result<(Invitation, Company), AcceptError> {
    write_transaction(conn, |conn| {
        let email = verified_email(conn, user_id)?.ok_or(AcceptError::NotFound)?;
        let invitation = find_for_email(conn, id, &email)?.ok_or(AcceptError::NotFound)?;
        let company = companies::find(conn, invitation.company_id)?.ok_or(AcceptError::NotFound)?;
        match companies::add_member(conn, company.id, user_id, invitation.role) {
            // Joined meanwhile: the invitation has served its purpose.
            Ok(()) | Err(JoinError::AlreadyMember) => {}
            Err(JoinError::HasThisCif) => return Err(AcceptError::HasThisCif(company.cif)),
            Err(JoinError::Database(e)) => return Err(e.into()),
        }
        diesel::delete(member_invitations::table.find(id)).execute(conn)?;
        Ok((invitation, company))
    })
}

fn find_for_email(
    conn: &mut DbConnection,
    id: InvitationId,
    email: &str,
) -> QueryResult<Option<Invitation>> {
    member_invitations::table
        .find(id)
        .filter(member_invitations::email.eq(email))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Deletes invitation `id` addressed to account `user_id`'s verified email (declined); the
/// deleted invitation, if it was there. An unverified account cannot make another's invitation
/// vanish.
pub fn decline(
    conn: &mut DbConnection,
    id: InvitationId,
    user_id: UserId,
) -> QueryResult<Option<Invitation>> {
    write_transaction(conn, |conn| {
        let Some(email) = verified_email(conn, user_id)? else {
            return Ok(None);
        };
        let found = find_for_email(conn, id, &email)?;
        if found.is_some() {
            diesel::delete(member_invitations::table.find(id)).execute(conn)?;
        }
        Ok(found)
    })
}

/// Deletes the company's invitation `id` (cancelled by a company admin); whether it was there.
pub fn cancel(
    conn: &mut DbConnection,
    company_id: CompanyId,
    id: InvitationId,
) -> QueryResult<Option<Invitation>> {
    write_transaction(conn, |conn| {
        let found = member_invitations::table
            .find(id)
            .filter(member_invitations::company_id.eq(company_id))
            .select(Invitation::as_select())
            .first(conn)
            .optional()?;
        if found.is_some() {
            diesel::delete(member_invitations::table.find(id)).execute(conn)?;
        }
        Ok(found)
    })
}
