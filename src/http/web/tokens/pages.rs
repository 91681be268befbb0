//! The token list, the delete and reveal pages, and a refresh job's progress.

use askama::Template;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::CompanyId;
use crate::http::web::company_list::ListControls;
use crate::http::web::page::Page;
use crate::http::web::views::{Pagination, TokenRowView};
use crate::services::tokens::queries::{Company, RefreshJob};

#[derive(Template)]
#[template(path = "tokens/index.html")]
pub struct TokensPage<'a> {
    pub page: Page,
    pub rows: Vec<TokenRowView<'a>>,
    pub pagination: Pagination,
    pub search: String,
    /// The filters applied, for the CSV export link.
    pub export_query: String,
    pub controls: ListControls,
}

#[derive(Template)]
#[template(path = "tokens/delete.html")]
pub struct DeleteTokenPage<'a> {
    pub page: Page,
    pub row: TokenRowView<'a>,
    /// How many other companies the token serves (it goes on serving them).
    pub other_companies: usize,
}

impl DeleteTokenPage<'_> {
    pub fn question(&self) -> String {
        self.page.t.format(
            "token-delete_question",
            &[
                ("company_name", self.row.company_name.to_owned().into()),
                ("cif", self.row.cif.to_owned().into()),
            ],
        )
    }

    /// What deleting does: revokes the token, or only detaches it from this company when it
    /// serves others.
    pub fn explained(&self) -> String {
        match self.other_companies {
            0 => self.page.t.get("token-delete_explained"),
            n => self.page.t.format(
                "token-detach_explained",
                &[("companies", (n as i64).into())],
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "tokens/reveal.html")]
pub struct RevealTokenPage {
    pub page: Page,
    pub company_id: CompanyId,
    pub company_name: String,
    pub access_token: SecretString,
    pub expires: String,
}

impl RevealTokenPage {
    pub fn token_value(&self) -> &str {
        self.access_token.expose_secret()
    }
}

#[derive(Template)]
#[template(path = "jobs/show.html")]
pub struct JobPage {
    pub page: Page,
    pub job: RefreshJob,
    /// The companies whose refresh failed, with their token's last error.
    pub failures: Vec<(Company, Option<String>)>,
}

impl JobPage {
    pub fn progress(&self) -> String {
        let number = |n: i32| i64::from(n).into();
        self.page.t.format(
            "jobs-progress",
            &[
                ("done", number(self.job.succeeded + self.job.failed)),
                ("total", number(self.job.total)),
                ("refreshed", number(self.job.succeeded)),
                ("failed", number(self.job.failed)),
            ],
        )
    }
}
