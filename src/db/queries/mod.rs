//! Read models: the queries that assemble what pages and the API show from several tables.

/// `$source` (a query over `companies`) with the token serving each company, if any: two left
/// joins. Not `left_join(company_tokens.inner_join(anaf_tokens))`: SQLite cannot flatten a
/// parenthesised join on the right of a LEFT JOIN, so it materialised every company's token
/// for each query (a member's page read all 100,000 companies' tokens to show 25).
macro_rules! left_join_serving_token {
    ($source:expr) => {
        $source
            .left_join(crate::db::schema::company_tokens::table.on(
                crate::db::schema::company_tokens::company_id.eq(crate::db::schema::companies::id),
            ))
            .left_join(crate::db::schema::anaf_tokens::table.on(
                crate::db::schema::anaf_tokens::id.eq(crate::db::schema::company_tokens::token_id),
            ))
    };
}

pub mod companies;
pub mod tokens;
