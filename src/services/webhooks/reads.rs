//! What the webhook pages and the API read: a company's endpoints, one endpoint, its
//! deliveries.

use crate::db::models::{companies, webhooks};
use crate::domain::{CompanyId, EndpointId, MemberRole, UserId};
use crate::services::webhooks::WebhookService;

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::webhooks::{DeliveryRow, Endpoint, EndpointState};

impl WebhookService {
    /// The company's endpoints, oldest first.
    pub async fn endpoints_of(&self, company: CompanyId) -> anyhow::Result<Vec<Endpoint>> {
        self.db
            .run(move |conn| Ok(webhooks::list_for_company(conn, company)?))
            .await
    }

    /// The endpoints of every company `user` administers, each with its company's CIF.
    pub async fn endpoints_for_admin(
        &self,
        user: UserId,
    ) -> anyhow::Result<Vec<(Endpoint, crate::domain::Cif)>> {
        self.db
            .run(move |conn| Ok(webhooks::list_for_admin(conn, user)?))
            .await
    }

    /// The endpoint, when it belongs to the company.
    pub async fn endpoint_in(
        &self,
        company: CompanyId,
        endpoint: EndpointId,
    ) -> anyhow::Result<Option<Endpoint>> {
        self.db
            .run(move |conn| Ok(webhooks::find_in_company(conn, company, endpoint)?))
            .await
    }

    /// The endpoint and `user`'s role in its company; none when there is no such endpoint or
    /// `user` is not a member of its company (so neither is revealed).
    pub async fn endpoint_for_member(
        &self,
        endpoint: EndpointId,
        user: UserId,
    ) -> anyhow::Result<Option<(Endpoint, MemberRole)>> {
        self.db
            .run(move |conn| {
                let Some(endpoint) = webhooks::find(conn, endpoint)? else {
                    return Ok(None);
                };
                let membership = companies::find_for_member(conn, endpoint.company_id, user)?;
                Ok(membership.map(|(_, role)| (endpoint, role)))
            })
            .await
    }

    /// A page of the endpoint's deliveries, newest first, and how many there are.
    pub async fn deliveries(
        &self,
        endpoint: EndpointId,
        offset: i64,
        limit: i64,
    ) -> anyhow::Result<(Vec<DeliveryRow>, i64)> {
        self.db
            .run(move |conn| Ok(webhooks::deliveries_page(conn, endpoint, offset, limit)?))
            .await
    }
}
