//! The query parameters of a gateway call, as ANAF will read them.

use super::GatewayError;
use crate::anaf::efactura::Operation;

/// The request's query parameters, in order.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// The query as ANAF will read it. A parameter given twice is refused: the portal would
    /// check one value and ANAF might act on the other (another CIF the certificate covers).
    pub(super) fn parse(query: &str) -> Result<Params, GatewayError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| GatewayError::BadRequest("the query string is malformed".to_owned()))?;
        for (index, (name, _)) in pairs.iter().enumerate() {
            if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
                return Err(GatewayError::BadRequest(format!(
                    "`{name}` is given more than once"
                )));
            }
        }
        Ok(Params(pairs))
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A parameter ANAF needs; its absence is refused here, since the portal cannot pick a
    /// token without it.
    pub(super) fn required(&self, name: &str, operation: &Operation) -> Result<&str, GatewayError> {
        self.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            GatewayError::BadRequest(format!("`{name}` is required for {}", operation.name()))
        })
    }
}
