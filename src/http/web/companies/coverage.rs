//! The coverage view: a person's companies × the certificates whose tokens serve them (or could),
//! so that an accountant sees at a glance which CIFs have no working token.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::{CoverageCell, CoveragePage, CoverageRow};
use crate::domain::{CompanyId, TokenId, TokenStatus};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::see_other;
use crate::http::web::page::{Page, html};
use crate::http::web::views::CertificateView;
use crate::http::web::views::status_label;
use crate::i18n::Lang;
use crate::services::companies::{CompanyQuery, ListSort, SortColumn};
use crate::services::now;

/// Companies the view shows at most (far above any accountant's list).
const COVERAGE_LIMIT: i64 = 2_000;

/// What tells certificates apart: the serial, or the token when its JWT named none.
fn certificate_key(serial: Option<&str>, token_id: TokenId) -> String {
    serial.map_or_else(|| format!("token:{token_id}"), str::to_owned)
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.id;
    let query = CompanyQuery {
        sort: ListSort {
            column: SortColumn::Cif,
            descending: false,
        },
        limit: COVERAGE_LIMIT,
        ..CompanyQuery::matching(None)
    };
    let (rows, total) = state.companies.page_for_member(user_id, query).await?;
    let offers = state.tokens.offers_for_member(user_id).await?;
    let at = now();
    let t = page.t;

    // One column per certificate, in the order first seen (companies by CIF).
    let mut columns: Vec<CertificateView> = Vec::new();
    let mut column_of: HashMap<String, usize> = HashMap::new();
    let mut column = |serial: Option<&str>, holder: Option<&str>, token_id: TokenId| {
        let key = certificate_key(serial, token_id);
        *column_of.entry(key).or_insert_with(|| {
            columns.push(CertificateView::new(holder, serial, &t));
            columns.len() - 1
        })
    };
    let served: Vec<Option<(usize, TokenStatus)>> = rows
        .iter()
        .map(|row| {
            row.token.as_ref().map(|token| {
                let index = column(
                    token.certificate_serial.as_deref(),
                    token.certificate_holder.as_deref(),
                    token.id,
                );
                (index, token.facts.status(at))
            })
        })
        .collect();
    let mut offered: HashMap<CompanyId, Vec<usize>> = HashMap::new();
    for offer in &offers {
        let index = column(
            offer.certificate_serial.as_deref(),
            offer.certificate_holder.as_deref(),
            offer.token_id,
        );
        offered.entry(offer.company_id).or_default().push(index);
    }

    let width = columns.len();
    let coverage_rows: Vec<CoverageRow> = rows
        .iter()
        .zip(served)
        .map(|(row, served)| {
            let mut cells = vec![CoverageCell::Empty; width];
            for index in offered.get(&row.company.id).into_iter().flatten() {
                cells[*index] = CoverageCell::Offered;
            }
            let mut covered = false;
            if let Some((index, status)) = served {
                covered = status.works();
                cells[index] = CoverageCell::Serves {
                    label: status_label(status, &t),
                    class: status.badge_class(),
                };
            }
            CoverageRow {
                company_id: row.company.id,
                label: row.company.display_name().to_owned(),
                cif: row.company.cif.to_string(),
                covered,
                cells,
            }
        })
        .collect();
    let uncovered = coverage_rows.iter().filter(|r| !r.covered).count();
    let offers_for_uncovered = coverage_rows
        .iter()
        .any(|r| !r.covered && r.cells.contains(&CoverageCell::Offered));
    let summary = t.format(
        "coverage-summary",
        &[
            ("uncovered", (uncovered as i64).into()),
            ("total", total.into()),
        ],
    );
    html(
        StatusCode::OK,
        &CoveragePage {
            page,
            summary,
            uncovered,
            offers_for_uncovered,
            certificates: columns,
            rows: coverage_rows,
        },
    )
}

/// Attaches the offered tokens to the person's companies that no working token serves, where
/// that gives the token to nobody new (each company's page explains the others).
pub async fn attach_offers(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let done = state
        .tokens
        .attach_offers_to_unserved(&actor, user.0.id)
        .await?;
    let t = Lang::from_request(&req).catalog();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut message = t.count("coverage-attached", "count", count(done.attached));
    for (key, n) in [
        ("coverage-attach_need_consent", done.need_consent),
        ("coverage-attach_not_confirmed", done.not_confirmed),
        ("coverage-attach_left", done.left),
    ] {
        if n > 0 {
            message.push(' ');
            message.push_str(&t.count(key, "count", count(n)));
        }
    }
    let level = match done.attached {
        0 => FlashLevel::Info,
        _ => FlashLevel::Success,
    };
    PortalSession::of(&req).flash(level, message);
    Ok(see_other("/coverage"))
}
