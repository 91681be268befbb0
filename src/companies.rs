//! Companies and their members: adding companies (one or a pasted list), and who may see and act
//! on them. Every change is audited here.

use std::collections::HashSet;

use crate::audit::AuditLog;
use crate::db::Db;
use crate::db::models::companies::{self, Company, CreateCompanyError, MembershipError};
use crate::db::models::users;
use crate::domain::{Actor, AuditAction, AuditEvent, Cif, CifProblem, Email, MemberRole};

/// At most this many lines per paste, so one request stays quick.
pub const BULK_LIMIT: usize = 500;

/// What happened to one pasted line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineVerdict {
    Added(Cif),
    Invalid(CifProblem),
    /// The same CIF appeared on an earlier line of the paste.
    DuplicateLine(Cif),
    /// A company with this CIF is registered already.
    AlreadyRegistered(Cif),
}

/// One pasted line and its verdict.
#[derive(Debug, Clone)]
pub struct BulkLine {
    pub input: String,
    pub verdict: LineVerdict,
}

/// The verdict of every non-empty line of a paste, in order.
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    pub lines: Vec<BulkLine>,
}

impl BulkReport {
    pub fn added(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l.verdict, LineVerdict::Added(_)))
            .count()
    }

    pub fn rejected(&self) -> usize {
        self.lines.len() - self.added()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("at most {BULK_LIMIT} lines at once")]
    TooManyLines,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum AddMemberError {
    #[error("no account with this email")]
    NoSuchUser,
    #[error("already a member")]
    AlreadyMember,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// One line of a paste: a CIF, optionally followed by a name after a comma, semicolon or tab.
fn parse_line(line: &str) -> (Result<Cif, CifProblem>, Option<String>) {
    let (cif, name) = match line.split_once([',', ';', '\t']) {
        Some((cif, name)) => (cif.trim(), Some(name.trim())),
        None => (line, None),
    };
    (
        Cif::parse(cif),
        name.filter(|n| !n.is_empty()).map(clip_name),
    )
}

/// Company names are kept to 200 characters.
fn clip_name(name: &str) -> String {
    name.trim().chars().take(200).collect()
}

#[derive(Clone)]
pub struct CompanyService {
    db: Db,
    audit: AuditLog,
}

impl CompanyService {
    pub fn new(db: Db, audit: AuditLog) -> CompanyService {
        CompanyService { db, audit }
    }

    /// Adds a company; `user_id` becomes its company admin.
    pub async fn create(
        &self,
        actor: &Actor,
        user_id: i64,
        cif: Cif,
        name: &str,
    ) -> Result<Result<Company, CreateCompanyError>, anyhow::Error> {
        let name = Some(clip_name(name)).filter(|n| !n.is_empty());
        let created = self
            .db
            .run(move |conn| {
                Ok(companies::create_with_admin(
                    conn,
                    &cif,
                    name.as_deref(),
                    user_id,
                ))
            })
            .await?;
        if let Ok(company) = &created {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::CompanyCreated)
                        .company(company.id)
                        .detail(format!("CIF {}", company.cif)),
                )
                .await;
        }
        Ok(created)
    }

    /// Adds the companies pasted one per line (see `parse_line`); every non-empty line gets its
    /// verdict. One audit event for the paste.
    pub async fn bulk_import(
        &self,
        actor: &Actor,
        user_id: i64,
        text: &str,
    ) -> Result<BulkReport, BulkError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() > BULK_LIMIT {
            return Err(BulkError::TooManyLines);
        }
        let mut seen = HashSet::new();
        let parsed: Vec<(String, Result<Cif, LineVerdict>, Option<String>)> = lines
            .into_iter()
            .map(|line| {
                let (cif, name) = parse_line(line);
                let cif = match cif {
                    Err(problem) => Err(LineVerdict::Invalid(problem)),
                    Ok(cif) if !seen.insert(cif.clone()) => Err(LineVerdict::DuplicateLine(cif)),
                    Ok(cif) => Ok(cif),
                };
                (line.to_owned(), cif, name)
            })
            .collect();
        let report = self
            .db
            .run(move |conn| {
                let mut report = BulkReport::default();
                for (input, cif, name) in parsed {
                    let verdict = match cif {
                        Err(verdict) => verdict,
                        Ok(cif) => {
                            match companies::create_with_admin(conn, &cif, name.as_deref(), user_id)
                            {
                                Ok(_) => LineVerdict::Added(cif),
                                Err(CreateCompanyError::CifTaken) => {
                                    LineVerdict::AlreadyRegistered(cif)
                                }
                                Err(CreateCompanyError::Database(e)) => return Err(e.into()),
                            }
                        }
                    };
                    report.lines.push(BulkLine { input, verdict });
                }
                Ok(report)
            })
            .await?;
        if report.added() > 0 {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::CompaniesBulkCreated)
                        .detail(format!("{} companies added", report.added())),
                )
                .await;
        }
        Ok(report)
    }

    /// Makes the account with `email` a member of the company with `role`; its id.
    pub async fn add_member(
        &self,
        actor: &Actor,
        company_id: i64,
        email: Email,
        role: MemberRole,
    ) -> Result<i64, AddMemberError> {
        let added = self
            .db
            .run(move |conn| {
                let Some(member) = users::find_by_email(conn, &email)? else {
                    return Ok(Err(AddMemberError::NoSuchUser));
                };
                Ok(
                    match companies::add_member(conn, company_id, member.id, role) {
                        Ok(()) => Ok(member.id),
                        Err(MembershipError::AlreadyMember) => Err(AddMemberError::AlreadyMember),
                        Err(e) => return Err(e.into()),
                    },
                )
            })
            .await??;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::MemberAdded)
                    .company(company_id)
                    .detail(format!("user {added} as {}", role.as_str())),
            )
            .await;
        Ok(added)
    }

    /// Changes a member's role (`Some`) or removes the member (`None`); a company always keeps at
    /// least one admin.
    pub async fn change_member(
        &self,
        actor: &Actor,
        company_id: i64,
        member_id: i64,
        role: Option<MemberRole>,
    ) -> Result<Result<(), MembershipError>, anyhow::Error> {
        let changed = self
            .db
            .run(move |conn| Ok(companies::change_member(conn, company_id, member_id, role)))
            .await?;
        if changed.is_ok() {
            let event = match role {
                Some(role) => AuditEvent::success(AuditAction::MemberRoleChanged)
                    .detail(format!("user {member_id} is now {}", role.as_str())),
                None => AuditEvent::success(AuditAction::MemberRemoved)
                    .detail(format!("user {member_id} removed")),
            };
            self.audit.record(actor, event.company(company_id)).await;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_holds_a_cif_and_maybe_a_name() {
        let (cif, name) = parse_line("RO 18547290, Firma Test SRL");
        assert_eq!(cif.map(|c| c.to_string()), Ok("18547290".to_owned()));
        assert_eq!(name.as_deref(), Some("Firma Test SRL"));
        let (cif, name) = parse_line("14399840");
        assert!(cif.is_ok());
        assert_eq!(name, None);
        let (cif, _) = parse_line("12345678;x");
        assert_eq!(cif, Err(CifProblem::CheckDigit));
    }
}
